//! Hostile and broken input: typed errors naming the limit or offset, no panic, bounded
//! memory, a documented state afterwards. Every test runs on every runtime.

mod support;

use amphi_codec::{
    DelimitedCodec, DelimitedError, FramedRead, LengthDelimitedCodec, LengthDelimitedError,
    LinesCodec, LinesError, ReadState,
};
use futures::StreamExt;
use futures::stream::FusedStream;
use support::{ChunkedReader, length_delimited_wire};

#[test]
fn oversized_length_is_refused_before_buffering() {
    amphi_test::run(|_rt| async move {
        // Announces 4 GiB - 1 and then sends 10 bytes.
        let mut wire = vec![0xFF, 0xFF, 0xFF, 0xFF];
        wire.extend_from_slice(&[0; 10]);
        let mut framed = FramedRead::new(
            ChunkedReader::new(wire, vec![3]),
            LengthDelimitedCodec::new(),
        );
        match framed.next().await {
            Some(Err(LengthDelimitedError::FrameTooLong {
                offset: 0,
                length,
                max,
            })) => {
                assert_eq!(length, u64::from(u32::MAX));
                assert_eq!(max, 8 * 1024 * 1024);
            }
            other => panic!("expected FrameTooLong, got {other:?}"),
        }
        assert!(framed.next().await.is_none());
        assert!(framed.is_terminated());
        assert_eq!(framed.read_state(), ReadState::Errored);
    });
}

#[test]
fn a_claimed_length_does_not_reserve_memory() {
    amphi_test::run(|_rt| async move {
        // Claims 8 MiB (allowed) and sends 100 bytes, then ends.
        let mut wire = (8u32 * 1024 * 1024).to_be_bytes().to_vec();
        wire.extend_from_slice(&[1; 100]);
        let mut framed = FramedRead::new(
            ChunkedReader::new(wire, vec![50]).with_pending(),
            LengthDelimitedCodec::new(),
        );
        let err = framed.next().await.unwrap().unwrap_err();
        assert!(
            matches!(err, LengthDelimitedError::Truncated { offset: 0, expected, received: 104 } if expected == 8 * 1024 * 1024 + 4),
            "{err:?}"
        );
        // Only the read room was ever allocated.
        assert!(
            framed.read_buffer().capacity() <= 64 * 1024,
            "{}",
            framed.read_buffer().capacity()
        );
        assert_eq!(framed.read_state(), ReadState::Errored);
    });
}

#[test]
fn max_frame_is_checked_after_the_adjustment() {
    amphi_test::run(|_rt| async move {
        // tokio#4815: the field says 10, the adjustment adds 100, the limit is 50.
        let codec = LengthDelimitedCodec::builder()
            .length_field_length(2)
            .length_adjustment(100)
            .max_frame_length(50)
            .new_codec();
        let wire = [0, 10, 1, 2, 3];
        let mut framed = FramedRead::new(&wire[..], codec);
        let err = framed.next().await.unwrap().unwrap_err();
        assert!(
            matches!(
                err,
                LengthDelimitedError::FrameTooLong {
                    length: 110,
                    max: 50,
                    ..
                }
            ),
            "{err:?}"
        );
    });
}

#[test]
fn negative_length_after_adjustment_is_an_error() {
    amphi_test::run(|_rt| async move {
        let codec = LengthDelimitedCodec::builder()
            .length_field_length(1)
            .length_adjustment(-5)
            .new_codec();
        let wire = [3, 0, 0, 0];
        let mut framed = FramedRead::new(&wire[..], codec);
        let err = framed.next().await.unwrap().unwrap_err();
        assert!(
            matches!(
                err,
                LengthDelimitedError::LengthOutOfRange {
                    offset: 0,
                    field: 3,
                    adjustment: -5
                }
            ),
            "{err:?}"
        );
        assert!(err.to_string().contains("offset 0"));
    });
}

#[test]
fn truncated_frame_at_eof_names_its_offset() {
    amphi_test::run(|_rt| async move {
        let mut wire = length_delimited_wire(&[b"first".to_vec()]);
        wire.extend_from_slice(&[0, 0, 0, 9, b'x', b'y']);
        let mut framed = FramedRead::new(
            ChunkedReader::one_byte_at_a_time(wire),
            LengthDelimitedCodec::new(),
        );
        assert_eq!(&framed.next().await.unwrap().unwrap()[..], b"first");
        let err = framed.next().await.unwrap().unwrap_err();
        assert!(
            matches!(
                err,
                LengthDelimitedError::Truncated {
                    offset: 9,
                    expected: 13,
                    received: 6
                }
            ),
            "{err:?}"
        );
        assert!(framed.next().await.is_none());
        assert_eq!(framed.read_state(), ReadState::Errored);
    });
}

