//! Channels are freed once idle (no subscriber, no message), and come back on next use with
//! nothing lost: a publisher that still holds a freed channel routes again, and a work queue's
//! messages outlive the worker that left.

mod common;

use std::collections::BTreeSet;
use std::time::Duration;

use amphi_mq::{BlockingClient, Broker, Client, Config};
use amphi_rt::Runtime;

use common::{PATIENCE, broker, publisher, recv_n, subscribers, wait_until};

/// Waits until the broker holds `n` channels.
async fn channels(broker: &Broker, rt: &Runtime, n: u64) {
    wait_until(rt, &format!("{n} channels"), || {
        broker.stats().channels == n
    })
    .await;
}

/// Publishes each of `messages` to `channel`, then flushes.
async fn send(client: &mut Client, channel: &str, messages: &[&[u8]]) {
    for msg in messages {
        client.publish(channel, msg).await.unwrap();
    }
    client.flush().await.unwrap();
}

/// Says goodbye and keeps reading: every message the broker had queued for this client
/// arrives before it closes the connection (`Client::goodbye_and_wait` discards them).
async fn leave(mut client: Client, got: &mut Vec<Vec<u8>>) {
    // An empty channel name is the goodbye; the payload after it is never read.
    client.publish("", b"").await.unwrap();
    client.flush().await.unwrap();
    let rest = async {
        while let Some(msg) = client.recv().await.unwrap() {
            got.push(msg.to_vec());
        }
    };
    amphi_rt::timeout(PATIENCE, rest)
        .await
        .expect("the broker closes a connection that said goodbye");
}

/// Topics named once each, one after another, with `max_channels` 3: each is freed when its
/// subscriber leaves, so the 4th and later got `TooManyChannels` (and the client was dropped)
/// while channels lived until shutdown.
#[test]
fn a_topic_is_freed_when_its_last_subscriber_leaves() {
    amphi_test::run(|rt| async move {
        let config = Config {
            max_channels: 3,
            ..Config::default()
        };
        let broker = broker(config, &rt).await;
        for i in 0..40 {
            let name = format!("/topic/session/{i}");
            let mut sub = subscribers(&broker, &rt, &name, 1).await.remove(0);
            assert_eq!(broker.stats().channels, 1, "{}", broker.stats());
            send(&mut sub, &name, &[format!("{i}").as_bytes()]).await;
            assert_eq!(recv_n(&mut sub, 1).await, vec![format!("{i}").into_bytes()]);
            sub.goodbye_and_wait().await.unwrap();
            channels(&broker, &rt, 0).await;
        }
        let stats = broker.stats();
        assert_eq!(stats.bad_clients, 0, "{stats}");
        assert_eq!(stats.delivered, 40, "{stats}");
        broker.shutdown().await;
    });
}

/// A publisher keeps the channels it routed to; once a topic is freed and subscribed again,
/// its next message goes to the new channel, and the one published in between (nobody
/// subscribed) is counted unrouted.
#[test]
fn a_publisher_routes_again_after_its_topic_was_freed() {
    amphi_test::run(|rt| async move {
        let broker = broker(Config::default(), &rt).await;
        let mut publisher = publisher(&broker, &rt).await; // holds `/null`
        let mut first = subscribers(&broker, &rt, "/topic/t", 1).await.remove(0);
        send(&mut publisher, "/topic/t", &[b"one"]).await;
        assert_eq!(recv_n(&mut first, 1).await, vec![b"one".to_vec()]);
        first.goodbye_and_wait().await.unwrap();
        channels(&broker, &rt, 1).await;

        send(&mut publisher, "/topic/t", &[b"nobody"]).await;
        wait_until(&rt, "the unrouted message", || broker.stats().unrouted == 1).await;

        let mut second = subscribers(&broker, &rt, "/topic/t", 1).await.remove(0);
        send(&mut publisher, "/topic/t", &[b"two"]).await;
        assert_eq!(recv_n(&mut second, 1).await, vec![b"two".to_vec()]);
        let stats = broker.stats();
        assert_eq!(stats.channels, 2, "{stats}");
        assert_eq!(stats.undelivered, 0, "{stats}");
        broker.shutdown().await;
    });
}

