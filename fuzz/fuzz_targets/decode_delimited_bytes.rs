#![no_main]
//! The delimiter decoder on arbitrary bytes, delimiter and read chunking: frames never
//! hold the delimiter or exceed the maximum, and with no limit hit they are exactly the
//! pieces between delimiters.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use amphi_codec::{DelimitedCodec, DelimitedError, FramedRead, ReadState};
use arbitrary::Arbitrary;
use futures_lite::StreamExt;
use futures_lite::future::block_on;
use libfuzzer_sys::fuzz_target;

#[derive(Debug, Arbitrary)]
struct Input {
    delimiter: u8,
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
    let mut expected: Vec<&[u8]> = input.data.split(|&b| b == input.delimiter).collect();
    if expected.last().is_some_and(|last| last.is_empty()) {
        expected.pop();
    }
    let reader = Chunked {
        data: input.data.clone(),
        pos: 0,
        chunks: input.chunks,
        reads: 0,
    };
    let mut frames = FramedRead::new(
        reader,
        DelimitedCodec::with_max_length(input.delimiter, max),
    );
    block_on(async {
        let mut got = Vec::new();
        let mut too_long = false;
        while let Some(frame) = frames.next().await {
            match frame {
                Ok(frame) => {
                    assert!(frame.len() <= max);
                    assert!(!frame.contains(&input.delimiter));
                    got.push(frame);
                }
                Err(DelimitedError::FrameTooLong { .. }) => too_long = true,
                Err(err) => panic!("unexpected {err}"),
            }
        }
        assert_eq!(frames.read_state(), ReadState::Eof);
        if !too_long {
            assert_eq!(got.len(), expected.len());
            for (a, b) in got.iter().zip(&expected) {
                assert_eq!(&a[..], *b);
            }
        }
    });
});
