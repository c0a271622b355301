//! Switching codecs mid-stream keeps buffered bytes; `into_inner` drops them.

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
