//! Queue throughput: `u64` messages from producer threads to consumer threads, each side
//! blocking or async, at capacities 1, 64, 1024 and unbounded, SPSC and MPMC 2x2, with the
//! peers users would pick instead in the same group (flume, kanal, async-channel,
//! crossbeam-channel on sync rows, tokio mpsc on SPSC rows), a raw `ArrayQueue` spin loop as
//! the no-waiting floor on sync rows, and the priority flavour beside async-priority-channel.
//!
//! Group names: `queue/{spsc,mpmc2x2}/{bounded1,bounded64,bounded1024,unbounded}/{dir}`.

use std::sync::Arc;
use std::time::Duration;

use amphi_benches::queue_workload::{
    CAPACITIES, Direction, LastOut, Shape, capacity_name, time_threads,
};
use amphi_queue::Queue;
use criterion::{
    BenchmarkId, Criterion, SamplingMode, Throughput, criterion_group, criterion_main,
};
use futures_lite::future::block_on;

/// Messages per measured iteration.
const MESSAGES: u64 = 20_000;

/// Messages per measured iteration at capacity 1, where some peers move under 0.05 M msg/s:
/// fewer messages keep the whole suite inside its time budget.
const MESSAGES_CAP1: u64 = 5_000;

type Run = fn(Shape, Option<usize>, Direction, u64) -> Option<Duration>;

fn amphi(shape: Shape, cap: Option<usize>, dir: Direction, n: u64) -> Option<Duration> {
    let queue = cap.map_or_else(Queue::unbounded, Queue::bounded);
    let last = LastOut::new(shape.producers);
    let q = queue.clone();
    let produce = move |_: usize, count: u64| {
        if dir.async_producer() {
            block_on(async {
                for i in 0..count {
                    let _ = q.put(i).await;
                }
            });
        } else {
            for i in 0..count {
                let _ = q.put_blocking(i);
            }
        }
        last.done(|| {
            q.close();
        });
    };
    let consume = move |_: usize| {
        let mut got = 0;
        if dir.async_consumer() {
            block_on(async {
                while queue.get().await.is_ok() {
                    got += 1;
                }
            });
        } else {
            while queue.get_blocking().is_ok() {
                got += 1;
            }
        }
        got
    };
    Some(time_threads(shape, n, produce, consume))
}

/// A peer with a sender/receiver split, written once: `$make(cap)` builds `(tx, rx)`; the
/// producer sends with `$send` (blocking) or `$send_async`, the consumer receives with `$recv`
/// or `$recv_async` until the channel ends (when the last producer's sender is dropped).
macro_rules! channel_peer {
    (
        $name:ident, $make:expr,
        send |$tx:ident, $i:ident| $send:expr, $send_async:expr,
        recv |$rx:ident| $recv:expr, $recv_async:expr $(,)?
    ) => {
        fn $name(shape: Shape, cap: Option<usize>, dir: Direction, n: u64) -> Option<Duration> {
            let (tx, rx) = $make(cap);
            let produce = move |_: usize, count: u64| {
                let $tx = &tx;
                if dir.async_producer() {
                    block_on(async {
                        for $i in 0..count {
                            let _ = $send_async;
                        }
                    });
                } else {
                    for $i in 0..count {
                        let _ = $send;
                    }
                }
            };
            let consume = move |_: usize| {
                let $rx = &rx;
                let mut got = 0;
                if dir.async_consumer() {
                    block_on(async {
                        while $recv_async {
                            got += 1;
                        }
                    });
                } else {
                    while $recv {
                        got += 1;
                    }
                }
                got
            };
            Some(time_threads(shape, n, produce, consume))
        }
    };
}

channel_peer!(
    flume,
    |cap: Option<usize>| cap.map_or_else(flume::unbounded, flume::bounded),
    send | tx,
    i | tx.send(i),
    tx.send_async(i).await,
    recv | rx | rx.recv().is_ok(),
    rx.recv_async().await.is_ok(),
);

