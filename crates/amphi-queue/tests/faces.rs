//! Every face of the queue on every runtime: threads and tasks on either side, in any mix.

use std::collections::HashSet;
use std::time::Duration;

use amphi_queue::{GetError, Queue, TryGetError, TryPutError};
use futures::SinkExt as _;
use futures_lite::StreamExt as _;

const N: u64 = if cfg!(miri) { 50 } else { 2_000 };

#[test]
fn threads_put_tasks_get() {
    amphi_test::run(|rt| async move {
        let queue = Queue::bounded(8);
        let producers: Vec<_> = (0..2)
            .map(|p| {
                let queue = queue.clone();
                std::thread::spawn(move || {
                    for i in 0..N {
                        queue.put_blocking(p * N + i).expect("open");
                    }
                })
            })
            .collect();
        let consumers: Vec<_> = (0..2)
            .map(|_| {
                let queue = queue.clone();
                rt.spawn(async move {
                    let mut got = Vec::new();
                    while let Ok(item) = queue.get().await {
                        got.push(item);
                    }
                    got
                })
            })
            .collect();
        for producer in producers {
            producer.join().expect("producer ok");
        }
        queue.close();
        let mut all = HashSet::new();
        for consumer in consumers {
            for item in consumer.await.expect("consumer ok") {
                assert!(all.insert(item), "item {item} delivered twice");
            }
        }
        assert_eq!(all.len() as u64, 2 * N, "items lost");
    });
}

#[test]
fn tasks_put_threads_get() {
    amphi_test::run(|rt| async move {
        let queue = Queue::bounded(4);
        let consumer = {
            let queue = queue.clone();
            std::thread::spawn(move || {
                let mut expected = 0;
                while let Ok(item) = queue.get_blocking() {
                    assert_eq!(item, expected, "FIFO order from one producer");
                    expected += 1;
                }
                expected
            })
        };
        let producer = {
            let queue = queue.clone();
            rt.spawn(async move {
                for i in 0..N {
                    queue.put(i).await.expect("open");
                }
                queue.close();
            })
        };
        producer.await.expect("producer ok");
        assert_eq!(
            rt.spawn_blocking(move || consumer.join())
                .await
                .expect("joined")
                .expect("consumer ok"),
            N
        );
    });
}

#[test]
fn both_faces_on_both_sides_at_once() {
    amphi_test::run(|rt| async move {
        let queue = Queue::bounded(3);
        let mut thread_producers = Vec::new();
        let mut task_producers = Vec::new();
        for p in 0..2u64 {
            let q = queue.clone();
            thread_producers.push(std::thread::spawn(move || {
                for i in 0..N {
                    q.put_blocking((p, i)).expect("open");
                }
            }));
            let q = queue.clone();
            task_producers.push(rt.spawn(async move {
                for i in 0..N {
                    q.put((p + 2, i)).await.expect("open");
                }
            }));
        }
        let thread_consumer = {
            let q = queue.clone();
            std::thread::spawn(move || {
                let mut got = Vec::new();
                while let Ok(item) = q.get_blocking() {
                    got.push(item);
                }
                got
            })
        };
        let task_consumer = {
            let q = queue.clone();
            rt.spawn(async move {
                let mut got = Vec::new();
                while let Ok(item) = q.get().await {
                    got.push(item);
                }
                got
            })
        };
        for t in task_producers {
            t.await.expect("task producer ok");
        }
        let joined = rt
            .spawn_blocking(move || thread_producers.into_iter().all(|t| t.join().is_ok()))
            .await
            .expect("joined");
        assert!(joined);
        queue.close();
        let from_threads = rt
            .spawn_blocking(move || thread_consumer.join().expect("consumer ok"))
            .await
            .expect("joined");
        let from_tasks = task_consumer.await.expect("consumer ok");
        // Per producer, items arrive in order on each consumer, and all arrive exactly once.
        let mut seen = HashSet::new();
        for got in [&from_threads, &from_tasks] {
            let mut last = [None::<u64>; 4];
            for &(p, i) in got {
                assert!(seen.insert((p, i)), "duplicate {p}/{i}");
                let prev = &mut last[p as usize];
                assert!(
                    prev.is_none_or(|prev| prev < i),
                    "FIFO broken for producer {p}"
                );
                *prev = Some(i);
            }
        }
        assert_eq!(seen.len() as u64, 4 * N);
    });
}

