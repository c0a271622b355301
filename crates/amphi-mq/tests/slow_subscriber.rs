//! A subscriber that stops reading costs the others nothing under the isolating policies.

mod common;

use std::time::Duration;

use amphi_mq::{Client, Config, SlowPolicy};
use common::{broker, publisher, recv_n, subscribers, wait_until};

const ROUNDS: usize = 60;
const PER_ROUND: usize = 200;
const SIZE: usize = 4096;

fn payload(i: usize) -> Vec<u8> {
    let mut p = format!("{i:08}").into_bytes();
    p.resize(SIZE, b'.');
    p
}

/// Publishes in rounds; after each, every fast subscriber must have the whole round.
/// Far more bytes go out than a stalled reader's queue and socket buffers hold.
async fn publish_rounds(publisher: &mut Client, fast: &mut [Client]) {
    for round in 0..ROUNDS {
        for i in round * PER_ROUND..(round + 1) * PER_ROUND {
            publisher
                .publish("/topic/t", &payload(i))
                .await
                .expect("publish");
        }
        publisher.flush().await.expect("flush");
        for sub in fast.iter_mut() {
            let got = recv_n(sub, PER_ROUND).await;
            for (k, msg) in got.iter().enumerate() {
                assert_eq!(
                    msg,
                    &payload(round * PER_ROUND + k),
                    "fast subscriber lost or reordered"
                );
            }
        }
    }
}

fn config(policy: SlowPolicy) -> Config {
    Config {
        policy,
        // Room for one round, so a subscriber that keeps up loses nothing.
        queue_capacity: 256,
        max_pending: 256 * SIZE,
        ..Config::default()
    }
}

#[test]
fn drop_oldest_keeps_fast_subscribers_whole() {
    amphi_test::run(|rt| async move {
        let broker = broker(config(SlowPolicy::DropOldest), &rt).await;
        let _stalled = subscribers(&broker, &rt, "/topic/t", 1).await;
        let mut fast = subscribers(&broker, &rt, "/topic/t", 2).await;
        let mut publisher = publisher(&broker, &rt).await;
        publish_rounds(&mut publisher, &mut fast).await;

        let stats = broker.stats();
        assert!(
            stats.dropped > 0,
            "the stalled subscriber should have lost messages: {stats}"
        );
        assert_eq!(stats.slow_disconnects, 0);
        assert_eq!(
            stats.clients, 4,
            "drop-oldest keeps the stalled subscriber connected"
        );
        drop(_stalled);
        broker.shutdown().await;
    });
}

#[test]
fn disconnect_drops_the_stalled_subscriber_only() {
    amphi_test::run(|rt| async move {
        let broker = broker(config(SlowPolicy::Disconnect), &rt).await;
        let mut stalled = subscribers(&broker, &rt, "/topic/t", 1).await;
        let mut fast = subscribers(&broker, &rt, "/topic/t", 2).await;
        let mut publisher = publisher(&broker, &rt).await;
        publish_rounds(&mut publisher, &mut fast).await;

        let stats = broker.stats();
        assert_eq!(stats.slow_disconnects, 1, "{stats}");
        wait_until(&rt, "the stalled client to go", || {
            broker.stats().clients == 3
        })
        .await;
        // What it finds when it finally reads: what was in flight, then the end.
        let end = async { while let Ok(Some(_)) = stalled[0].recv().await {} };
        amphi_rt::timeout(common::PATIENCE, end)
            .await
            .expect("the stalled connection is closed");
        broker.shutdown().await;
    });
}

#[test]
fn block_is_not_isolating_until_the_write_timeout() {
    amphi_test::run(|rt| async move {
        let config = Config {
            write_timeout: Duration::from_millis(300),
            ..config(SlowPolicy::Block)
        };
        let broker = broker(config, &rt).await;
        let _stalled = subscribers(&broker, &rt, "/topic/t", 1).await;
        let mut fast = subscribers(&broker, &rt, "/topic/t", 1).await;
        let mut publisher = publisher(&broker, &rt).await;
        // The fast subscriber waits for the stalled one until the broker gives up on it,
        // then gets everything.
        publish_rounds(&mut publisher, &mut fast).await;
        let stats = broker.stats();
        assert!(stats.blocked > 0, "{stats}");
        assert_eq!(stats.stalled_writes, 1, "{stats}");
        assert_eq!(stats.dropped, 0, "{stats}");
        broker.shutdown().await;
    });
}