channel_peer!(
    kanal,
    |cap: Option<usize>| cap.map_or_else(kanal::unbounded, kanal::bounded),
    send | tx,
    i | tx.send(i),
    tx.as_async().send(i).await,
    recv | rx | rx.recv().is_ok(),
    rx.as_async().recv().await.is_ok(),
);

channel_peer!(
    async_channel,
    |cap: Option<usize>| cap.map_or_else(async_channel::unbounded, async_channel::bounded),
    send | tx,
    i | tx.send_blocking(i),
    tx.send(i).await,
    recv | rx | rx.recv_blocking().is_ok(),
    rx.recv().await.is_ok(),
);

fn crossbeam(shape: Shape, cap: Option<usize>, dir: Direction, n: u64) -> Option<Duration> {
    if dir != Direction::SyncToSync {
        return None;
    }
    let (tx, rx) = cap.map_or_else(crossbeam_channel::unbounded, crossbeam_channel::bounded);
    let produce = move |_: usize, count: u64| {
        for i in 0..count {
            let _ = tx.send(i);
        }
    };
    let consume = move |_: usize| {
        let mut got = 0;
        while rx.recv().is_ok() {
            got += 1;
        }
        got
    };
    Some(time_threads(shape, n, produce, consume))
}

/// The consumer of a tokio mpsc receiver (bounded and unbounded have the same methods but
/// different types): the single receiver is taken from its slot by the one consumer thread.
macro_rules! tokio_consumer {
    ($slot:expr, $dir:expr) => {
        move |_: usize| {
            let Some(mut rx) = $slot.lock().ok().and_then(|mut slot| slot.take()) else {
                return 0;
            };
            let mut got = 0;
            if $dir.async_consumer() {
                block_on(async {
                    while rx.recv().await.is_some() {
                        got += 1;
                    }
                });
            } else {
                while rx.blocking_recv().is_some() {
                    got += 1;
                }
            }
            got
        }
    };
}

fn tokio_mpsc(shape: Shape, cap: Option<usize>, dir: Direction, n: u64) -> Option<Duration> {
    if shape != Shape::SPSC {
        return None;
    }
    // Outside any runtime, tokio's blocking methods are allowed and its futures need none.
    match cap {
        Some(cap) => {
            let (tx, rx) = tokio::sync::mpsc::channel(cap);
            let rx = std::sync::Mutex::new(Some(rx));
            let produce = move |_: usize, count: u64| {
                if dir.async_producer() {
                    block_on(async {
                        for i in 0..count {
                            let _ = tx.send(i).await;
                        }
                    });
                } else {
                    for i in 0..count {
                        let _ = tx.blocking_send(i);
                    }
                }
            };
            Some(time_threads(shape, n, produce, tokio_consumer!(rx, dir)))
        }
        None => {
            let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
            let rx = std::sync::Mutex::new(Some(rx));
            let produce = move |_: usize, count: u64| {
                // Sending on an unbounded channel never waits: the same call on both faces.
                for i in 0..count {
                    let _ = tx.send(i);
                }
            };
            Some(time_threads(shape, n, produce, tokio_consumer!(rx, dir)))
        }
    }
}

/// The no-waiting floor: a lock-free `ArrayQueue` with spinning on both sides (sync rows,
/// bounded only). Not a peer: it cannot wait, close or serve async code.
fn floor_array_queue(shape: Shape, cap: Option<usize>, dir: Direction, n: u64) -> Option<Duration> {
    let cap = cap?;
    if dir != Direction::SyncToSync {
        return None;
    }
    let queue = Arc::new(crossbeam_queue::ArrayQueue::new(cap));
    let done = LastOut::new(shape.producers);
    let finished = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let (q, f) = (Arc::clone(&queue), Arc::clone(&finished));
    let produce = move |_: usize, count: u64| {
        for i in 0..count {
            let mut item = i;
            while let Err(back) = q.push(item) {
                item = back;
                std::thread::yield_now();
            }
        }
        done.done(|| f.store(true, std::sync::atomic::Ordering::Release));
    };
    let consume = move |_: usize| {
        let mut got = 0;
        loop {
            if queue.pop().is_some() {
                got += 1;
            } else if finished.load(std::sync::atomic::Ordering::Acquire) && queue.is_empty() {
                return got;
            } else {
                std::thread::yield_now();
            }
        }
    };
    Some(time_threads(shape, n, produce, consume))
}