#[test]
fn truncated_header_at_eof() {
    amphi_test::run(|_rt| async move {
        let wire = [0, 0];
        let mut framed = FramedRead::new(&wire[..], LengthDelimitedCodec::new());
        let err = framed.next().await.unwrap().unwrap_err();
        assert!(
            matches!(
                err,
                LengthDelimitedError::Truncated {
                    offset: 0,
                    expected: 4,
                    received: 2
                }
            ),
            "{err:?}"
        );
    });
}

#[test]
fn reader_error_mid_frame_terminates_the_stream() {
    amphi_test::run(|_rt| async move {
        let wire = length_delimited_wire(&[vec![1; 10], vec![2; 1000]]);
        let reader = ChunkedReader::new(wire, vec![7]).failing_after(500);
        let mut framed = FramedRead::new(reader, LengthDelimitedCodec::new());
        assert_eq!(framed.next().await.unwrap().unwrap().len(), 10);
        match framed.next().await {
            Some(Err(LengthDelimitedError::Io(err))) => {
                assert_eq!(err.kind(), std::io::ErrorKind::ConnectionReset);
            }
            other => panic!("expected an I/O error, got {other:?}"),
        }
        // Terminated: no `None` followed by more frames (tokio#3976).
        for _ in 0..3 {
            assert!(framed.next().await.is_none());
        }
        assert_eq!(framed.read_state(), ReadState::Errored);
    });
}

#[test]
fn invalid_utf8_names_the_byte_and_lines_go_on() {
    amphi_test::run(|_rt| async move {
        let wire = b"good\nba\xFFd\nafter\n".to_vec();
        let mut lines = FramedRead::new(ChunkedReader::one_byte_at_a_time(wire), LinesCodec::new());
        assert_eq!(lines.next().await.unwrap().unwrap(), "good");
        let err = lines.next().await.unwrap().unwrap_err();
        assert!(
            matches!(
                err,
                LinesError::InvalidUtf8 {
                    offset: 5,
                    valid_up_to: 2
                }
            ),
            "{err:?}"
        );
        assert_eq!(err.byte_offset(), Some(7));
        assert_eq!(lines.read_state(), ReadState::Open);
        assert_eq!(lines.next().await.unwrap().unwrap(), "after");
        assert!(lines.next().await.is_none());
        assert_eq!(lines.read_state(), ReadState::Eof);
    });
}

#[test]
fn overlong_line_is_skipped_and_memory_stays_bounded() {
    amphi_test::run(|_rt| async move {
        let mut wire = b"short\r\n".to_vec();
        wire.extend(std::iter::repeat_n(b'x', 1 << 20));
        wire.extend_from_slice(b"\nnext\n");
        let mut lines = FramedRead::new(
            ChunkedReader::new(wire, vec![4096, 1, 333]),
            LinesCodec::with_max_length(100),
        );
        assert_eq!(lines.next().await.unwrap().unwrap(), "short");
        let err = lines.next().await.unwrap().unwrap_err();
        assert!(
            matches!(
                err,
                LinesError::LineTooLong {
                    offset: 7,
                    max: 100
                }
            ),
            "{err:?}"
        );
        assert_eq!(lines.next().await.unwrap().unwrap(), "next");
        assert!(lines.read_buffer().capacity() < 600 * 1024);
        assert!(lines.next().await.is_none());
    });
}

#[test]
fn delimited_frames_with_any_byte() {
    amphi_test::run(|_rt| async move {
        let wire = b"a;bb;;toolong;c".to_vec();
        let mut frames = FramedRead::new(
            ChunkedReader::one_byte_at_a_time(wire),
            DelimitedCodec::with_max_length(b';', 3),
        );
        let mut got = Vec::new();
        while let Some(frame) = frames.next().await {
            match frame {
                Ok(frame) => got.push(String::from_utf8(frame.to_vec()).unwrap()),
                Err(DelimitedError::FrameTooLong { offset, max: 3 }) => {
                    got.push(format!("<too long at {offset}>"))
                }
                Err(err) => panic!("{err:?}"),
            }
        }
        assert_eq!(got, ["a", "bb", "", "<too long at 6>", "c"]);
    });
}

