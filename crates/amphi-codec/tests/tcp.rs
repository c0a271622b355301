//! Framed streams over real TCP on loopback (async-net), on every runtime.

use amphi_codec::{Framed, LengthDelimitedCodec, ReadState};
use async_net::{TcpListener, TcpStream};
use bytes::Bytes;
use futures::{SinkExt, StreamExt};

#[test]
fn length_delimited_over_loopback_tcp() {
    amphi_test::run(|rt| async move {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let frames = 300usize;
        // Echo server: every frame back, reversed.
        let server = rt.spawn(async move {
            let (stream, _) = listener.accept().await.unwrap();
            let mut conn = Framed::new(stream, LengthDelimitedCodec::new());
            let mut echoed = 0usize;
            while let Some(frame) = conn.next().await {
                let mut frame = frame.unwrap().to_vec();
                frame.reverse();
                conn.send(Bytes::from(frame)).await.unwrap();
                echoed += 1;
            }
            echoed
        });
        let stream = TcpStream::connect(addr).await.unwrap();
        let mut client = Framed::new(stream, LengthDelimitedCodec::new());
        for i in 0..frames {
            // Up to 200 KiB, so frames span many reads.
            let len = (i * 7919) % (200 * 1024);
            let frame: Vec<u8> = (0..len).map(|j| (i + j) as u8).collect();
            if i % 2 == 0 {
                client.send(Bytes::from(frame.clone())).await.unwrap();
            } else {
                // Borrowed: from 16 KiB up, written through to the socket when it takes it.
                client.send(&frame[..]).await.unwrap();
            }
            let back = client.next().await.unwrap().unwrap();
            let mut expected = frame;
            expected.reverse();
            assert_eq!(back[..], expected[..], "frame {i} on {}", rt.name());
        }
        SinkExt::<Bytes>::close(&mut client).await.unwrap();
        assert!(client.next().await.is_none());
        assert_eq!(client.read_state(), ReadState::Eof);
        assert_eq!(server.await.unwrap(), frames);
    });
}
