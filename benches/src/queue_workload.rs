//! Workloads for the queue benchmarks: N producer threads and M consumer threads moving a
//! fixed number of `u64`s, each side either blocking or async (its own thread under
//! `futures_lite::future::block_on`), timed by the workers' own clocks from the first
//! start to the last end.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

/// Which face each side uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// Blocking producers, blocking consumers.
    SyncToSync,
    /// Blocking producers, async consumers.
    SyncToAsync,
    /// Async producers, blocking consumers.
    AsyncToSync,
    /// Async producers, async consumers.
    AsyncToAsync,
}

impl Direction {
    /// All four, in report order.
    pub const ALL: [Direction; 4] = [
        Direction::SyncToSync,
        Direction::SyncToAsync,
        Direction::AsyncToSync,
        Direction::AsyncToAsync,
    ];

    /// The group-name segment, e.g. `sync_to_async`.
    pub fn name(self) -> &'static str {
        match self {
            Direction::SyncToSync => "sync_to_sync",
            Direction::SyncToAsync => "sync_to_async",
            Direction::AsyncToSync => "async_to_sync",
            Direction::AsyncToAsync => "async_to_async",
        }
    }

    /// Whether producers are async.
    pub fn async_producer(self) -> bool {
        matches!(self, Direction::AsyncToSync | Direction::AsyncToAsync)
    }

    /// Whether consumers are async.
    pub fn async_consumer(self) -> bool {
        matches!(self, Direction::SyncToAsync | Direction::AsyncToAsync)
    }
}

/// How many threads on each side.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shape {
    /// Producer threads.
    pub producers: usize,
    /// Consumer threads.
    pub consumers: usize,
}

impl Shape {
    /// One producer, one consumer.
    pub const SPSC: Shape = Shape {
        producers: 1,
        consumers: 1,
    };
    /// Two producers, two consumers (the machine has 2 cores: more measures the scheduler).
    pub const MPMC: Shape = Shape {
        producers: 2,
        consumers: 2,
    };

    /// The group-name segment.
    pub fn name(self) -> &'static str {
        if self == Shape::SPSC {
            "spsc"
        } else {
            "mpmc2x2"
        }
    }
}

/// Queue capacities benchmarked; `None` is unbounded.
pub const CAPACITIES: [Option<usize>; 4] = [Some(1), Some(64), Some(1024), None];

/// The group-name segment of a capacity.
pub fn capacity_name(cap: Option<usize>) -> String {
    cap.map_or_else(|| "unbounded".to_owned(), |c| format!("bounded{c}"))
}

/// Runs producers and consumers on fresh threads and times them from the first thread's
/// start to the last thread's end.
///
/// `produce(i, count)` must send `count` items; `consume(i)` must receive until the channel
/// ends and return how many items it received. The total received is checked, so a broken
/// workload cannot report a rate for work it did not do.
///
/// Each worker reads the clock itself, right after the start barrier and right after its
/// work: the spawning thread may be descheduled after the barrier (on two cores, three
/// threads are runnable), so a clock read there can start after most of the work is done and
/// report rates no channel can reach.
pub fn time_threads<P, C>(shape: Shape, messages: u64, produce: P, consume: C) -> Duration
where
    P: Fn(usize, u64) + Send + Sync + 'static,
    C: Fn(usize) -> u64 + Send + Sync + 'static,
{
    let produce = Arc::new(produce);
    let consume = Arc::new(consume);
    let barrier = Arc::new(Barrier::new(shape.producers + shape.consumers));
    let per_producer = messages / shape.producers as u64;
    let mut producers = Vec::new();
    for i in 0..shape.producers {
        let (produce, barrier) = (Arc::clone(&produce), Arc::clone(&barrier));
        producers.push(std::thread::spawn(move || {
            barrier.wait();
            let start = Instant::now();
            produce(i, per_producer);
            (start, Instant::now())
        }));
    }
    let mut consumers = Vec::new();
    for i in 0..shape.consumers {
        let (consume, barrier) = (Arc::clone(&consume), Arc::clone(&barrier));
        consumers.push(std::thread::spawn(move || {
            barrier.wait();
            let start = Instant::now();
            let got = consume(i);
            (start, Instant::now(), got)
        }));
    }
    // Drop our copies so that closures holding the last sender release it when done.
    drop(produce);
    drop(consume);
    let mut first_start: Option<Instant> = None;
    let mut last_end: Option<Instant> = None;
    let mut span = |start: Instant, end: Instant| {
        first_start = Some(first_start.map_or(start, |s| s.min(start)));
        last_end = Some(last_end.map_or(end, |e| e.max(end)));
    };
    for p in producers {
        let (start, end) = p.join().expect("producer thread panicked");
        span(start, end);
    }
    let mut received = 0;
    for c in consumers {
        let (start, end, got) = c.join().expect("consumer thread panicked");
        span(start, end);
        received += got;
    }
    assert_eq!(
        received,
        per_producer * shape.producers as u64,
        "messages lost in the workload"
    );
    match (first_start, last_end) {
        (Some(start), Some(end)) => end.saturating_duration_since(start),
        _ => Duration::ZERO,
    }
}

/// Counts finished producers; the last one to finish runs `close`.
#[derive(Debug, Clone)]
pub struct LastOut {
    left: Arc<AtomicUsize>,
}

impl LastOut {
    /// For `producers` producers.
    pub fn new(producers: usize) -> Self {
        LastOut {
            left: Arc::new(AtomicUsize::new(producers)),
        }
    }

    /// Call once per producer when it is done; the last call runs `close`.
    pub fn done(&self, close: impl FnOnce()) {
        if self.left.fetch_sub(1, Ordering::AcqRel) == 1 {
            close();
        }
    }
}