#[test]
fn one_byte_reads_give_the_same_frames() {
    amphi_test::run(|_rt| async move {
        let frames: Vec<Vec<u8>> = (0..50).map(|i| vec![i as u8; i * 3]).collect();
        let wire = length_delimited_wire(&frames);
        let mut framed = FramedRead::new(
            ChunkedReader::one_byte_at_a_time(wire).with_pending(),
            LengthDelimitedCodec::new(),
        );
        for expected in &frames {
            assert_eq!(&framed.next().await.unwrap().unwrap()[..], &expected[..]);
        }
        assert!(framed.next().await.is_none());
        assert_eq!(framed.read_state(), ReadState::Eof);
    });
}

#[test]
fn encoder_refuses_what_the_field_cannot_express() {
    use amphi_codec::{Encoder, LengthDelimitedEncodeError};
    let mut one_byte = LengthDelimitedCodec::builder()
        .length_field_length(1)
        .new_codec();
    // Clamped to the field's range.
    assert_eq!(one_byte.max_frame_length(), 255);
    let mut dst = bytes::BytesMut::new();
    one_byte.encode(&[7u8; 255][..], &mut dst).unwrap();
    assert_eq!(dst.len(), 256);
    let err = one_byte.encode(&[7u8; 256][..], &mut dst).unwrap_err();
    assert!(
        matches!(
            err,
            LengthDelimitedEncodeError::ItemTooLong {
                length: 256,
                max: 255
            }
        ),
        "{err:?}"
    );
    assert_eq!(dst.len(), 256, "nothing written on error");
    // A positive adjustment: an item shorter than it cannot be framed.
    let mut adjusted = LengthDelimitedCodec::builder()
        .length_adjustment(4)
        .new_codec();
    assert!(adjusted.encode(&[1u8; 3][..], &mut dst).is_err());
    // Over the configured maximum.
    let mut small = LengthDelimitedCodec::builder()
        .max_frame_length(10)
        .new_codec();
    assert!(small.encode(&[0u8; 11][..], &mut dst).is_err());
}

#[test]
fn every_field_width_and_endianness_round_trips() {
    use amphi_codec::{Decoder, Encoder};
    for width in 1..=8usize {
        for big in [true, false] {
            let builder = LengthDelimitedCodec::builder()
                .length_field_length(width)
                .length_field_offset(2)
                .num_skip(2 + width);
            let mut codec = if big {
                builder.big_endian()
            } else {
                builder.little_endian()
            }
            .new_codec();
            let item = vec![9u8; 200.min(codec.max_frame_length())];
            let mut dst = bytes::BytesMut::new();
            dst.extend_from_slice(b"hd"); // the offset bytes, written by the caller
            codec.encode(&item[..], &mut dst).unwrap();
            assert_eq!(
                &codec.decode(&mut dst).unwrap().unwrap()[..],
                &item[..],
                "width {width} big {big}"
            );
        }
    }
}

#[test]
fn a_frame_ending_inside_its_header_is_an_error_not_a_loop() {
    amphi_test::run(|_rt| async move {
        // num_skip(0) keeps the header in the frame; a length of 0 would re-read it forever.
        let codec = LengthDelimitedCodec::builder().num_skip(0).new_codec();
        let wire = [0u8, 0, 0, 0];
        let mut framed = FramedRead::new(&wire[..], codec);
        let err = framed.next().await.unwrap().unwrap_err();
        assert!(
            matches!(err, LengthDelimitedError::LengthOutOfRange { field: 0, .. }),
            "{err:?}"
        );
        assert!(framed.next().await.is_none());
    });
}

