//! Many threads and tasks on every flavour at once: exact counts, bounded time.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use amphi_queue::Queue;

const PER_PRODUCER: u64 = if cfg!(miri) { 20 } else { 5_000 };
const PRODUCERS: u64 = 4; // of each kind: threads and tasks
const CONSUMERS: usize = 4; // of each kind

async fn stress(rt: amphi_test::Runtime, queue: Queue<u64>) {
    {
        let count = Arc::new(AtomicU64::new(0));
        let sum = Arc::new(AtomicU64::new(0));
        let mut thread_consumers = Vec::new();
        let mut task_consumers = Vec::new();
        for _ in 0..CONSUMERS {
            let (q, c, s) = (queue.clone(), Arc::clone(&count), Arc::clone(&sum));
            thread_consumers.push(std::thread::spawn(move || {
                while let Ok(v) = q.get_blocking() {
                    c.fetch_add(1, Ordering::Relaxed);
                    s.fetch_add(v, Ordering::Relaxed);
                    q.task_done().expect("balanced");
                }
            }));
            let (q, c, s) = (queue.clone(), Arc::clone(&count), Arc::clone(&sum));
            task_consumers.push(rt.spawn(async move {
                while let Ok(v) = q.get().await {
                    c.fetch_add(1, Ordering::Relaxed);
                    s.fetch_add(v, Ordering::Relaxed);
                    q.task_done().expect("balanced");
                }
            }));
        }
        let mut thread_producers = Vec::new();
        let mut task_producers = Vec::new();
        for p in 0..PRODUCERS {
            let q = queue.clone();
            thread_producers.push(std::thread::spawn(move || {
                for i in 0..PER_PRODUCER {
                    q.put_blocking(p * PER_PRODUCER + i).expect("open");
                }
            }));
            let q = queue.clone();
            task_producers.push(rt.spawn(async move {
                for i in 0..PER_PRODUCER {
                    match i % 3 {
                        0 => q
                            .put((PRODUCERS + p) * PER_PRODUCER + i)
                            .await
                            .expect("open"),
                        1 => q
                            .reserve()
                            .await
                            .expect("open")
                            .put((PRODUCERS + p) * PER_PRODUCER + i),
                        _ => {
                            let mut item = (PRODUCERS + p) * PER_PRODUCER + i;
                            loop {
                                match q.try_put(item) {
                                    Ok(()) => break,
                                    Err(e) => {
                                        item = e.into_inner();
                                        futures_lite::future::yield_now().await;
                                    }
                                }
                            }
                        }
                    }
                }
            }));
        }
        for t in task_producers {
            t.await.expect("producer ok");
        }
        rt.spawn_blocking(move || {
            for t in thread_producers {
                t.join().expect("producer ok");
            }
        })
        .await
        .expect("joined");
        queue.join().await;
        queue.close();
        for t in task_consumers {
            t.await.expect("consumer ok");
        }
        rt.spawn_blocking(move || {
            for t in thread_consumers {
                t.join().expect("consumer ok");
            }
        })
        .await
        .expect("joined");
        let n = 2 * PRODUCERS * PER_PRODUCER;
        assert_eq!(count.load(Ordering::SeqCst), n, "lost or duplicated items");
        assert_eq!(sum.load(Ordering::SeqCst), n * (n - 1) / 2);
        assert_eq!(queue.unfinished_tasks(), 0);
    }
}

#[test]
fn fifo_capacity_1() {
    amphi_test::run(|rt| stress(rt, Queue::bounded(1)));
}

#[test]
fn fifo_capacity_16() {
    amphi_test::run(|rt| stress(rt, Queue::bounded(16)));
}

#[test]
fn fifo_unbounded() {
    amphi_test::run(|rt| stress(rt, Queue::unbounded()));
}

#[test]
fn lifo_capacity_4() {
    amphi_test::run(|rt| stress(rt, Queue::lifo(4)));
}

#[test]
fn priority_capacity_4() {
    amphi_test::run(|rt| stress(rt, Queue::priority(4)));
}
