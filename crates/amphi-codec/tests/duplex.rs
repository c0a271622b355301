//! Framed streams over an in-memory duplex pipe, on every runtime.

use amphi_codec::{Framed, LengthDelimitedCodec, LinesCodec, ReadState};
use bytes::Bytes;
use futures::{SinkExt, StreamExt};
use tokio_util::compat::TokioAsyncReadCompatExt;

#[test]
fn length_delimited_frames_cross_a_duplex_pipe() {
    amphi_test::run(|rt| async move {
        // A small pipe, so the writer waits for the reader many times.
        let (a, b) = tokio::io::duplex(1024);
        let count = 500usize;
        let writer = rt.spawn(async move {
            let mut out = Framed::new(a.compat(), LengthDelimitedCodec::new());
            for i in 0..count {
                let frame = Bytes::from(vec![i as u8; i * 7 % 3000]);
                out.send(frame).await.unwrap();
            }
            SinkExt::<Bytes>::close(&mut out).await.unwrap();
        });
        let mut input = Framed::new(b.compat(), LengthDelimitedCodec::new());
        let mut got = 0usize;
        while let Some(frame) = input.next().await {
            let frame = frame.unwrap();
            assert_eq!(frame.len(), got * 7 % 3000, "on {}", rt.name());
            assert!(frame.iter().all(|&x| x == got as u8));
            got += 1;
        }
        assert_eq!(got, count);
        assert_eq!(input.read_state(), ReadState::Eof);
        writer.await.unwrap();
    });
}

#[test]
fn long_borrowed_frames_cross_a_small_pipe() {
    amphi_test::run(|rt| async move {
        // Borrowed payloads from 16 KiB up go straight to the transport as far as it takes
        // them: through `compat` (one slice per write) and a 1 KiB pipe, that is a bit of
        // each payload, the rest buffered.
        let (a, b) = tokio::io::duplex(1024);
        let count = 60usize;
        let len = |i: usize| i * 977 % 50_000;
        let writer = rt.spawn(async move {
            let mut out = Framed::new(a.compat(), LengthDelimitedCodec::new());
            for i in 0..count {
                let frame = vec![i as u8; len(i)];
                out.send(&frame[..]).await.unwrap();
            }
            SinkExt::<&[u8]>::close(&mut out).await.unwrap();
        });
        let mut input = Framed::new(b.compat(), LengthDelimitedCodec::new());
        let mut got = 0usize;
        while let Some(frame) = input.next().await {
            let frame = frame.unwrap();
            assert_eq!(frame.len(), len(got), "on {}", rt.name());
            assert!(frame.iter().all(|&x| x == got as u8));
            got += 1;
        }
        assert_eq!(got, count);
        writer.await.unwrap();
    });
}

#[test]
fn lines_echo_both_ways_over_one_pipe() {
    amphi_test::run(|rt| async move {
        let (a, b) = tokio::io::duplex(256);
        let server = rt.spawn(async move {
            let mut conn = Framed::new(b.compat(), LinesCodec::new());
            while let Some(line) = conn.next().await {
                let line = line.unwrap();
                conn.send(line.to_uppercase()).await.unwrap();
            }
        });
        let mut client = Framed::new(a.compat(), LinesCodec::new());
        for word in ["alpha", "beta", "gamma"] {
            client.send(word).await.unwrap();
            assert_eq!(client.next().await.unwrap().unwrap(), word.to_uppercase());
        }
        SinkExt::<String>::close(&mut client).await.unwrap();
        drop(client);
        server.await.unwrap();
    });
}
