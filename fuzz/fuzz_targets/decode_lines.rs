#![no_main]
//! The lines decoder on arbitrary bytes and read chunking: no panic, no line over the
//! maximum or holding a `\n`, errors are recoverable and the stream ends cleanly, and each
//! `\n`-ended segment gives what a model says: too long, invalid UTF-8, or the line.

use amphi_codec::{FramedRead, LinesCodec, LinesError, ReadState};
use amphi_fuzz::Chunked;
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

fuzz_target!(|input: Input| {
    let max = usize::from(input.max);
    let sent = input.data.len();
    let expected = model(&input.data, max);
    let mut got = Vec::new();
    let reader = Chunked::from_u8_chunks(input.data, input.chunks);
    let mut lines = FramedRead::new(reader, LinesCodec::with_max_length(max));
    block_on(async {
        let mut last_offset = 0u64;
        while let Some(line) = lines.next().await {
            match line {
                Ok(line) => {
                    assert!(line.len() <= max);
                    assert!(!line.contains('\n'));
                    got.push(Outcome::Line(line));
                }
                Err(err @ (LinesError::LineTooLong { .. } | LinesError::InvalidUtf8 { .. })) => {
                    let offset = err.byte_offset().unwrap();
                    assert!(offset < sent as u64 && offset >= last_offset);
                    last_offset = offset;
                    assert_eq!(lines.read_state(), ReadState::Open);
                    got.push(match err {
                        LinesError::LineTooLong { .. } => Outcome::TooLong,
                        _ => Outcome::Invalid,
                    });
                }
                Err(err) => panic!("unexpected {err}"),
            }
        }
        assert_eq!(lines.read_state(), ReadState::Eof);
    });
    assert_eq!(got, expected);
});

#[derive(Debug, PartialEq)]
enum Outcome {
    Line(String),
    TooLong,
    Invalid,
}

/// One outcome per `\n`-ended segment and the unterminated rest.
fn model(data: &[u8], max: usize) -> Vec<Outcome> {
    let mut segments: Vec<&[u8]> = data.split(|&b| b == b'\n').collect();
    if segments.last().is_some_and(|s| s.is_empty()) {
        segments.pop();
    }
    segments
        .into_iter()
        .map(|segment| {
            if segment.len() > max {
                return Outcome::TooLong;
            }
            let line = segment.strip_suffix(b"\r").unwrap_or(segment);
            match String::from_utf8(line.to_vec()) {
                Ok(line) => Outcome::Line(line),
                Err(_) => Outcome::Invalid,
            }
        })
        .collect()
}
