//! `/queue...` channels deliver each message to one subscriber, round-robin.

mod common;

use std::collections::BTreeSet;
use std::time::Duration;

use amphi_mq::Config;
use common::{assert_quiet, broker, publisher, recv_n, subscribers};

#[test]
fn queue_channel_deals_messages_round_robin() {
    amphi_test::run(|rt| async move {
        let broker = broker(Config::default(), &rt).await;
        let mut workers = subscribers(&broker, &rt, "/queue/jobs", 3).await;
        let mut publisher = publisher(&broker, &rt).await;
        for i in 0..30 {
            publisher
                .publish("/queue/jobs", format!("job {i}").as_bytes())
                .await
                .expect("publish");
        }
        publisher.flush().await.expect("flush");

        let mut all = BTreeSet::new();
        for worker in &mut workers {
            let got = recv_n(worker, 10).await;
            // Each worker gets every third job, in order.
            let ids: Vec<usize> = got
                .iter()
                .map(|m| {
                    String::from_utf8_lossy(&m[4..])
                        .parse()
                        .expect("a job number")
                })
                .collect();
            for pair in ids.windows(2) {
                assert_eq!(pair[1], pair[0] + 3, "round-robin order: {ids:?}");
            }
            all.extend(ids);
            assert_quiet(worker, Duration::from_millis(50)).await;
        }
        assert_eq!(
            all,
            (0..30).collect::<BTreeSet<_>>(),
            "every job exactly once"
        );
        broker.shutdown().await;
    });
}

#[test]
fn queue_channel_keeps_messages_for_its_first_subscriber() {
    amphi_test::run(|rt| async move {
        let broker = broker(Config::default(), &rt).await;
        let mut publisher = publisher(&broker, &rt).await;
        for i in 0..5 {
            publisher
                .publish("/queue/later", format!("{i}").as_bytes())
                .await
                .expect("publish");
        }
        publisher.flush().await.expect("flush");
        common::wait_until(&rt, "the publishes", || broker.stats().published == 5).await;

        let mut worker = subscribers(&broker, &rt, "/queue/later", 1).await;
        let got = recv_n(&mut worker[0], 5).await;
        let want: Vec<Vec<u8>> = (0..5).map(|i| format!("{i}").into_bytes()).collect();
        assert_eq!(got, want);
        assert_eq!(broker.stats().unrouted, 0);
        broker.shutdown().await;
    });
}

#[test]
fn a_work_queue_nobody_takes_from_holds_bounded_memory_and_loses_nothing() {
    amphi_test::run(|rt| async move {
        const BUDGET: usize = 64 * 1024;
        const SIZE: usize = 4096;
        const N: usize = 200; // 800 KiB: far over the budget
        let config = Config {
            max_channel_bytes: BUDGET,
            ..Config::default()
        };
        let broker = broker(config, &rt).await;
        let mut publisher = publisher(&broker, &rt).await;
        let publishing = rt.spawn(async move {
            for i in 0..N {
                let mut payload = format!("{i:08}").into_bytes();
                payload.resize(SIZE, b'.');
                publisher
                    .publish("/queue/nobody", &payload)
                    .await
                    .expect("publish");
            }
            publisher.flush().await.expect("flush");
            publisher
        });
        // The publisher is held back: the channel holds at most the budget.
        common::wait_until(&rt, "the budget to fill", || {
            broker.stats().channel_bytes + SIZE as u64 > BUDGET as u64
        })
        .await;
        rt.sleep(Duration::from_millis(100)).await;
        let held = broker.stats().channel_bytes;
        assert!(held <= BUDGET as u64, "held {held} bytes, budget {BUDGET}");
        assert!(broker.stats().published < N as u64);

        // A worker arrives and takes everything, in order.
        let mut worker = subscribers(&broker, &rt, "/queue/nobody", 1).await;
        let got = recv_n(&mut worker[0], N).await;
        for (i, msg) in got.iter().enumerate() {
            assert_eq!(&msg[..8], format!("{i:08}").as_bytes());
        }
        let _publisher = publishing.await.expect("publisher task");
        assert_eq!(broker.stats().channel_bytes, 0);
        broker.shutdown().await;
    });
}
