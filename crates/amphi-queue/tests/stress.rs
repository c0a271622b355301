//! Many threads and tasks on every flavour at once: exact counts, bounded time.

use std::sync::Arc;
use std::sync::atomic::{AtomicU8, AtomicU64, Ordering};

use amphi_queue::Queue;

const PER_PRODUCER: u64 = if cfg!(miri) { 20 } else { 5_000 };
const PRODUCERS: u64 = 4; // of each kind: threads and tasks
const CONSUMERS: usize = 4; // of each kind

async fn stress(rt: amphi_test::Runtime, queue: Queue<u64>) {
    {
        let n = 2 * PRODUCERS * PER_PRODUCER;
        let count = Arc::new(AtomicU64::new(0));
        // How many times each item came out: exactly once each, checked item by item.
        let seen: Arc<Vec<AtomicU8>> = Arc::new((0..n).map(|_| AtomicU8::new(0)).collect());
        let record = |seen: &[AtomicU8], v: u64| {
            let slot = usize::try_from(v).ok().and_then(|i| seen.get(i));
            slot.expect("an item that was never put")
                .fetch_add(1, Ordering::Relaxed);
        };
        let mut thread_consumers = Vec::new();
        let mut task_consumers = Vec::new();
        for _ in 0..CONSUMERS {
            let (q, c, s) = (queue.clone(), Arc::clone(&count), Arc::clone(&seen));
            thread_consumers.push(std::thread::spawn(move || {
                while let Ok(v) = q.get_blocking() {
                    c.fetch_add(1, Ordering::Relaxed);
                    record(&s, v);
                    q.task_done().expect("balanced");
                }
            }));
            let (q, c, s) = (queue.clone(), Arc::clone(&count), Arc::clone(&seen));
            task_consumers.push(rt.spawn(async move {
                while let Ok(v) = q.get().await {
                    c.fetch_add(1, Ordering::Relaxed);
                    record(&s, v);
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
        assert_eq!(count.load(Ordering::SeqCst), n, "lost or duplicated items");
        for (item, times) in seen.iter().enumerate() {
            let times = times.load(Ordering::SeqCst);
            assert_eq!(times, 1, "item {item} came out {times} times");
        }
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

/// Every way an item can leave, racing on one small queue: plain, reserved and forced puts
/// against blocking and async gets, then `close_immediate` in the middle of it all. Each
/// item must come out exactly once: got, evicted by a forced put, handed back by a refused
/// put, or drained by the close; and `join` must see every got item marked done.
#[test]
fn every_exit_path_accounts_for_every_item_exactly_once() {
    const PER_KIND: u64 = if cfg!(miri) { 20 } else { 4_000 };
    let flavours: [fn(usize) -> Queue<u64>; 3] = [Queue::bounded, Queue::lifo, Queue::priority];
    let unbounded: [fn(usize) -> Queue<u64>; 3] = [
        |_| Queue::unbounded(),
        |_| Queue::lifo_unbounded(),
        |_| Queue::priority_unbounded(),
    ];
    // Capacity 0 stands for the unbounded flavours (where no put waits and none evicts).
    for (cap, make) in [1, 3, 64]
        .into_iter()
        .flat_map(|c| flavours.map(|f| (c, f)))
        .chain(unbounded.map(|f| (0, f)))
    {
        let queue = make(cap);
        let out = Arc::new(std::sync::Mutex::new(Vec::new()));
        let record = |out: &Arc<std::sync::Mutex<Vec<u64>>>, v: u64| {
            out.lock().expect("not poisoned").push(v);
        };
        let producers: Vec<_> = (0..3u64)
            .map(|kind| {
                let (q, out) = (queue.clone(), Arc::clone(&out));
                std::thread::spawn(move || {
                    for i in 0..PER_KIND {
                        let v = kind * PER_KIND + i;
                        match kind {
                            0 => {
                                if let Err(e) = q.put_blocking(v) {
                                    record(&out, e.into_inner());
                                }
                            }
                            1 => match futures_lite::future::block_on(q.reserve()) {
                                Ok(permit) => permit.put(v),
                                Err(_) => record(&out, v),
                            },
                            _ => match q.force_put(v) {
                                Ok(Some(evicted)) => record(&out, evicted),
                                Ok(None) => {}
                                Err(e) => record(&out, e.into_inner()),
                            },
                        }
                    }
                })
            })
            .collect();
        let consumers: Vec<_> = (0..2)
            .map(|c| {
                let (q, out) = (queue.clone(), Arc::clone(&out));
                std::thread::spawn(move || {
                    let take = |v: u64| {
                        record(&out, v);
                        q.task_done().expect("balanced");
                    };
                    if c == 0 {
                        while let Ok(v) = q.get_blocking() {
                            take(v);
                        }
                    } else {
                        futures_lite::future::block_on(async {
                            while let Ok(v) = q.get().await {
                                take(v);
                            }
                        });
                    }
                })
            })
            .collect();
        // Let the traffic run, then close in the middle of it.
        while out.lock().expect("not poisoned").len() < (PER_KIND as usize) {
            std::thread::yield_now();
        }
        for v in queue.close_immediate() {
            record(&out, v);
        }
        for p in producers {
            p.join().expect("producer");
        }
        for c in consumers {
            c.join().expect("consumer");
        }
        // Permits used after the close deliver; the consumers drained them before ending.
        assert!(queue.is_empty(), "cap {cap}: items left behind");
        let mut seen = out.lock().expect("not poisoned").clone();
        seen.sort_unstable();
        let expected: Vec<u64> = (0..3 * PER_KIND).collect();
        assert_eq!(
            seen.len(),
            expected.len(),
            "cap {cap}: lost or duplicated items"
        );
        assert_eq!(seen, expected, "cap {cap}: each item exactly once");
        assert_eq!(queue.unfinished_tasks(), 0, "cap {cap}: join would hang");
        queue.join_blocking();
    }
}
