#![no_main]
//! The lines decoder on arbitrary bytes and read chunking: no panic, no line over the
//! maximum or holding a `\n`, errors are recoverable and the stream ends cleanly.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use amphi_codec::{FramedRead, LinesCodec, LinesError, ReadState};
use arbitrary::Arbitrary;
use futures_lite::StreamExt;
use futures_lite::future::block_on;
use libfuzzer_sys::fuzz_target;

#[derive(Debug, Arbitrary)]
struct Input {
    max: u8,
    chunks: Vec<u8>,
    data: Vec<u8>,
}

/// Hands out `data` in the given chunk sizes.
struct Chunked {
    data: Vec<u8>,
    pos: usize,
    chunks: Vec<u8>,
    reads: usize,
}

impl futures_lite::AsyncRead for Chunked {
    fn poll_read(
        mut self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        let chunk = self
            .chunks
            .get(self.reads % self.chunks.len().max(1))
            .copied()
            .unwrap_or(u8::MAX);
        self.reads += 1;
        let n = usize::from(chunk.max(1))
            .min(buf.len())
            .min(self.data.len() - self.pos);
        buf[..n].copy_from_slice(&self.data[self.pos..self.pos + n]);
        self.pos += n;
        Poll::Ready(Ok(n))
    }
}

fuzz_target!(|input: Input| {
    let max = usize::from(input.max);
    let sent = input.data.len();
    let reader = Chunked {
        data: input.data,
        pos: 0,
        chunks: input.chunks,
        reads: 0,
    };
    let mut lines = FramedRead::new(reader, LinesCodec::with_max_length(max));
    block_on(async {
        let mut last_offset = 0u64;
        while let Some(line) = lines.next().await {
            match line {
                Ok(line) => {
                    assert!(line.len() <= max);
                    assert!(!line.contains('\n'));
                }
                Err(err @ (LinesError::LineTooLong { .. } | LinesError::InvalidUtf8 { .. })) => {
                    let offset = err.byte_offset().unwrap();
                    assert!(offset < sent as u64 && offset >= last_offset);
                    last_offset = offset;
                    assert_eq!(lines.read_state(), ReadState::Open);
                }
                Err(err) => panic!("unexpected {err}"),
            }
        }
        assert_eq!(lines.read_state(), ReadState::Eof);
    });
});
