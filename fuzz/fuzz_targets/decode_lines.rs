#![no_main]
//! The lines decoder on arbitrary bytes and read chunking: no panic, no line over the
//! maximum or holding a `\n`, errors are recoverable and the stream ends cleanly.

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
    let reader = Chunked::from_u8_chunks(input.data, input.chunks);
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
