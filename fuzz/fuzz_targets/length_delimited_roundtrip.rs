#![no_main]
//! Length-delimited round trip: whatever the format and read chunking, the frames the
//! encoder accepted decode back exactly, and the ones it refused are the ones the format
//! cannot express.

use amphi_codec::{Encoder, FramedRead, LengthDelimitedCodec, ReadState};
use amphi_fuzz::Chunked;
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
    let reader = Chunked::new(wire.to_vec(), input.chunks);
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