/// A work queue is freed only once its messages are taken: messages published with no
/// worker wait, the worker that takes them leaves, the queue is freed, and what the same
/// publisher sends next reaches the next worker, in order.
#[test]
fn a_work_queue_is_freed_only_when_drained() {
    amphi_test::run(|rt| async move {
        let broker = broker(Config::default(), &rt).await;
        let mut publisher = publisher(&broker, &rt).await;
        send(&mut publisher, "/queue/jobs", &[b"a", b"b", b"c"]).await;
        wait_until(&rt, "the publishes", || broker.stats().published == 3).await;
        // Nobody to take them: the queue stays.
        rt.sleep(Duration::from_millis(50)).await;
        assert_eq!(broker.stats().channels, 2, "{}", broker.stats());

        let mut worker = subscribers(&broker, &rt, "/queue/jobs", 1).await.remove(0);
        assert_eq!(
            recv_n(&mut worker, 3).await,
            [b"a", b"b", b"c"].map(|m| m.to_vec())
        );
        worker.goodbye_and_wait().await.unwrap();
        channels(&broker, &rt, 1).await;

        send(&mut publisher, "/queue/jobs", &[b"d", b"e"]).await;
        let mut next = subscribers(&broker, &rt, "/queue/jobs", 1).await.remove(0);
        assert_eq!(recv_n(&mut next, 2).await, [b"d", b"e"].map(|m| m.to_vec()));
        let stats = broker.stats();
        assert_eq!(stats.undelivered + stats.unrouted, 0, "{stats}");
        broker.shutdown().await;
    });
}

/// Stress: a publisher thread sends numbered messages to a work queue in short bursts
/// while workers come, take a few, and leave, so the queue is freed and made again many
/// times under the publisher's feet. Every message arrives exactly once.
#[test]
fn a_work_queue_loses_nothing_while_freed_and_made_again() {
    const N: u32 = 5000;
    amphi_test::run(|rt| async move {
        let broker = broker(Config::default(), &rt).await;
        let addr = broker.local_addr();
        let publishing = std::thread::spawn(move || {
            let mut publisher = BlockingClient::connect(addr, "/null").unwrap();
            for i in 0..N {
                publisher.publish("/queue/churn", &i.to_be_bytes()).unwrap();
                if i % 16 == 15 {
                    publisher.flush().unwrap();
                    std::thread::sleep(Duration::from_millis(1));
                }
            }
            publisher.flush().unwrap();
            publisher.goodbye_and_wait().unwrap();
        });
        let mut got: Vec<Vec<u8>> = Vec::new();
        let mut freed = 0u32;
        let mut workers = 0u32;
        while !publishing.is_finished() {
            let mut worker = Client::connect(addr, "/queue/churn").await.unwrap();
            workers += 1;
            // Take a few, then leave with whatever is already on its way.
            for _ in 0..(workers % 7) {
                match amphi_rt::timeout(Duration::from_millis(5), worker.recv()).await {
                    Ok(msg) => got.push(msg.unwrap().expect("open").to_vec()),
                    Err(_) => break,
                }
            }
            leave(worker, &mut got).await;
            // With the publisher's `/null`, one channel left means the queue was freed
            // (when the worker left it empty); it goes a moment after the worker.
            for _ in 0..10 {
                if broker.stats().channels <= 1 {
                    freed += 1;
                    break;
                }
                rt.sleep(Duration::from_millis(1)).await;
            }
        }
        publishing.join().unwrap();
        // Whatever is left waits for the last worker.
        let mut last = Client::connect(addr, "/queue/churn").await.unwrap();
        let missing = N as usize - got.len();
        got.extend(recv_n(&mut last, missing).await);
        let numbers: Vec<u32> = got
            .iter()
            .map(|m| u32::from_be_bytes(m.as_slice().try_into().unwrap()))
            .collect();
        let distinct: BTreeSet<u32> = numbers.iter().copied().collect();
        let stats = broker.stats();
        eprintln!("{workers} workers, channel seen freed {freed} times; {stats}");
        assert_eq!(numbers.len(), N as usize, "{stats}");
        assert_eq!(distinct.len(), N as usize, "duplicates: {stats}");
        assert_eq!(stats.undelivered + stats.unrouted, 0, "{stats}");
        assert!(
            freed > 0,
            "the queue was never seen freed: the test tested nothing"
        );
        broker.shutdown().await;
    });
}
