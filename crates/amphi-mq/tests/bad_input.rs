//! Bad clients are dropped, one by one, while a good pair of clients keeps every message.

mod common;

use std::net::Shutdown;
use std::time::Duration;

use amphi_mq::{Broker, Client, Config};
use amphi_rt::Runtime;
use async_net::TcpStream;
use futures_lite::{AsyncReadExt, AsyncWriteExt};

use common::{PATIENCE, broker, frame, publisher, recv_n, subscribers, wait_until};

/// Sends `bytes` on a fresh connection, optionally half-closes, and waits until the broker
/// closes the connection.
async fn misbehave(broker: &Broker, bytes: &[u8], half_close: bool) {
    let mut raw = TcpStream::connect(broker.local_addr())
        .await
        .expect("connect");
    raw.write_all(bytes).await.expect("write");
    raw.flush().await.expect("flush");
    if half_close {
        raw.shutdown(Shutdown::Write).expect("half-close");
    }
    let mut sink = Vec::new();
    let closed = amphi_rt::timeout(PATIENCE, raw.read_to_end(&mut sink)).await;
    assert!(closed.is_ok(), "the broker should close a bad connection");
}

/// One message from the good publisher reaches the good subscriber.
async fn still_works(good_pub: &mut Client, good_sub: &mut Client, n: usize) {
    let msg = format!("still working {n}");
    good_pub
        .publish("/topic/good", msg.as_bytes())
        .await
        .expect("publish");
    good_pub.flush().await.expect("flush");
    assert_eq!(recv_n(good_sub, 1).await, vec![msg.into_bytes()]);
}

async fn bad_clients_count(broker: &Broker, rt: &Runtime, want: u64) {
    wait_until(rt, "the bad-client count", || {
        broker.stats().bad_clients == want
    })
    .await;
}

#[test]
fn bad_frames_drop_only_their_sender() {
    amphi_test::run(|rt| async move {
        let broker = broker(Config::default(), &rt).await;
        let mut good_sub = subscribers(&broker, &rt, "/topic/good", 1).await.remove(0);
        let mut good_pub = publisher(&broker, &rt).await;
        still_works(&mut good_pub, &mut good_sub, 0).await;

        // An oversized length as the very first frame.
        misbehave(&broker, &u32::MAX.to_be_bytes(), false).await;
        bad_clients_count(&broker, &rt, 1).await;
        still_works(&mut good_pub, &mut good_sub, 1).await;

        // An oversized payload after a valid subscription and channel name.
        let mut bytes = frame(b"/null");
        bytes.extend(frame(b"/topic/good"));
        bytes.extend_from_slice(&(2 * 1024 * 1024u32).to_be_bytes());
        misbehave(&broker, &bytes, false).await;
        bad_clients_count(&broker, &rt, 2).await;
        still_works(&mut good_pub, &mut good_sub, 2).await;

        // Garbage: an HTTP request (its first four bytes read as a 1.2 GB length).
        misbehave(&broker, b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n", false).await;
        bad_clients_count(&broker, &rt, 3).await;
        still_works(&mut good_pub, &mut good_sub, 3).await;

        // Garbage that frames well but names a 4000-byte channel.
        misbehave(&broker, &frame(&[0xab; 4000]), false).await;
        bad_clients_count(&broker, &rt, 4).await;
        still_works(&mut good_pub, &mut good_sub, 4).await;

        // A truncated frame: a 100-byte length, 10 bytes, then the end.
        let mut bytes = frame(b"/null");
        bytes.extend_from_slice(&100u32.to_be_bytes());
        bytes.extend_from_slice(&[1; 10]);
        misbehave(&broker, &bytes, true).await;
        bad_clients_count(&broker, &rt, 5).await;
        still_works(&mut good_pub, &mut good_sub, 5).await;

        // Disconnecting mid-frame in the middle of a payload to the good channel.
        let mut bytes = frame(b"/null");
        bytes.extend(frame(b"/topic/good"));
        bytes.extend_from_slice(&50u32.to_be_bytes());
        bytes.extend_from_slice(b"half");
        misbehave(&broker, &bytes, true).await;
        bad_clients_count(&broker, &rt, 6).await;
        still_works(&mut good_pub, &mut good_sub, 6).await;

        // Disconnecting between a channel name and its payload.
        let mut bytes = frame(b"/null");
        bytes.extend(frame(b"/topic/good"));
        misbehave(&broker, &bytes, true).await;
        bad_clients_count(&broker, &rt, 7).await;
        still_works(&mut good_pub, &mut good_sub, 7).await;

        wait_until(&rt, "only the good pair to be left", || {
            broker.stats().clients == 2
        })
        .await;
        wait_until(&rt, "the delivered count", || broker.stats().delivered >= 8).await;
        let stats = broker.stats();
        assert_eq!(
            stats.delivered, 8,
            "no partial message was delivered: {stats}"
        );
        assert_eq!(
            stats.published, 8,
            "no partial message was published: {stats}"
        );
        broker.shutdown().await;
    });
}

#[test]
fn a_client_that_never_reads_is_dropped_after_the_write_timeout() {
    amphi_test::run(|rt| async move {
        let config = Config {
            write_timeout: Duration::from_millis(300),
            queue_capacity: 16,
            ..Config::default()
        };
        let broker = broker(config, &rt).await;
        // Subscribes, then never reads.
        let mut deaf = TcpStream::connect(broker.local_addr())
            .await
            .expect("connect");
        deaf.write_all(&frame(b"/topic/flood"))
            .await
            .expect("subscribe");
        let mut good = subscribers(&broker, &rt, "/topic/flood", 1).await.remove(0);
        wait_until(&rt, "both subscriptions", || {
            broker.stats().subscribers == 2
        })
        .await;
        let mut publisher = publisher(&broker, &rt).await;

        let payload = vec![7u8; 64 * 1024];
        let deadline = std::time::Instant::now() + PATIENCE;
        while broker.stats().stalled_writes == 0 {
            let stats = broker.stats();
            assert!(
                std::time::Instant::now() < deadline,
                "the deaf client was never dropped: {stats}"
            );
            for _ in 0..8 {
                publisher
                    .publish("/topic/flood", &payload)
                    .await
                    .expect("publish");
            }
            publisher.flush().await.expect("flush");
            recv_n(&mut good, 8).await;
            rt.sleep(Duration::from_millis(5)).await;
        }
        wait_until(&rt, "the deaf client to go", || broker.stats().clients == 2).await;
        // Its memory went with it: its queue is gone, the good subscriber still gets everything.
        publisher
            .publish("/topic/flood", b"after")
            .await
            .expect("publish");
        publisher.flush().await.expect("flush");
        assert_eq!(recv_n(&mut good, 1).await, vec![b"after".to_vec()]);
        drop(deaf);
        broker.shutdown().await;
    });
}
