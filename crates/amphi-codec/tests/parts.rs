//! Switching codecs mid-stream keeps buffered bytes; `into_inner` drops them.

mod support;

use amphi_codec::{BytesCodec, Framed, FramedParts, FramedRead, LengthDelimitedCodec, LinesCodec};
use bytes::Bytes;
use futures::{SinkExt, StreamExt};

#[test]
fn handshake_in_lines_then_frames_without_losing_bytes() {
    amphi_test::run(|_rt| async move {
        // Everything arrives in one read: the switch point is inside the buffer.
        let mut wire = b"HELLO v1\r\n".to_vec();
        for frame in [&b"one"[..], b"two", b""] {
            wire.extend_from_slice(&(frame.len() as u32).to_be_bytes());
            wire.extend_from_slice(frame);
        }
        let mut lines = FramedRead::new(&wire[..], LinesCodec::new());
        assert_eq!(lines.next().await.unwrap().unwrap(), "HELLO v1");
        let parts = lines.into_parts();
        assert_eq!(parts.read_buf.len(), 7 + 7 + 4);
        let mut frames = FramedRead::from_parts(FramedParts::new_with_buffers(
            parts.io,
            LengthDelimitedCodec::new(),
            parts.read_buf,
            parts.write_buf,
        ));
        let mut got = Vec::new();
        while let Some(frame) = frames.next().await {
            got.push(frame.unwrap());
        }
        assert_eq!(
            got,
            [
                Bytes::from_static(b"one"),
                Bytes::from_static(b"two"),
                Bytes::new()
            ]
        );
    });
}

#[test]
fn map_codec_keeps_both_buffers() {
    amphi_test::run(|_rt| async move {
        let io = futures::io::Cursor::new(b"line\nrest".to_vec());
        let mut framed = Framed::new(io, LinesCodec::new());
        assert_eq!(framed.next().await.unwrap().unwrap(), "line");
        framed
            .send("queued")
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let mut raw = framed.map_codec(|_| BytesCodec::new());
        assert_eq!(&raw.next().await.unwrap().unwrap()[..], b"rest");
    });
}

#[test]
fn into_parts_keeps_unwritten_bytes_and_into_inner_drops_them() {
    let mut framed = Framed::new(
        futures::io::Cursor::new(Vec::new()),
        LengthDelimitedCodec::new(),
    );
    framed.set_high_water_mark(1 << 20);
    futures_lite::future::block_on(framed.feed(Bytes::from_static(b"kept"))).unwrap();
    let parts = framed.into_parts();
    assert_eq!(&parts.write_buf[..], b"\x00\x00\x00\x04kept");
    assert!(parts.io.get_ref().is_empty());

    let mut framed = Framed::new(
        futures::io::Cursor::new(Vec::new()),
        LengthDelimitedCodec::new(),
    );
    futures_lite::future::block_on(framed.feed(Bytes::from_static(b"lost"))).unwrap();
    assert!(
        framed.into_inner().get_ref().is_empty(),
        "documented: buffered bytes are dropped"
    );
}

#[test]
fn into_parts_keeps_queued_chunks_in_order() {
    let mut framed = Framed::new(
        futures::io::Cursor::new(Vec::new()),
        LengthDelimitedCodec::new(),
    );
    framed.set_high_water_mark(1 << 20);
    let big = Bytes::from(vec![7u8; 10_000]);
    futures_lite::future::block_on(async {
        framed.feed(Bytes::from_static(b"a")).await.unwrap();
        framed.feed(big.clone()).await.unwrap();
        framed.feed(Bytes::from_static(b"b")).await.unwrap();
    });
    // The 10000-byte payload waits uncopied, between the bytes encoded around it.
    assert_eq!(framed.write_buffer().queued_chunks(), 2);
    let parts = framed.into_parts();
    let mut expected = b"\x00\x00\x00\x01a\x00\x00\x27\x10".to_vec();
    expected.extend_from_slice(&big);
    expected.extend_from_slice(b"\x00\x00\x00\x01b");
    assert_eq!(&parts.write_buf[..], &expected[..]);
}

