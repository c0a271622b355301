//! Property: any frames, cut into any chunks (with `Pending` between reads or not), decode
//! to the same frames. The transport is an in-memory chunking reader, so no reactor is
//! needed: each case runs under `futures_lite::future::block_on`.

mod support;

use amphi_codec::{
    DelimitedCodec, Encoder, FramedRead, FramedWrite, LengthDelimitedCodec, LinesCodec, ReadState,
};
use bytes::Bytes;
use futures::{SinkExt, StreamExt};
use futures_lite::future::block_on;
use proptest::prelude::*;
use support::{ChunkedReader, ChunkedWriter, length_delimited_wire};

/// A decoder from outside the crate: the driver zeroes the memory it reuses after it
/// instead of trusting it, so this runs the other branch of the read buffer's refill.
struct Foreign(LengthDelimitedCodec);

impl amphi_codec::Decoder for Foreign {
    type Item = Bytes;
    type Error = amphi_codec::LengthDelimitedError;

    fn decode(&mut self, src: &mut bytes::BytesMut) -> Result<Option<Bytes>, Self::Error> {
        self.0.decode(src)
    }

    fn frame_remaining(&self, src: &bytes::BytesMut) -> Option<usize> {
        self.0.frame_remaining(src)
    }
}

fn cases() -> u32 {
    if cfg!(miri) { 4 } else { 256 }
}

