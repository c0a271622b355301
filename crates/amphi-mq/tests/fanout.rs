//! Topic channels deliver every message to every subscriber, in order.

mod common;

use std::time::Duration;

use amphi_mq::Config;
use common::{assert_quiet, broker, publisher, recv_n, subscribers};

#[test]
fn topic_fans_out_to_every_subscriber_in_order() {
    amphi_test::run(|rt| async move {
        let broker = broker(Config::default(), &rt).await;
        let mut news = subscribers(&broker, &rt, "/topic/news", 3).await;
        let mut other = subscribers(&broker, &rt, "/topic/other", 1).await;
        let mut publisher = publisher(&broker, &rt).await;

        for i in 0..100 {
            publisher
                .publish("/topic/news", format!("news {i}").as_bytes())
                .await
                .expect("publish");
        }
        for i in 0..10 {
            publisher
                .publish("/topic/other", format!("other {i}").as_bytes())
                .await
                .expect("publish");
        }
        publisher.flush().await.expect("flush");

        let want: Vec<Vec<u8>> = (0..100).map(|i| format!("news {i}").into_bytes()).collect();
        for sub in &mut news {
            assert_eq!(recv_n(sub, 100).await, want);
        }
        let want: Vec<Vec<u8>> = (0..10).map(|i| format!("other {i}").into_bytes()).collect();
        assert_eq!(recv_n(&mut other[0], 10).await, want);
        for sub in news.iter_mut().chain(&mut other) {
            assert_quiet(sub, Duration::from_millis(50)).await;
        }

        let stats = broker.stats();
        assert_eq!(stats.published, 110);
        assert_eq!(stats.delivered, 310);
        assert_eq!(stats.dropped, 0);
        let report = broker.shutdown().await;
        assert!(report.in_grace, "{report}");
    });
}

#[test]
fn publishing_to_a_topic_nobody_follows_is_counted_not_kept() {
    amphi_test::run(|rt| async move {
        let broker = broker(Config::default(), &rt).await;
        let mut publisher = publisher(&broker, &rt).await;
        publisher
            .publish("/topic/void", b"lost")
            .await
            .expect("publish");
        publisher.flush().await.expect("flush");
        common::wait_until(&rt, "the unrouted count", || broker.stats().unrouted == 1).await;

        // A later subscriber does not get it.
        let mut late = subscribers(&broker, &rt, "/topic/void", 1).await;
        publisher
            .publish("/topic/void", b"seen")
            .await
            .expect("publish");
        publisher.flush().await.expect("flush");
        assert_eq!(recv_n(&mut late[0], 1).await, vec![b"seen".to_vec()]);
        broker.shutdown().await;
    });
}

#[test]
fn a_zero_length_frame_is_a_clean_goodbye() {
    amphi_test::run(|rt| async move {
        let broker = broker(Config::default(), &rt).await;
        let mut subs = subscribers(&broker, &rt, "/topic/bye", 2).await;
        let leaving = subs.pop().expect("two subscribers");
        leaving.goodbye().await.expect("goodbye");
        common::wait_until(&rt, "the goodbye", || broker.stats().clients == 1).await;

        let mut publisher = publisher(&broker, &rt).await;
        publisher
            .publish("/topic/bye", b"still here")
            .await
            .expect("publish");
        publisher.flush().await.expect("flush");
        assert_eq!(recv_n(&mut subs[0], 1).await, vec![b"still here".to_vec()]);
        assert_eq!(broker.stats().bad_clients, 0);
        broker.shutdown().await;
    });
}

/// `Duration::MAX` for the grace period and the write timeout means "no limit": messages
/// are delivered and the broker shuts down, where the deadlines used to overflow (the
/// writer panicked on its first write, and `shutdown` panicked).
#[test]
fn unlimited_durations_deliver_and_shut_down() {
    amphi_test::run(|rt| async move {
        let config = Config {
            grace: Duration::MAX,
            write_timeout: Duration::MAX,
            ..Config::default()
        };
        let broker = broker(config, &rt).await;
        let mut subs = subscribers(&broker, &rt, "/topic/long", 1).await;
        let mut publisher = publisher(&broker, &rt).await;
        publisher
            .publish("/topic/long", b"patience")
            .await
            .expect("publish");
        publisher.flush().await.expect("flush");
        assert_eq!(recv_n(&mut subs[0], 1).await, [b"patience".to_vec()]);
        drop(subs);
        drop(publisher);
        let report = broker.shutdown().await;
        assert!(report.in_grace, "{report}");
    });
}