#[test]
fn close_wakes_waiting_getters_and_putters() {
    amphi_test::run(|rt| async move {
        let empty: Queue<u8> = Queue::bounded(1);
        let full = Queue::bounded(1);
        full.try_put(0u8).expect("room");
        let getter = {
            let q = empty.clone();
            rt.spawn(async move { q.get().await })
        };
        let putter = {
            let q = full.clone();
            rt.spawn(async move { q.put(7).await.map_err(|e| e.into_inner()) })
        };
        let blocking_getter = {
            let q = empty.clone();
            rt.spawn_blocking(move || q.get_blocking())
        };
        let blocking_putter = {
            let q = full.clone();
            rt.spawn_blocking(move || q.put_blocking(8).map_err(|e| e.into_inner()))
        };
        rt.sleep(Duration::from_millis(20)).await;
        assert!(empty.close());
        assert!(!empty.close(), "second close reports it was already closed");
        assert!(full.close());
        assert_eq!(getter.await.expect("ran"), Err(GetError));
        assert_eq!(blocking_getter.await.expect("ran"), Err(GetError));
        assert_eq!(putter.await.expect("ran"), Err(7));
        assert_eq!(blocking_putter.await.expect("ran"), Err(8));
        // The buffered item is still drained after close.
        assert_eq!(full.get().await, Ok(0));
        assert_eq!(full.get().await, Err(GetError));
    });
}

#[test]
fn task_done_and_join_across_faces() {
    amphi_test::run(|rt| async move {
        let queue = Queue::unbounded();
        for i in 0..10 {
            queue.put(i).await.expect("open");
        }
        assert_eq!(queue.unfinished_tasks(), 10);
        let worker = {
            let q = queue.clone();
            rt.spawn_blocking(move || {
                for _ in 0..10 {
                    q.get_blocking().expect("item");
                    std::thread::sleep(Duration::from_millis(1));
                    q.task_done().expect("balanced");
                }
            })
        };
        queue.join().await;
        assert_eq!(queue.unfinished_tasks(), 0);
        worker.await.expect("worker ok");
        assert!(
            queue.task_done().is_err(),
            "one task_done too many is an error"
        );
        let blocking_join = {
            let q = queue.clone();
            rt.spawn_blocking(move || q.join_blocking())
        };
        blocking_join
            .await
            .expect("join returns at once when nothing is unfinished");
    });
}

#[test]
fn reserve_then_put_cannot_fail() {
    amphi_test::run(|rt| async move {
        let queue = Queue::bounded(1);
        let permit = queue.reserve().await.expect("open");
        assert!(
            matches!(queue.try_put(1), Err(TryPutError::Full(1))),
            "the permit holds the slot"
        );
        let waiting = {
            let q = queue.clone();
            rt.spawn(async move { q.reserve().await.map(|p| p.put(2)) })
        };
        drop(permit); // gives the slot back and wakes the waiter
        waiting.await.expect("ran").expect("open");
        assert_eq!(queue.get().await, Ok(2));
        let permit = queue.reserve().await.expect("open");
        queue.close();
        permit.put(3); // reserved before close: still delivered
        assert_eq!(queue.get().await, Ok(3));
        assert!(queue.reserve().await.is_err());
    });
}

#[test]
fn stream_and_sink() {
    amphi_test::run(|rt| async move {
        let queue = Queue::bounded(2);
        let producer = {
            let mut sink = queue.sink();
            rt.spawn(async move {
                for i in 0..100 {
                    sink.send(i).await.expect("open");
                }
                sink.queue().close();
            })
        };
        let got: Vec<i32> = queue.stream().collect().await;
        producer.await.expect("producer ok");
        assert_eq!(got, (0..100).collect::<Vec<_>>());
        assert_eq!(
            queue.unfinished_tasks(),
            100,
            "stream items still count for task_done"
        );
    });
}

