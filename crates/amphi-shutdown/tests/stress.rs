//! Stress: thousands of guards and tracked units around one trigger, with exact counts and a
//! bounded time (each leg of the harness has a deadline).

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use amphi_shutdown::{Outcome, Shutdown, UnitKind};

const TASKS: usize = if cfg!(miri) { 20 } else { 2_000 };
const BLOCKING: usize = if cfg!(miri) { 4 } else { 64 };
const THREADS: usize = if cfg!(miri) { 2 } else { 4 };
const GUARDS_PER_THREAD: usize = if cfg!(miri) { 10 } else { 1_000 };

#[test]
fn thousands_of_guards_and_tasks() {
    amphi_test::run(|rt| async move {
        let shutdown = Shutdown::builder()
            .grace(Duration::from_secs(30))
            .runtime(rt.clone())
            .build();
        let observed = Arc::new(AtomicUsize::new(0));

        for i in 0..TASKS {
            let token = shutdown.token();
            let guard = shutdown.guard();
            let observed = Arc::clone(&observed);
            shutdown.spawn(format!("task-{i}"), async move {
                let _guard = guard;
                token.cancelled().await;
                observed.fetch_add(1, Ordering::Relaxed);
            });
        }
        for i in 0..BLOCKING {
            let token = shutdown.token().child();
            let observed = Arc::clone(&observed);
            shutdown.spawn_blocking(format!("blocking-{i}"), move || {
                token.cancelled_blocking();
                observed.fetch_add(1, Ordering::Relaxed);
            });
        }
        // Threads churning guards while the trigger happens: each holds a batch of guards
        // until the shutdown begins, releasing and retaking them meanwhile.
        let threads: Vec<_> = (0..THREADS)
            .map(|_| {
                let shutdown = shutdown.clone();
                let observed = Arc::clone(&observed);
                std::thread::spawn(move || {
                    let token = shutdown.token();
                    let mut rounds = 0usize;
                    loop {
                        let batch: Vec<_> =
                            (0..GUARDS_PER_THREAD).map(|_| shutdown.guard()).collect();
                        rounds += 1;
                        if token.is_cancelled() {
                            drop(batch);
                            observed.fetch_add(1, Ordering::Relaxed);
                            return rounds;
                        }
                        drop(batch);
                        std::thread::yield_now();
                    }
                })
            })
            .collect();

        rt.sleep(Duration::from_millis(20)).await;
        assert!(shutdown.trigger("stress"));
        let report = shutdown.wait().await;
        for thread in threads {
            assert!(thread.join().expect("guard thread") >= 1);
        }
        assert_eq!(observed.load(Ordering::Relaxed), TASKS + BLOCKING + THREADS);
        assert!(!report.deadline_passed(), "{report}");
        assert_eq!(report.guards_held(), 0);
        assert_eq!(report.units().len(), TASKS + BLOCKING);
        assert_eq!(report.count(&Outcome::Finished), TASKS + BLOCKING);
        assert_eq!(
            report
                .units()
                .iter()
                .filter(|u| u.kind() == UnitKind::Blocking)
                .count(),
            BLOCKING
        );
        assert!(report.is_clean());
    });
}

#[test]
fn thousands_of_tasks_cancelled_at_the_deadline() {
    amphi_test::run(|rt| async move {
        let shutdown = Shutdown::builder()
            .grace(Duration::from_millis(100))
            .runtime(rt.clone())
            .build();
        /// Counts its drop: the task holding it is gone.
        struct Gone(Arc<AtomicUsize>);
        impl Drop for Gone {
            fn drop(&mut self) {
                self.0.fetch_add(1, Ordering::SeqCst);
            }
        }
        let gone = Arc::new(AtomicUsize::new(0));
        for i in 0..TASKS {
            let gone = Gone(Arc::clone(&gone));
            shutdown.spawn(format!("stuck-{i}"), async move {
                let _gone = gone;
                std::future::pending::<()>().await;
            });
        }
        shutdown.trigger("deadline stress");
        let report = shutdown.wait().await;
        assert!(report.deadline_passed());
        assert_eq!(report.count(&Outcome::Cancelled), TASKS, "on {}", rt.name());
        // Every cancelled task is really gone soon after: the wait drains well before its
        // 10 s, and every task's future has been dropped.
        let start = std::time::Instant::now();
        let report = shutdown.wait_more(Duration::from_secs(10)).await;
        assert!(
            start.elapsed() < Duration::from_secs(5),
            "cancelled tasks lingered {:?} on {}",
            start.elapsed(),
            rt.name()
        );
        assert_eq!(gone.load(Ordering::SeqCst), TASKS, "on {}", rt.name());
        assert_eq!(report.count(&Outcome::Cancelled), TASKS);
        assert_eq!(report.guards_held(), 0);
    });
}

#[test]
fn guard_churn_from_many_threads_counts_exactly() {
    let shutdown = Shutdown::builder().grace(Duration::from_secs(30)).build();
    let held: Vec<_> = (0..THREADS * GUARDS_PER_THREAD)
        .map(|_| shutdown.guard())
        .collect();
    let held = Arc::new(std::sync::Mutex::new(held));
    let threads: Vec<_> = (0..THREADS)
        .map(|_| {
            let shutdown = shutdown.clone();
            let held = Arc::clone(&held);
            std::thread::spawn(move || {
                for _ in 0..GUARDS_PER_THREAD {
                    let extra = shutdown.guard();
                    let one = held.lock().map(|mut v| v.pop()).ok().flatten();
                    drop(one);
                    drop(extra);
                }
            })
        })
        .collect();
    for thread in threads {
        thread.join().expect("thread");
    }
    assert!(held.lock().map(|v| v.is_empty()).unwrap_or(false));
    shutdown.trigger("done");
    let report = shutdown.wait_blocking();
    assert_eq!(report.guards_held(), 0);
    assert!(!report.deadline_passed());
}