const PEERS: [(&str, Run); 7] = [
    ("amphi", amphi),
    ("flume", flume),
    ("kanal", kanal),
    ("async-channel", async_channel),
    ("crossbeam-channel", crossbeam),
    ("tokio-mpsc", tokio_mpsc),
    ("floor:ArrayQueue", floor_array_queue),
];

fn throughput(c: &mut Criterion) {
    for shape in [Shape::SPSC, Shape::MPMC] {
        for cap in CAPACITIES {
            for dir in Direction::ALL {
                let name = format!(
                    "queue/{}/{}/{}",
                    shape.name(),
                    capacity_name(cap),
                    dir.name()
                );
                let messages = if cap == Some(1) {
                    MESSAGES_CAP1
                } else {
                    MESSAGES
                };
                let mut group = c.benchmark_group(name);
                group.sampling_mode(SamplingMode::Flat);
                group.sample_size(10);
                group.throughput(Throughput::Elements(messages));
                for (peer, run) in PEERS {
                    // A tiny probe run: `None` means this peer cannot do this row.
                    if run(shape, cap, dir, 8).is_none() {
                        continue; // this peer cannot do this row: "n/a" in the report
                    }
                    group.bench_function(BenchmarkId::from_parameter(peer), |b| {
                        b.iter_custom(|iters| {
                            (0..iters)
                                .map(|_| run(shape, cap, dir, messages).unwrap_or_default())
                                .sum()
                        });
                    });
                }
                group.finish();
            }
        }
    }
}

/// The priority flavour against async-priority-channel (async only), SPSC.
fn priority(c: &mut Criterion) {
    for cap in [Some(64), None] {
        let name = format!("queue/priority/{}/async_to_async", capacity_name(cap));
        let mut group = c.benchmark_group(name);
        group.sampling_mode(SamplingMode::Flat);
        group.sample_size(10);
        group.throughput(Throughput::Elements(MESSAGES));
        group.bench_function(BenchmarkId::from_parameter("amphi"), |b| {
            b.iter_custom(|iters| {
                (0..iters)
                    .map(|_| {
                        let queue = cap.map_or_else(Queue::priority_unbounded, Queue::priority);
                        let q = queue.clone();
                        time_threads(
                            Shape::SPSC,
                            MESSAGES,
                            move |_, count| {
                                block_on(async {
                                    for i in 0..count {
                                        let _ = q.put((i % 16, i)).await;
                                    }
                                });
                                q.close();
                            },
                            move |_| {
                                block_on(async {
                                    let mut got = 0;
                                    while queue.get().await.is_ok() {
                                        got += 1;
                                    }
                                    got
                                })
                            },
                        )
                    })
                    .sum()
            });
        });
        group.bench_function(BenchmarkId::from_parameter("async-priority-channel"), |b| {
            b.iter_custom(|iters| {
                (0..iters)
                    .map(|_| {
                        let (tx, rx) = match cap {
                            Some(cap) => async_priority_channel::bounded(cap as u64),
                            None => async_priority_channel::unbounded(),
                        };
                        time_threads(
                            Shape::SPSC,
                            MESSAGES,
                            move |_, count| {
                                block_on(async {
                                    for i in 0..count {
                                        let _ = tx.send(i, i % 16).await;
                                    }
                                });
                            },
                            move |_| {
                                block_on(async {
                                    let mut got = 0;
                                    while rx.recv().await.is_ok() {
                                        got += 1;
                                    }
                                    got
                                })
                            },
                        )
                    })
                    .sum()
            });
        });
        group.finish();
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(1));
    targets = throughput, priority
}
criterion_main!(benches);
