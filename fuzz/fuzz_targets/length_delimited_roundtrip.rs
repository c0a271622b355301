#![no_main]
//! Length-delimited round trip: whatever the format and read chunking, the frames the
//! encoder accepted decode back exactly, and the ones it refused are the ones the format
//! cannot express.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use amphi_codec::{Encoder, FramedRead, LengthDelimitedCodec, ReadState};
use arbitrary::Arbitrary;
use futures_lite::StreamExt;
use futures_lite::future::block_on;
use libfuzzer_sys::fuzz_target;

#[derive(Debug, Arbitrary)]
struct Input {
    width: u8,
    big_endian: bool,
    adjustment: i8,
    max: u16,
    chunks: Vec<u16>,
    frames: Vec<Vec<u8>>,
}

/// Hands out `data` in the given chunk sizes.
struct Chunked {
    data: Vec<u8>,
    pos: usize,
    chunks: Vec<u16>,
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
            .unwrap_or(u16::MAX);
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
    let width = usize::from(input.width % 8) + 1;
    let adjustment = isize::from(input.adjustment);
    let builder = LengthDelimitedCodec::builder()
        .length_field_length(width)
        .length_adjustment(adjustment)
        .max_frame_length(usize::from(input.max));
    let builder = if input.big_endian {
        builder.big_endian()
    } else {
        builder.little_endian()
    };
    let mut encoder = builder.new_codec();
    let max = encoder.max_frame_length();
    let field_max: u128 = if width == 8 {
        u128::from(u64::MAX)
    } else {
        (1u128 << (8 * width)) - 1
    };
    let mut wire = bytes::BytesMut::new();
    let mut accepted = Vec::new();
    for frame in input.frames {
        let before = wire.len();
        let field = frame.len() as i128 - adjustment as i128;
        let expressible = frame.len() <= max && field >= 0 && field as u128 <= field_max;
        match encoder.encode(&frame[..], &mut wire) {
            Ok(()) => {
                assert!(expressible);
                accepted.push(frame);
            }
            Err(_) => {
                assert!(!expressible);
                assert_eq!(wire.len(), before);
            }
        }
    }
    let reader = Chunked {
        data: wire.to_vec(),
        pos: 0,
        chunks: input.chunks,
        reads: 0,
    };
    let mut framed = FramedRead::new(reader, builder.new_codec());
    block_on(async {
        for frame in &accepted {
            let got = framed.next().await.expect("frame").expect("valid frame");
            assert_eq!(&got[..], &frame[..]);
        }
        assert!(framed.next().await.is_none());
        assert_eq!(framed.read_state(), ReadState::Eof);
    });
});