#[test]
fn blocking_timeouts() {
    let queue = Queue::bounded(1);
    let start = std::time::Instant::now();
    assert!(matches!(
        queue.get_timeout(Duration::from_millis(20)),
        Err(amphi_queue::GetTimeoutError::Timeout)
    ));
    assert!(start.elapsed() >= Duration::from_millis(20));
    queue
        .put_timeout(1, Duration::from_millis(20))
        .expect("room");
    let err = queue
        .put_timeout(2, Duration::from_millis(20))
        .expect_err("full");
    assert_eq!(err.into_inner(), 2);
    // An item arriving during the wait is taken before the deadline.
    let putter = {
        let q = queue.clone();
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(10));
            q.get_blocking()
        })
    };
    queue
        .put_timeout(3, Duration::from_secs(10))
        .expect("room appears");
    assert_eq!(putter.join().expect("ok"), Ok(1));
    queue.close();
    assert_eq!(queue.get_timeout(Duration::from_secs(1)), Ok(3));
    assert_eq!(
        queue.get_timeout(Duration::from_secs(1)),
        Err(amphi_queue::GetTimeoutError::Closed)
    );
    assert_eq!(queue.try_get(), Err(TryGetError::Closed));
}

#[test]
fn lifo_and_priority_orders() {
    amphi_test::run(|_rt| async move {
        let stack = Queue::lifo(8);
        for i in 0..5 {
            stack.put(i).await.expect("open");
        }
        let mut out = Vec::new();
        while let Ok(i) = stack.try_get() {
            out.push(i);
        }
        assert_eq!(out, [4, 3, 2, 1, 0]);

        #[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
        struct Job(u8, &'static str);
        let jobs = Queue::priority_unbounded();
        for job in [Job(2, "b"), Job(1, "x"), Job(2, "a"), Job(0, "first")] {
            jobs.put(job).await.expect("open");
        }
        assert_eq!(jobs.get().await, Ok(Job(0, "first")));
        assert_eq!(jobs.get().await, Ok(Job(1, "x")));
        assert_eq!(jobs.get().await, Ok(Job(2, "a")));
        assert_eq!(jobs.get().await, Ok(Job(2, "b")));
    });
}

#[test]
fn force_put_evicts_the_oldest() {
    let queue = Queue::bounded(2);
    assert_eq!(queue.force_put(1).expect("open"), None);
    assert_eq!(queue.force_put(2).expect("open"), None);
    assert_eq!(queue.force_put(3).expect("open"), Some(1));
    assert_eq!(
        queue.unfinished_tasks(),
        2,
        "the evicted item counts as done"
    );
    assert_eq!(queue.try_get(), Ok(2));
    assert_eq!(queue.try_get(), Ok(3));
    queue.close();
    assert_eq!(queue.force_put(4).map_err(|e| e.into_inner()), Err(4));
}

#[test]
fn close_immediate_hands_back_and_releases_join() {
    amphi_test::run(|rt| async move {
        let queue = Queue::unbounded();
        for i in 0..5 {
            queue.put(i).await.expect("open");
        }
        let taken = queue.get().await.expect("item");
        let joiner = {
            let q = queue.clone();
            rt.spawn(async move { q.join().await })
        };
        assert_eq!(queue.close_immediate(), [1, 2, 3, 4]);
        assert_eq!(
            queue.unfinished_tasks(),
            1,
            "the item being processed still counts"
        );
        assert_eq!(taken, 0);
        queue.task_done().expect("balanced");
        joiner.await.expect("join released");
        assert!(queue.is_closed());
        assert_eq!(queue.get().await, Err(GetError));
    });
}

#[test]
#[should_panic(expected = "use Queue::unbounded() for no limit")]
fn zero_capacity_points_to_unbounded() {
    let _ = Queue::<u8>::bounded(0);
}

#[test]
fn introspection() {
    let queue = Queue::bounded(3);
    assert_eq!(queue.capacity(), Some(3));
    assert_eq!(Queue::<u8>::unbounded().capacity(), None);
    assert!(queue.is_empty());
    queue.try_put('a').expect("room");
    assert_eq!(queue.len(), 1);
    assert!(!queue.is_full());
    assert_eq!(
        format!("{queue:?}"),
        "Queue { len: 1, capacity: Some(3), closed: false, unfinished: 1 }"
    );
}

#[test]
fn closing_the_sink_releases_its_slot_but_not_the_queue() {
    amphi_test::run(|_rt| async move {
        let queue = Queue::bounded(1);
        let mut sink = queue.sink();
        futures::future::poll_fn(|cx| {
            futures::Sink::<u8>::poll_ready(std::pin::Pin::new(&mut sink), cx)
        })
        .await
        .expect("open");
        assert!(queue.is_full(), "poll_ready reserved the only slot");
        sink.close().await.expect("closes");
        assert!(!queue.is_closed(), "the queue ends only by Queue::close");
        assert!(!queue.is_full(), "the unused reservation was given back");
        queue.try_put(1).expect("room again");
    });
}