#[test]
fn encoder_refuses_everything_when_no_length_is_expressible() {
    use amphi_codec::{Encoder, LengthDelimitedEncodeError};
    // A 1-byte field with an adjustment of -300: every field value would exceed 255.
    let mut codec = LengthDelimitedCodec::builder()
        .length_field_length(1)
        .length_adjustment(-300)
        .new_codec();
    let mut dst = bytes::BytesMut::new();
    for len in [0usize, 1, 255] {
        let err = codec.encode(&vec![0u8; len][..], &mut dst).unwrap_err();
        assert!(
            matches!(err, LengthDelimitedEncodeError::ItemTooLong { max: 0, .. }),
            "{err:?}"
        );
    }
    let mut short = LengthDelimitedCodec::builder()
        .length_adjustment(4)
        .new_codec();
    let err = short.encode(&[1u8; 3][..], &mut dst).unwrap_err();
    assert!(
        matches!(
            err,
            LengthDelimitedEncodeError::ItemTooShort { length: 3, min: 4 }
        ),
        "{err:?}"
    );
    assert!(dst.is_empty());
}

#[test]
fn the_encoder_follows_a_maximum_changed_after_construction() {
    use amphi_codec::{Encoder, LengthDelimitedEncodeError};
    let mut codec = LengthDelimitedCodec::new();
    let mut dst = bytes::BytesMut::new();
    // Shrunk: the default format's fast path refuses what the new maximum forbids, short
    // items (fixed-size moves) and long ones (one copy) alike.
    codec.set_max_frame_length(10);
    codec.encode(&[1u8; 10][..], &mut dst).unwrap();
    assert_eq!(&dst[..4], &10u32.to_be_bytes());
    for len in [11usize, 40, 5000] {
        let err = codec.encode(&vec![2u8; len][..], &mut dst).unwrap_err();
        assert!(
            matches!(err, LengthDelimitedEncodeError::ItemTooLong { length, max: 10 } if length == len),
            "{err:?}"
        );
    }
    assert_eq!(dst.len(), 14, "nothing written on error");
    // Grown again: accepted, and framed as before.
    codec.set_max_frame_length(8 * 1024 * 1024);
    codec.encode(&vec![3u8; 5000][..], &mut dst).unwrap();
    assert_eq!(dst.len(), 14 + 4 + 5000);
    assert_eq!(&dst[14..18], &5000u32.to_be_bytes());
    // Zero: only empty items.
    codec.set_max_frame_length(0);
    codec.encode(&[][..], &mut dst).unwrap();
    assert!(codec.encode(&[4u8][..], &mut dst).is_err());
    assert_eq!(&dst[dst.len() - 4..], &0u32.to_be_bytes());
}

/// "No limit" (`usize::MAX`) with an 8-byte field: a header claiming nearly 2^64 bytes is
/// a frame that waits for its bytes like any other, not an overflow.
#[test]
fn a_maximum_of_usize_max_survives_the_largest_length() {
    use amphi_codec::Decoder;
    use bytes::BytesMut;

    for skip in [None, Some(0), Some(3)] {
        let mut builder = LengthDelimitedCodec::builder()
            .length_field_length(8)
            .max_frame_length(usize::MAX);
        if let Some(skip) = skip {
            builder = builder.num_skip(skip);
        }
        let mut codec = builder.new_codec();
        let mut buf =
            BytesMut::from(&[0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 1, 2, 3][..]);
        assert!(
            matches!(codec.decode(&mut buf), Ok(None) | Err(_)),
            "skip {skip:?}"
        );
        assert!(
            codec.decode_eof(&mut buf).is_err(),
            "skip {skip:?}: truncated at end"
        );
    }
}

/// A decoder of the user's that claims to need `usize::MAX` more bytes: the driver reads
/// what arrives, with bounded room, and never overflows.
#[test]
fn a_huge_frame_remaining_hint_is_only_a_hint() {
    #[derive(Debug)]
    struct Greedy;
    impl amphi_codec::Decoder for Greedy {
        type Item = usize;
        type Error = std::io::Error;
        fn decode(&mut self, src: &mut bytes::BytesMut) -> std::io::Result<Option<usize>> {
            // A frame is 20 000 bytes.
            if src.len() < 20_000 {
                return Ok(None);
            }
            let _ = src.split_to(20_000);
            Ok(Some(20_000))
        }
        fn frame_remaining(&self, _src: &bytes::BytesMut) -> Option<usize> {
            Some(usize::MAX)
        }
    }
    amphi_test::run(|_rt| async move {
        let input = vec![5u8; 100_000];
        let mut framed = FramedRead::new(ChunkedReader::new(input, vec![3000, 1, 7000]), Greedy);
        let mut total = 0;
        while let Some(n) = framed.next().await {
            total += n.unwrap();
        }
        assert_eq!(total, 100_000);
    });
}
