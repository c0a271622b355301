#![no_main]
//! Length-delimited round trip: whatever the format and read chunking, the frames the
//! encoder accepted decode back exactly, and the ones it refused are the ones the format
//! cannot express. Frames go in by turns as borrowed slices, as owned `Bytes` (which the
//! encoder queues uncopied behind its header from 4 KiB up), and through `encode_through`
//! (the header, then the payload handed to a write that appends it, as a framed writer's
//! transport would take it).

use amphi_codec::{Encoder, FramedRead, LengthDelimitedCodec, ReadState, WriteBuf, WriteThrough};
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
    /// Owned frames repeat their bytes `1 + stretch % 64` times, so that small inputs
    /// reach the 4 KiB from which they are queued.
    stretch: u8,
    /// The shortest payload `encode_through` writes through; shorter ones are copied.
    head_min: u8,
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
    let mut wire = WriteBuf::new();
    let mut accepted = Vec::new();
    for (k, frame) in input.frames.into_iter().enumerate() {
        let frame = if k % 3 == 1 {
            frame.repeat(1 + usize::from(input.stretch % 64))
        } else {
            frame
        };
        let before = wire.len();
        let field = frame.len() as i128 - adjustment as i128;
        let expressible = frame.len() <= max && field >= 0 && field as u128 <= field_max;
        let encoded = match k % 3 {
            0 => encoder.encode_to(&frame[..], &mut wire),
            1 => encoder.encode_to(bytes::Bytes::from(frame.clone()), &mut wire),
            _ => {
                let min = usize::from(input.head_min);
                let mut through_len = None;
                let mut write = |buf: &mut WriteBuf, payload: &[u8]| {
                    through_len = Some(payload.len());
                    buf.bytes_mut().extend_from_slice(payload);
                };
                let mut through = WriteThrough::new(min, &wire, &mut write);
                let encoded = encoder.encode_through(&frame[..], &mut wire, &mut through);
                match through_len {
                    Some(len) => assert!(encoded.is_ok() && len == frame.len() && len >= min),
                    None => assert!(encoded.is_err() || frame.len() < min),
                }
                encoded
            }
        };
        match encoded {
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
    let reader = Chunked::new(wire.into_bytes_mut().to_vec(), input.chunks);
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
