//! Loom models of the put/get/close/cancel/join paths.
//!
//! Run: `RUSTFLAGS="--cfg amphi_loom" CARGO_TARGET_DIR=target/loom LOOM_MAX_PREEMPTIONS=2 \
//! cargo test -p amphi-queue --release --lib loom_models`.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use loom::thread;

use crate::{GetError, Queue};

/// Polls `fut` once with a no-op waker.
fn poll_once<F: Future + Unpin>(fut: &mut F) -> Poll<F::Output> {
    let waker = std::task::Waker::noop();
    Pin::new(fut).poll(&mut Context::from_waker(waker))
}

#[test]
fn blocking_put_and_get_hand_over_in_order() {
    loom::model(|| {
        let queue = Queue::bounded(1);
        let producer = {
            let queue = queue.clone();
            thread::spawn(move || {
                queue.put_blocking(1).expect("open");
                queue.put_blocking(2).expect("open");
            })
        };
        assert_eq!(queue.get_blocking(), Ok(1));
        assert_eq!(queue.get_blocking(), Ok(2));
        producer.join().expect("producer");
    });
}

#[test]
fn close_wakes_a_blocked_getter() {
    loom::model(|| {
        let queue: Queue<u8> = Queue::bounded(1);
        let getter = {
            let queue = queue.clone();
            thread::spawn(move || queue.get_blocking())
        };
        queue.close();
        assert_eq!(getter.join().expect("getter"), Err(GetError));
    });
}

#[test]
fn close_wakes_a_blocked_putter_and_hands_the_item_back() {
    loom::model(|| {
        let queue = Queue::bounded(1);
        queue.try_put(1).map_err(drop).expect("room");
        let putter = {
            let queue = queue.clone();
            thread::spawn(move || queue.put_blocking(2).map_err(|e| e.into_inner()))
        };
        queue.close();
        assert_eq!(putter.join().expect("putter"), Err(2));
        assert_eq!(queue.try_get(), Ok(1));
    });
}

#[test]
fn an_async_get_cancelled_mid_wait_loses_nothing() {
    loom::model(|| {
        let queue = Queue::bounded(1);
        let putter = {
            let queue = queue.clone();
            thread::spawn(move || queue.put_blocking(7).expect("open"))
        };
        // Poll a get once (it may or may not find the item), then cancel it.
        let mut get = queue.get();
        let first = poll_once(&mut get);
        drop(get);
        putter.join().expect("putter");
        match first {
            Poll::Ready(item) => assert_eq!(item, Ok(7)),
            Poll::Pending => assert_eq!(queue.try_get(), Ok(7), "the cancelled get took nothing"),
        }
    });
}

#[test]
fn a_woken_getter_that_is_cancelled_passes_the_item_on() {
    loom::model(|| {
        let queue = Queue::bounded(1);
        let blocked = {
            let queue = queue.clone();
            thread::spawn(move || queue.get_blocking())
        };
        let mut cancelled = queue.get();
        let polled = poll_once(&mut cancelled);
        queue.try_put(5).map_err(drop).expect("room");
        drop(cancelled);
        match polled {
            // The cancelled get had nothing; the blocked thread must get the item.
            Poll::Pending => assert_eq!(blocked.join().expect("getter"), Ok(5)),
            Poll::Ready(_) => unreachable!("nothing was put before the first poll"),
        }
    });
}

/// Puts `items` items, lets a worker thread get each and mark it done, and joins.
fn join_returns_after_the_last_task_done_on(make: fn() -> Queue<u8>, items: u8) {
    loom::model(move || {
        let queue = make();
        for i in 0..items {
            queue.try_put(i).map_err(drop).expect("room");
        }
        let worker = {
            let queue = queue.clone();
            thread::spawn(move || {
                for _ in 0..items {
                    queue.get_blocking().expect("item");
                    queue.task_done().expect("balanced");
                }
            })
        };
        queue.join_blocking();
        assert_eq!(queue.unfinished_tasks(), 0);
        worker.join().expect("worker");
    });
}

#[test]
fn join_returns_after_the_last_task_done() {
    // The locked store.
    join_returns_after_the_last_task_done_on(Queue::unbounded, 2);
}

#[test]
fn join_on_a_ring_returns_after_the_last_task_done() {
    join_returns_after_the_last_task_done_on(|| Queue::bounded(2), 1);
}

/// A permit from a queue that has room.
fn reserve_now<T>(queue: &Queue<T>) -> crate::Permit<'_, T> {
    let mut reserve = queue.reserve();
    let Poll::Ready(Ok(permit)) = poll_once(&mut reserve) else {
        panic!("an open queue with room grants a permit at once");
    };
    permit
}

#[test]
fn a_dropped_permit_wakes_a_blocked_putter() {
    loom::model(|| {
        let queue = Queue::bounded(1);
        let permit = reserve_now(&queue);
        let putter = {
            let queue = queue.clone();
            thread::spawn(move || queue.put_blocking(3).expect("open"))
        };
        drop(permit);
        putter.join().expect("putter");
        assert_eq!(queue.try_get(), Ok(3));
    });
}

#[test]
fn a_reservation_racing_a_plain_put_never_overfills() {
    loom::model(|| {
        let queue = Queue::bounded(1);
        let putter = {
            let queue = queue.clone();
            thread::spawn(move || queue.try_put(1).is_ok())
        };
        let mut reserve = queue.reserve();
        let reserved = match poll_once(&mut reserve) {
            Poll::Ready(Ok(permit)) => {
                // Must go in: the slot was promised (a debug assertion checks it).
                permit.put(2);
                true
            }
            Poll::Ready(Err(_)) => unreachable!("the queue is open"),
            Poll::Pending => false,
        };
        drop(reserve);
        let put = putter.join().expect("putter");
        assert!(!(put && reserved), "two items in a queue of one");
        assert_eq!(queue.len(), usize::from(put) + usize::from(reserved));
        assert!(queue.len() <= 1);
    });
}

#[test]
fn close_waits_for_an_outstanding_permit() {
    loom::model(|| {
        let queue = Queue::bounded(2);
        let permit = reserve_now(&queue);
        let getter = {
            let queue = queue.clone();
            thread::spawn(move || (queue.get_blocking(), queue.get_blocking()))
        };
        queue.close();
        permit.put(9);
        assert_eq!(getter.join().expect("getter"), (Ok(9), Err(GetError)));
        assert_eq!(queue.try_put(1).map_err(|e| e.into_inner()), Err(1));
    });
}

#[test]
fn a_forced_put_racing_a_get_loses_and_duplicates_nothing() {
    loom::model(|| {
        let queue = Queue::bounded(1);
        queue.try_put(1).map_err(drop).expect("room");
        let getter = {
            let queue = queue.clone();
            thread::spawn(move || queue.try_get().ok())
        };
        let evicted = queue.force_put(2).map_err(drop).expect("open");
        let got = getter.join().expect("getter");
        // Both items were put; an evicted one counts as done.
        let unfinished = 2 - usize::from(evicted.is_some());
        let mut seen: Vec<u8> = [got, evicted, queue.try_get().ok()]
            .into_iter()
            .flatten()
            .collect();
        seen.sort_unstable();
        assert_eq!(seen, [1, 2], "each item exactly once");
        assert_eq!(queue.unfinished_tasks(), unfinished);
    });
}