/// The whole next-protocol frame is already buffered when the codec is switched, and the
/// peer sends nothing more until it gets a reply: the frame must come from the buffer.
#[test]
fn map_codec_decodes_what_is_buffered_without_more_input() {
    amphi_test::run(|_rt| async move {
        let mut lines = FramedRead::new(
            support::Stalling::new(b"\x00\x00\x00\x03abc"),
            LinesCodec::new(),
        );
        assert!(
            futures_lite::future::poll_once(lines.next())
                .await
                .is_none()
        );
        let mut frames = lines.map_codec(|_| LengthDelimitedCodec::new());
        let frame = futures_lite::future::poll_once(frames.next()).await;
        assert_eq!(
            frame.map(|f| f.map(|f| f.unwrap())),
            Some(Some(Bytes::from_static(b"abc")))
        );

        // The same through `Framed`.
        let mut lines = Framed::new(
            support::Stalling::new(b"\x00\x00\x00\x02hi"),
            LinesCodec::new(),
        );
        assert!(
            futures_lite::future::poll_once(lines.next())
                .await
                .is_none()
        );
        let mut frames = lines.map_codec(|_| LengthDelimitedCodec::new());
        let frame = futures_lite::future::poll_once(frames.next()).await;
        assert_eq!(
            frame.map(|f| f.map(|f| f.unwrap())),
            Some(Some(Bytes::from_static(b"hi")))
        );
    });
}

/// Bytes put into the read buffer by hand are framed on the next poll, and a line codec
/// that had scanned the buffer before the edit finds a delimiter put inside what it
/// scanned.
#[test]
fn edits_through_read_buffer_mut_are_decoded_at_once() {
    amphi_test::run(|_rt| async move {
        let mut lines = FramedRead::new(support::Stalling::new(b"partial"), LinesCodec::new());
        assert!(
            futures_lite::future::poll_once(lines.next())
                .await
                .is_none()
        );
        lines.read_buffer_mut().extend_from_slice(b"\n");
        let line = futures_lite::future::poll_once(lines.next()).await;
        assert_eq!(
            line.map(|l| l.map(|l| l.unwrap())),
            Some(Some("partial".to_string()))
        );

        // Scanned "abcdef" (no delimiter); the caller rewrites the buffer to the same
        // length with a delimiter inside the scanned part.
        let mut lines = FramedRead::new(support::Stalling::new(b"abcdef"), LinesCodec::new());
        assert!(
            futures_lite::future::poll_once(lines.next())
                .await
                .is_none()
        );
        let buf = lines.read_buffer_mut();
        buf.truncate(2);
        buf.extend_from_slice(b"\ncdef\n");
        let first = futures_lite::future::poll_once(lines.next()).await;
        assert_eq!(
            first.map(|l| l.map(|l| l.unwrap())),
            Some(Some("ab".to_string()))
        );
        let second = futures_lite::future::poll_once(lines.next()).await;
        assert_eq!(
            second.map(|l| l.map(|l| l.unwrap())),
            Some(Some("cdef".to_string()))
        );
    });
}

/// A decoder used directly, whose buffer the caller advances between calls: the
/// delimiter that arrives next is found, not skipped over.
#[test]
fn a_splitter_rescans_a_buffer_that_was_advanced() {
    use amphi_codec::{Decoder, DelimitedCodec};
    use bytes::{Buf, BytesMut};

    let mut codec = DelimitedCodec::new(b'\n');
    let mut buf = BytesMut::from(&b"abcdef"[..]);
    assert!(codec.decode(&mut buf).unwrap().is_none());
    buf.advance(3);
    buf.extend_from_slice(b"\nghi\n");
    assert_eq!(
        codec.decode(&mut buf).unwrap(),
        Some(Bytes::from_static(b"def"))
    );
    assert_eq!(
        codec.decode(&mut buf).unwrap(),
        Some(Bytes::from_static(b"ghi"))
    );
}