fn codec_config() -> impl Strategy<Value = (usize, bool, isize, usize)> {
    // (field width, big endian, adjustment, offset)
    (1usize..=8, any::<bool>(), -4isize..=4, 0usize..3)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases()))]

    #[test]
    fn length_delimited_round_trips(
        frames in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..300), 0..40),
        chunks in prop::collection::vec(1usize..700, 1..8),
        pending in any::<bool>(),
        (width, big, adjustment, offset) in codec_config(),
    ) {
        let builder = LengthDelimitedCodec::builder()
            .length_field_length(width)
            .length_adjustment(adjustment)
            .length_field_offset(offset)
            .num_skip(offset + width);
        let builder = if big { builder.big_endian() } else { builder.little_endian() };
        let mut encoder = builder.new_codec();
        let mut wire = bytes::BytesMut::new();
        let mut expected = Vec::new();
        for frame in &frames {
            wire.extend_from_slice(&vec![0xEE; offset]);
            if encoder.encode(&frame[..], &mut wire).is_ok() {
                expected.push(frame.clone());
            } else {
                wire.truncate(wire.len() - offset);
            }
        }
        let mut reader = ChunkedReader::new(wire.to_vec(), chunks);
        if pending {
            reader = reader.with_pending();
        }
        let got: Vec<Vec<u8>> = block_on(async {
            let mut framed = FramedRead::new(reader, builder.new_codec());
            let mut got = Vec::new();
            while let Some(frame) = framed.next().await {
                got.push(frame.unwrap().to_vec());
            }
            assert_eq!(framed.read_state(), ReadState::Eof);
            got
        });
        prop_assert_eq!(got, expected);
    }

    #[test]
    fn framed_write_sends_every_item_kind_in_order_through_any_writer(
        // Owned items from 8 KiB up are queued uncopied; the rest are copied.
        frames in prop::collection::vec(
            (prop_oneof![prop::collection::vec(any::<u8>(), 0..300), prop::collection::vec(any::<u8>(), 8100..8300), prop::collection::vec(any::<u8>(), 0..20_000)], 0u8..3),
            0..16,
        ),
        chunks in prop::collection::vec(1usize..25_000, 1..5),
        vectored in any::<bool>(),
        pending in any::<bool>(),
        mark in 0usize..20_000,
        flush_every in 1usize..6,
    ) {
        let (wire, queued_at_most) = block_on(async {
            let mut sink = FramedWrite::new(ChunkedWriter::new(chunks, vectored, pending), LengthDelimitedCodec::new());
            sink.set_high_water_mark(mark);
            let mut queued_at_most = 0;
            for (k, (frame, kind)) in frames.iter().enumerate() {
                match kind {
                    0 => sink.feed(Bytes::from(frame.clone())).await.unwrap(),
                    1 => sink.feed(bytes::BytesMut::from(&frame[..])).await.unwrap(),
                    _ => sink.feed(&frame[..]).await.unwrap(),
                }
                queued_at_most = queued_at_most.max(sink.write_buffer().queued_chunks());
                if k % flush_every == 0 {
                    SinkExt::<Bytes>::flush(&mut sink).await.unwrap();
                    prop_assert!(sink.write_buffer().is_empty());
                }
            }
            SinkExt::<Bytes>::close(&mut sink).await.unwrap();
            Ok((sink.into_inner().written, queued_at_most))
        })?;
        let plain: Vec<Vec<u8>> = frames.iter().map(|(frame, _)| frame.clone()).collect();
        prop_assert_eq!(wire, length_delimited_wire(&plain));
        // A queued chunk and the header before it: the queue never holds more than the
        // items fed since the last flush.
        prop_assert!(queued_at_most <= 2 * flush_every);
    }

    #[test]
    fn framed_write_then_read_round_trips(
        // Up to 40 KB: frames above the 8 KiB read room take the exact-read path.
        frames in prop::collection::vec(
            prop_oneof![prop::collection::vec(any::<u8>(), 0..300), prop::collection::vec(any::<u8>(), 0..40_000)],
            0..12,
        ),
        chunks in prop::collection::vec(1usize..70_000, 1..5),
        mark in 0usize..20_000,
    ) {
        let wire = block_on(async {
            let mut sink = FramedWrite::new(futures::io::Cursor::new(Vec::new()), LengthDelimitedCodec::new());
            sink.set_high_water_mark(mark);
            for frame in &frames {
                sink.send(Bytes::from(frame.clone())).await.unwrap();
            }
            sink.into_inner().into_inner()
        });
        let got: Vec<Vec<u8>> = block_on(async {
            let framed = FramedRead::new(ChunkedReader::new(wire.clone(), chunks.clone()), LengthDelimitedCodec::new());
            framed.map(|f| f.unwrap().to_vec()).collect().await
        });
        prop_assert_eq!(&got, &frames);
        // The same through a decoder of the user's, keeping every other frame alive (so
        // some memory is reclaimed and some is not): the kept frames still hold their
        // bytes at the end, so no refill wrote over memory a frame holds.
        let (got, kept): (Vec<Vec<u8>>, Vec<(usize, Bytes)>) = block_on(async {
            let mut framed = FramedRead::new(ChunkedReader::new(wire, chunks), Foreign(LengthDelimitedCodec::new()));
            let mut got = Vec::new();
            let mut kept = Vec::new();
            while let Some(frame) = framed.next().await {
                let frame = frame.unwrap();
                if got.len() % 2 == 1 {
                    kept.push((got.len(), frame.clone()));
                }
                got.push(frame.to_vec());
            }
            (got, kept)
        });
        for (index, frame) in kept {
            prop_assert_eq!(&frame[..], &frames[index][..]);
        }
        prop_assert_eq!(got, frames);
    }

    #[test]
    fn lines_round_trip(
        lines in prop::collection::vec("[^\n\r]{0,40}", 0..40),
        crlf in any::<bool>(),
        chunks in prop::collection::vec(1usize..64, 1..6),
    ) {
        let mut wire = Vec::new();
        for line in &lines {
            wire.extend_from_slice(line.as_bytes());
            wire.extend_from_slice(if crlf { b"\r\n" } else { b"\n" });
        }
        let got: Vec<String> = block_on(async {
            let framed = FramedRead::new(ChunkedReader::new(wire, chunks).with_pending(), LinesCodec::new());
            framed.map(|l| l.unwrap()).collect().await
        });
        prop_assert_eq!(got, lines);
    }

    #[test]
    fn lines_of_any_bytes_match_a_model(
        // Mostly ASCII, with bytes that make UTF-8 invalid or multi-byte, and enough `\n`,
        // so that lines of every length meet every validation path.
        data in prop::collection::vec(
            prop_oneof![
                8 => 0x20u8..0x7f,
                2 => Just(b'\n'),
                1 => Just(b'\r'),
                1 => 0x80u8..=0xff,
                1 => prop::sample::select(vec![0xc3u8, 0xa9, 0xe2, 0x82, 0xac]),
            ],
            0..1500,
        ),
        max in prop_oneof![Just(usize::MAX), 0usize..300],
        chunks in prop::collection::vec(1usize..200, 1..6),
    ) {
        // One outcome per `\n`-ended segment (and the unterminated rest): too long, or the
        // segment without a trailing `\r`, validated as UTF-8.
        let mut segments: Vec<&[u8]> = data.split(|&b| b == b'\n').collect();
        if segments.last().is_some_and(|s| s.is_empty()) {
            segments.pop();
        }
        let expected: Vec<Result<String, &str>> = segments
            .iter()
            .map(|segment| {
                if segment.len() > max {
                    return Err("too long");
                }
                let line = segment.strip_suffix(b"\r").unwrap_or(segment);
                String::from_utf8(line.to_vec()).map_err(|_| "invalid")
            })
            .collect();
        let got: Vec<Result<String, &str>> = block_on(async {
            let framed = FramedRead::new(ChunkedReader::new(data.clone(), chunks), LinesCodec::with_max_length(max));
            framed
                .map(|line| match line {
                    Ok(line) => Ok(line),
                    Err(amphi_codec::LinesError::LineTooLong { .. }) => Err("too long"),
                    Err(amphi_codec::LinesError::InvalidUtf8 { .. }) => Err("invalid"),
                    Err(err) => panic!("unexpected {err}"),
                })
                .collect()
                .await
        });
        prop_assert_eq!(got, expected);
    }

    #[test]
    fn delimited_bytes_split_like_slice_split(
        data in prop::collection::vec(prop_oneof![Just(0u8), any::<u8>()], 0..2000),
        chunks in prop::collection::vec(1usize..100, 1..6),
    ) {
        let mut expected: Vec<Vec<u8>> = data.split(|&b| b == 0).map(<[u8]>::to_vec).collect();
        // A trailing delimiter ends the last frame; no empty frame after it.
        if expected.last().is_some_and(Vec::is_empty) {
            expected.pop();
        }
        let got: Vec<Vec<u8>> = block_on(async {
            let framed = FramedRead::new(ChunkedReader::new(data.clone(), chunks), DelimitedCodec::with_max_length(0, usize::MAX));
            framed.map(|f| f.unwrap().to_vec()).collect().await
        });
        prop_assert_eq!(got, expected);
    }
}
