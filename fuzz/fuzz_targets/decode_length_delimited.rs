#![no_main]
//! The length-delimited decoder on arbitrary bytes, any format, any read chunking: no
//! panic, no frame over the maximum, no buffer growth beyond what was sent, and a
//! terminated stream after an error.

use amphi_codec::{FramedRead, LengthDelimitedCodec, ReadState};
use amphi_fuzz::Chunked;
use arbitrary::Arbitrary;
use futures_lite::StreamExt;
use futures_lite::future::block_on;
use libfuzzer_sys::fuzz_target;

#[derive(Debug, Arbitrary)]
struct Input {
    width: u8,
    big_endian: bool,
    adjustment: i16,
    offset: u8,
    skip: Option<u8>,
    max: u16,
    chunks: Vec<u16>,
    data: Vec<u8>,
}

fuzz_target!(|input: Input| {
    let builder = LengthDelimitedCodec::builder()
        .length_field_length(usize::from(input.width % 8) + 1)
        .length_adjustment(isize::from(input.adjustment))
        .length_field_offset(usize::from(input.offset % 8))
        .max_frame_length(usize::from(input.max));
    let builder = match input.skip {
        Some(skip) => builder.num_skip(usize::from(skip % 16)),
        None => builder,
    };
    let builder = if input.big_endian {
        builder.big_endian()
    } else {
        builder.little_endian()
    };
    let sent = input.data.len();
    let reader = Chunked::new(input.data, input.chunks).with_pending();
    let mut framed = FramedRead::new(reader, builder.new_codec());
    let max = framed.codec().max_frame_length();
    block_on(async {
        let mut frames_bytes = 0usize;
        while let Some(frame) = framed.next().await {
            match frame {
                Ok(frame) => {
                    assert!(frame.len() <= max);
                    frames_bytes += frame.len();
                }
                Err(_) => {
                    assert_eq!(framed.read_state(), ReadState::Errored);
                    assert!(framed.next().await.is_none());
                    break;
                }
            }
            // Memory follows what arrived: the read room grows only while reads fill it.
            assert!(framed.read_buffer().capacity() <= 2 * sent + 512 * 1024);
        }
        assert!(frames_bytes <= sent);
    });
});
