//! Races a review found between forced puts, permits and `join`, and blocking timeouts on a
//! loaded machine: each test failed before its fix. All bounded in time.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Barrier, mpsc};
use std::time::{Duration, Instant};

use amphi_queue::{GetTimeoutError, Queue};
use futures_lite::future::{block_on, poll_once};

/// Runs `f` on a thread; fails if it does not finish within `secs`.
fn bounded<F: FnOnce() + Send + 'static>(secs: u64, f: F) {
    let (tx, rx) = mpsc::channel();
    let handle = std::thread::spawn(move || {
        f();
        let _ = tx.send(());
    });
    match rx.recv_timeout(Duration::from_secs(secs)) {
        Ok(()) | Err(mpsc::RecvTimeoutError::Disconnected) => {
            if let Err(panic) = handle.join() {
                std::panic::resume_unwind(panic);
            }
        }
        Err(mpsc::RecvTimeoutError::Timeout) => panic!("did not finish within {secs} s"),
    }
}

/// One item in the queue and forced puts evicting it again and again: something is always
/// unfinished, so a `join` polled meanwhile must never complete. On the ring the eviction
/// used to count the evicted item done before the new one was counted, and `join` slipped
/// through millions of times a second.
fn joins_during_forced_puts(queue: Queue<u64>) -> usize {
    queue.put_blocking(0).expect("open");
    let stop = Arc::new(AtomicBool::new(false));
    let joiner = {
        let (queue, stop) = (queue.clone(), Arc::clone(&stop));
        std::thread::spawn(move || {
            let mut completed = 0;
            while !stop.load(Ordering::Relaxed) {
                if block_on(poll_once(queue.join())).is_some() {
                    completed += 1;
                }
            }
            completed
        })
    };
    let start = Instant::now();
    let mut n = 1;
    while start.elapsed() < Duration::from_millis(500) {
        let evicted = queue.force_put(n).expect("open");
        assert!(evicted.is_some(), "a forced put into a full queue evicts");
        n += 1;
    }
    stop.store(true, Ordering::Relaxed);
    let completed = joiner.join().expect("the joiner does not panic");
    assert_eq!(queue.unfinished_tasks(), 1);
    completed
}

#[test]
fn a_forced_put_never_lets_join_through() {
    bounded(30, || {
        for (name, queue) in [
            ("ring", Queue::bounded(1)),
            ("lifo", Queue::lifo(1)),
            ("priority", Queue::priority(1)),
        ] {
            let completed = joins_during_forced_puts(queue);
            assert_eq!(
                completed, 0,
                "{name}: join completed while an item was unfinished"
            );
        }
    });
}

/// Capacity 2 and one permit: the permit's put and another put race, and there is always
/// room for both. The ring used to count the permit's slot twice for a moment (pushed, and
/// still reserved), refusing the other put or evicting the permit's item. The window was
/// narrow (one or two hits in 100,000 rounds in the review that found it, every time with
/// the window widened by a sleep), so this catches a regression only some of the time.
#[test]
fn a_permit_put_never_makes_a_queue_with_room_look_full() {
    bounded(60, || {
        let queue: Queue<u64> = Queue::bounded(2);
        let rounds = if cfg!(debug_assertions) {
            50_000
        } else {
            200_000
        };
        let barrier = Barrier::new(2);
        let wrong = AtomicUsize::new(0);
        std::thread::scope(|s| {
            s.spawn(|| {
                for _ in 0..rounds {
                    let permit = block_on(queue.reserve()).expect("open");
                    barrier.wait();
                    permit.put(1);
                    barrier.wait();
                    barrier.wait();
                }
            });
            s.spawn(|| {
                for i in 0..rounds {
                    barrier.wait();
                    let refused = if i % 2 == 0 {
                        queue.force_put(2).expect("open").is_some()
                    } else {
                        queue.try_put(2).is_err()
                    };
                    if refused {
                        wrong.fetch_add(1, Ordering::Relaxed);
                    }
                    barrier.wait();
                    while queue.try_get().is_ok() {}
                    barrier.wait();
                }
            });
        });
        assert_eq!(
            wrong.load(Ordering::Relaxed),
            0,
            "puts refused or items evicted with room in the queue"
        );
    });
}

/// Runs `f` while `hogs` threads keep the cores busy.
fn with_busy_cores<R>(hogs: usize, f: impl FnOnce() -> R) -> R {
    let stop = Arc::new(AtomicBool::new(false));
    let threads: Vec<_> = (0..hogs)
        .map(|_| {
            let stop = Arc::clone(&stop);
            std::thread::spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    std::hint::spin_loop();
                }
            })
        })
        .collect();
    let result = f();
    stop.store(true, Ordering::Relaxed);
    for thread in threads {
        thread.join().expect("a busy thread does not panic");
    }
    result
}

/// A blocking wait with a deadline stops spinning and yielding at the deadline. Before,
/// the whole spin budget (64 yields) ran first, and with the cores busy each yield could
/// give up a time slice: `get_timeout(ZERO)` took up to 700 ms. The bound here is loose
/// (a preempted thread may lose a slice or two); the overshoot it guards against is tens
/// of slices.
#[test]
fn a_blocking_timeout_ends_near_its_deadline_on_busy_cores() {
    bounded(60, || {
        for (name, make) in [
            ("ring", (|| Queue::bounded(1)) as fn() -> Queue<u32>),
            ("lifo", || Queue::lifo(1)),
        ] {
            for timeout in [Duration::ZERO, Duration::from_millis(1)] {
                let worst = with_busy_cores(2, || {
                    let queue = make();
                    let mut worst = Duration::ZERO;
                    for _ in 0..20 {
                        let start = Instant::now();
                        assert_eq!(queue.get_timeout(timeout), Err(GetTimeoutError::Timeout));
                        worst = worst.max(start.elapsed());
                    }
                    worst
                });
                assert!(
                    worst < timeout + Duration::from_millis(150),
                    "{name}: get_timeout({timeout:?}) took up to {worst:?} on busy cores"
                );
            }
        }
    });
}
