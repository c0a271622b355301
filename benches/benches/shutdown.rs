//! Shutdown hot paths beside tokio-util's `CancellationToken` and `TaskTracker`:
//!
//! - `shutdown/is_cancelled`: checking the flag of a token that is not cancelled.
//! - `shutdown/guard_acquire_release`: taking and dropping one in-flight guard
//!   (`Shutdown::guard` vs `TaskTracker::token`).
//! - `shutdown/wake_10000_tasks`: on a 2-worker tokio multi-thread runtime, 10,000 tasks wait
//!   for the token; the time from the trigger until the last of them has observed it.
//!
//! Function ids: `amphi` and `tokio-util`.

use std::hint::black_box;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use amphi_shutdown::Shutdown;
use criterion::{Criterion, criterion_group, criterion_main};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

/// Tasks waiting in the wake benchmark.
const WAITERS: usize = 10_000;

fn is_cancelled(c: &mut Criterion) {
    let mut group = c.benchmark_group("shutdown/is_cancelled");
    let shutdown = Shutdown::new();
    let token = shutdown.token();
    group.bench_function("amphi", |b| b.iter(|| black_box(&token).is_cancelled()));
    let token = CancellationToken::new();
    group.bench_function("tokio-util", |b| {
        b.iter(|| black_box(&token).is_cancelled())
    });
    group.finish();
}

fn guard_acquire_release(c: &mut Criterion) {
    let mut group = c.benchmark_group("shutdown/guard_acquire_release");
    let shutdown = Shutdown::new();
    group.bench_function("amphi", |b| b.iter(|| drop(black_box(shutdown.guard()))));
    let tracker = TaskTracker::new();
    group.bench_function("tokio-util", |b| {
        b.iter(|| drop(black_box(tracker.token())))
    });
    group.finish();
}

/// One measured round: `WAITERS` tasks wait through `wait_for`, then `trigger` fires; returns
/// the time from the trigger until the last task has observed it.
fn wake_round<T, W, F>(rt: &tokio::runtime::Runtime, token: T, wait_for: W, trigger: F) -> Duration
where
    T: Clone + Send + Sync + 'static,
    W: Fn(T) -> std::pin::Pin<Box<dyn Future<Output = ()> + Send>>,
    F: FnOnce(&T),
{
    let started = Arc::new(AtomicUsize::new(0));
    let left = Arc::new(AtomicUsize::new(WAITERS));
    let (done_tx, done_rx) = mpsc::sync_channel::<()>(1);
    for _ in 0..WAITERS {
        let wait = wait_for(token.clone());
        let started = Arc::clone(&started);
        let left = Arc::clone(&left);
        let done_tx = done_tx.clone();
        rt.spawn(async move {
            started.fetch_add(1, Ordering::Release);
            wait.await;
            if left.fetch_sub(1, Ordering::AcqRel) == 1 {
                let _ = done_tx.send(());
            }
        });
    }
    while started.load(Ordering::Acquire) < WAITERS {
        std::thread::yield_now();
    }
    // Let the last polls finish registering their waiters.
    std::thread::sleep(Duration::from_millis(2));
    let start = Instant::now();
    trigger(&token);
    done_rx.recv().expect("the last waiter reports");
    start.elapsed()
}

fn wake_10000_tasks(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .build()
        .expect("tokio runtime");
    let mut group = c.benchmark_group("shutdown/wake_10000_tasks");
    group.sample_size(20);
    group.bench_function("amphi", |b| {
        b.iter_custom(|iters| {
            (0..iters)
                .map(|_| {
                    let shutdown = Shutdown::new();
                    wake_round(
                        &rt,
                        shutdown.clone(),
                        |shutdown| {
                            let token = shutdown.token();
                            Box::pin(async move { token.cancelled().await })
                        },
                        |shutdown| {
                            shutdown.trigger("bench");
                        },
                    )
                })
                .sum()
        });
    });
    group.bench_function("tokio-util", |b| {
        b.iter_custom(|iters| {
            (0..iters)
                .map(|_| {
                    wake_round(
                        &rt,
                        CancellationToken::new(),
                        |token| Box::pin(async move { token.cancelled().await }),
                        CancellationToken::cancel,
                    )
                })
                .sum()
        });
    });
    group.finish();
}

criterion_group!(
    benches,
    is_cancelled,
    guard_acquire_release,
    wake_10000_tasks
);
criterion_main!(benches);
