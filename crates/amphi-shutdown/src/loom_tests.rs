//! Loom models of the token and guard core. Run with:
//!
//! ```text
//! RUSTFLAGS="--cfg amphi_loom" CARGO_TARGET_DIR=target/loom LOOM_MAX_PREEMPTIONS=2 \
//!     cargo test -p amphi-shutdown --release --lib
//! ```
//!
//! The waits themselves (`event-listener`) are not modelled: the waiters below spin with
//! `yield_now`, which is what lets loom see that they always end.

use std::sync::Arc;

use loom::sync::atomic::{AtomicUsize, Ordering};
use loom::thread;

use crate::ShutdownToken;
use crate::guard::GuardCount;

/// Guards released on other threads while the shutdown is triggered and one more guard is
/// taken after the trigger: the waiter always sees the drain, the work done under every
/// guard is visible to it then, and the counts end at exactly zero.
#[test]
fn guard_counting_vs_trigger() {
    loom::model(|| {
        let token = ShutdownToken::new();
        let count = Arc::new(GuardCount::new());
        let work = Arc::new(AtomicUsize::new(0));

        let guard = count.acquire();
        let unit = count.acquire_unit();

        let worker = {
            let work = Arc::clone(&work);
            thread::spawn(move || {
                work.fetch_add(1, Ordering::Relaxed);
                drop(guard);
            })
        };
        let task = {
            let work = Arc::clone(&work);
            thread::spawn(move || {
                work.fetch_add(1, Ordering::Relaxed);
                drop(unit);
            })
        };
        let trigger = {
            let token = token.clone();
            let count = Arc::clone(&count);
            thread::spawn(move || {
                assert!(token.cancel());
                // A guard taken and released after the trigger.
                drop(count.acquire());
            })
        };

        // The waiter of `Shutdown::wait`: first the trigger, then the drain.
        while !token.is_cancelled() {
            thread::yield_now();
        }
        while !count.is_drained() {
            thread::yield_now();
        }
        assert_eq!(
            work.load(Ordering::Relaxed),
            2,
            "work under a guard not visible"
        );

        worker.join().unwrap();
        task.join().unwrap();
        trigger.join().unwrap();
        assert_eq!(count.held(), 0);
        assert_eq!(count.units(), 0);
        assert!(!token.cancel(), "cancel is idempotent");
    });
}

/// The waiter's announcement vs. the last release: when the waiter, after announcing itself,
/// still sees work in flight, a release notifies afterwards (so the event-listener wait that
/// follows the check cannot sleep forever).
#[test]
fn drain_waiter_is_notified() {
    loom::model(|| {
        let count = Arc::new(GuardCount::new());
        let guard = count.acquire();
        let unit = count.acquire_unit();
        let guard_thread = thread::spawn(move || drop(guard));
        let unit_thread = thread::spawn(move || drop(unit));

        count.announce_waiter();
        let saw_busy = !count.is_drained();

        guard_thread.join().unwrap();
        unit_thread.join().unwrap();
        assert!(count.is_drained());
        if saw_busy {
            assert!(
                count.notified.load(Ordering::Relaxed) >= 1,
                "a waiter saw work in flight and no release notified it"
            );
        }
    });
}

/// Releases before anyone waits never notify: the fast path stays lock-free.
#[test]
fn releases_without_waiters_do_not_notify() {
    loom::model(|| {
        let count = Arc::new(GuardCount::new());
        let guards: Vec<_> = (0..2).map(|_| count.acquire()).collect();
        let threads: Vec<_> = guards
            .into_iter()
            .map(|guard| thread::spawn(move || drop(guard)))
            .collect();
        for thread in threads {
            thread.join().unwrap();
        }
        assert_eq!(count.notified.load(Ordering::Relaxed), 0);
        assert!(count.is_drained());
    });
}

/// A child made while its parent is being cancelled ends up cancelled, with the parent's
/// reason, whichever goes first; and of two racing cancels exactly one reports that it did it.
#[test]
fn child_vs_cancel() {
    loom::model(|| {
        let parent = ShutdownToken::new();
        let other = {
            let parent = parent.clone();
            thread::spawn(move || parent.cancel_with("other"))
        };
        let child = parent.child();
        let mine = parent.cancel_with("mine");
        let theirs = other.join().unwrap();
        assert!(mine ^ theirs, "exactly one cancel did it");
        assert!(parent.is_cancelled());
        assert!(child.is_cancelled(), "child missed its parent's cancel");
        assert_eq!(child.reason(), parent.reason());
    });
}

/// Cancelling a child alone does not touch its parent or siblings, even while the parent is
/// being cancelled.
#[test]
fn child_cancel_alone() {
    loom::model(|| {
        let parent = ShutdownToken::new();
        let left = parent.child();
        let right = parent.child();
        let canceller = {
            let left = left.clone();
            thread::spawn(move || left.cancel_with("left only"))
        };
        let waiter = {
            let left = left.clone();
            thread::spawn(move || {
                while !left.is_cancelled() {
                    thread::yield_now();
                }
            })
        };
        assert!(canceller.join().unwrap());
        waiter.join().unwrap();
        assert!(!parent.is_cancelled());
        assert!(!right.is_cancelled());
        parent.cancel();
        assert!(right.is_cancelled());
    });
}

/// Work handed from a tracked unit to a guard (the unit takes a guard and then ends), or
/// from a guard to a unit (a guard holder starts a unit and then drops its guard), while a
/// drain check runs: something is in flight at every instant, so the check never says
/// drained. With the two counts in separate words, a check could read one count before the
/// hand-off and the other after it, and see zero in both.
fn hand_off(unit_first: bool) {
    loom::model(move || {
        let count = Arc::new(GuardCount::new());
        count.announce_waiter();
        let (unit, guard) = if unit_first {
            (Some(count.acquire_unit()), None)
        } else {
            (None, Some(count.acquire()))
        };
        let worker = {
            let count = Arc::clone(&count);
            thread::spawn(move || {
                let next = if unit_first {
                    (None, Some(count.acquire()))
                } else {
                    (Some(count.acquire_unit()), None)
                };
                drop(unit);
                drop(guard);
                next
            })
        };
        let drained = count.is_drained();
        let (unit, guard) = worker.join().unwrap();
        assert!(!drained, "drained while work was handed over");
        let expected = if unit_first { (1, 0) } else { (0, 1) };
        assert_eq!((count.held(), count.units()), expected);
        drop(unit);
        drop(guard);
        assert!(count.is_drained());
        assert_eq!((count.held(), count.units()), (0, 0));
    });
}

#[test]
fn a_unit_handing_off_to_a_guard_is_never_drained() {
    hand_off(true);
}

#[test]
fn a_guard_handing_off_to_a_unit_is_never_drained() {
    hand_off(false);
}
