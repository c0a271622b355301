//! 500 clients at once: 400 subscribers, 100 publishers, every message to every subscriber.

#![cfg(unix)] // signals, rlimits and process ids

mod common;

use amphi_mq::Config;
use common::{broker, recv_n, subscribers};

const SUBSCRIBERS: usize = 400;
const PUBLISHERS: usize = 100;
const EACH: usize = 5;

/// Each client is two descriptors in this process (ours and the broker's): raise the soft limit.
fn raise_nofile_limit(want: u64) {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit writes into the struct we pass, which outlives the call.
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) } != 0 {
        return;
    }
    if limit.rlim_cur < want {
        limit.rlim_cur = want.min(limit.rlim_max);
        // SAFETY: setrlimit reads the struct we pass, which outlives the call.
        unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &limit) };
    }
}

#[test]
fn five_hundred_concurrent_clients() {
    raise_nofile_limit(4096);
    amphi_test::run(|rt| async move {
        let broker = broker(Config::default(), &rt).await;
        let mut subs = subscribers(&broker, &rt, "/topic/many", SUBSCRIBERS).await;
        let mut pubs = subscribers(&broker, &rt, "/null", PUBLISHERS).await;
        assert_eq!(broker.stats().clients, (SUBSCRIBERS + PUBLISHERS) as u64);

        // Every publisher publishes at once, from its own task.
        let mut tasks = Vec::new();
        for (p, mut publisher) in pubs.drain(..).enumerate() {
            tasks.push(rt.spawn(async move {
                for i in 0..EACH {
                    publisher
                        .publish("/topic/many", format!("{p}:{i}").as_bytes())
                        .await
                        .expect("publish");
                }
                publisher.flush().await.expect("flush");
                publisher
            }));
        }
        let mut readers = Vec::new();
        for mut sub in subs.drain(..) {
            readers.push(rt.spawn(async move {
                let got = recv_n(&mut sub, PUBLISHERS * EACH).await;
                // Per publisher, in order.
                let mut next = vec![0usize; PUBLISHERS];
                for msg in got {
                    let text = String::from_utf8(msg).expect("utf-8");
                    let (p, i) = text.split_once(':').expect("p:i");
                    let (p, i): (usize, usize) = (p.parse().expect("p"), i.parse().expect("i"));
                    assert_eq!(i, next[p], "publisher {p}'s messages in order");
                    next[p] += 1;
                }
                sub
            }));
        }
        let mut publishers = Vec::new();
        for task in tasks {
            publishers.push(task.await.expect("publisher task"));
        }
        for reader in readers {
            reader.await.expect("subscriber task");
        }
        let stats = broker.stats();
        assert_eq!(stats.published, (PUBLISHERS * EACH) as u64, "{stats}");
        assert_eq!(
            stats.delivered,
            (PUBLISHERS * EACH * SUBSCRIBERS) as u64,
            "{stats}"
        );
        assert_eq!(stats.dropped, 0, "{stats}");
        drop(publishers);
        let report = broker.shutdown().await;
        assert!(report.in_grace, "{report}");
    });
}
