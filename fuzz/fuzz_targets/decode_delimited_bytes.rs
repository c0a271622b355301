#![no_main]
//! The delimiter decoder on arbitrary bytes, delimiter and read chunking: frames never
//! hold the delimiter or exceed the maximum, and with no limit hit they are exactly the
//! pieces between delimiters.

use amphi_codec::{DelimitedCodec, DelimitedError, FramedRead, ReadState};
use amphi_fuzz::Chunked;
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

fuzz_target!(|input: Input| {
    let max = usize::from(input.max);
    let mut expected: Vec<&[u8]> = input.data.split(|&b| b == input.delimiter).collect();
    if expected.last().is_some_and(|last| last.is_empty()) {
        expected.pop();
    }
    let reader = Chunked::from_u8_chunks(input.data.clone(), input.chunks);
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
