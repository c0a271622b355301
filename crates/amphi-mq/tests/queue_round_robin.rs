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
