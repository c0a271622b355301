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

/// Closes a queue while a thread waits to get from it.
fn close_wakes_a_blocked_getter_on(make: fn() -> Queue<u8>) {
    loom::model(move || {
        let queue = make();
        let getter = {
            let queue = queue.clone();
            thread::spawn(move || queue.get_blocking())
        };
        queue.close();
        assert_eq!(getter.join().expect("getter"), Err(GetError));
    });
}

#[test]
fn close_wakes_a_blocked_getter() {
    close_wakes_a_blocked_getter_on(|| Queue::bounded(1));
}

#[test]
fn close_wakes_a_blocked_getter_of_the_list() {
    close_wakes_a_blocked_getter_on(Queue::unbounded);
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

#[test]
fn an_async_put_cancelled_mid_wait_inserts_its_item_once_or_drops_it() {
    loom::model(|| {
        let queue = Queue::bounded(1);
        queue
            .try_put(std::sync::Arc::new(1u8))
            .map_err(drop)
            .expect("room");
        let getter = {
            let queue = queue.clone();
            thread::spawn(move || queue.get_blocking().map(|item| *item))
        };
        // Poll a put once (it may or may not find the slot freed), then cancel it.
        let item = std::sync::Arc::new(2u8);
        let mut put = queue.put(std::sync::Arc::clone(&item));
        let first = poll_once(&mut put);
        drop(put);
        assert_eq!(getter.join().expect("getter"), Ok(1));
        match first {
            Poll::Ready(done) => {
                assert!(done.is_ok(), "the queue is open");
                assert_eq!(std::sync::Arc::strong_count(&item), 2, "inserted once");
                assert_eq!(queue.try_get().map(|item| *item), Ok(2));
            }
            Poll::Pending => {
                assert_eq!(
                    std::sync::Arc::strong_count(&item),
                    1,
                    "dropped with the future"
                );
                assert!(queue.is_empty(), "the cancelled put inserted nothing");
            }
        }
    });
}

#[test]
fn a_woken_putter_that_is_cancelled_passes_the_slot_on() {
    loom::model(|| {
        let queue = Queue::bounded(1);
        queue.try_put(1).map_err(drop).expect("room");
        let blocked = {
            let queue = queue.clone();
            thread::spawn(move || queue.put_blocking(3).map_err(|e| e.into_inner()))
        };
        let mut cancelled = queue.put(2);
        let polled = poll_once(&mut cancelled);
        assert!(polled.is_pending(), "the queue was full at the first poll");
        assert_eq!(queue.try_get(), Ok(1));
        drop(cancelled);
        // Whichever putter the freed slot woke, the blocked thread must get it.
        assert_eq!(blocked.join().expect("putter"), Ok(()));
        assert_eq!(queue.try_get(), Ok(3));
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
    join_returns_after_the_last_task_done_on(Queue::lifo_unbounded, 2);
}

#[test]
fn join_on_the_list_returns_after_the_last_task_done() {
    join_returns_after_the_last_task_done_on(Queue::unbounded, 1);
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

/// Closes a queue while a permit is outstanding and a thread waits to get.
fn close_waits_for_an_outstanding_permit_on(make: fn() -> Queue<u8>) {
    loom::model(move || {
        let queue = make();
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
fn close_waits_for_an_outstanding_permit() {
    close_waits_for_an_outstanding_permit_on(|| Queue::bounded(2));
}

#[test]
fn close_waits_for_an_outstanding_permit_on_the_list() {
    close_waits_for_an_outstanding_permit_on(Queue::unbounded);
}

// The list under loom has blocks of 3 slots, so that a few items cross a block boundary.

/// Two blocking gets from a queue that will have them.
fn take_two(queue: &Queue<u8>) -> [u8; 2] {
    [(); 2].map(|()| queue.get_blocking().expect("an item comes"))
}

#[test]
fn the_list_hands_items_across_a_block_boundary_to_two_getters() {
    loom::model(|| {
        let queue = Queue::unbounded();
        queue.try_put(0u8).map_err(drop).expect("open");
        queue.try_put(1).map_err(drop).expect("open");
        // The producer takes the block's last slot (and links the next block) and the first
        // slot of the next block, while two getters take two items each.
        let producer = {
            let queue = queue.clone();
            thread::spawn(move || {
                queue.try_put(2).map_err(drop).expect("open");
                queue.try_put(3).map_err(drop).expect("open");
            })
        };
        let getter = {
            let queue = queue.clone();
            thread::spawn(move || take_two(&queue))
        };
        let mine = take_two(&queue);
        producer.join().expect("producer");
        let theirs = getter.join().expect("getter");
        for pair in [mine, theirs] {
            assert!(pair[0] < pair[1], "each getter sees FIFO order: {pair:?}");
        }
        let mut all: Vec<u8> = mine.into_iter().chain(theirs).collect();
        all.sort_unstable();
        assert_eq!(all, [0, 1, 2, 3], "each item exactly once");
    });
}

#[test]
fn the_list_reuses_an_emptied_block_while_both_sides_run() {
    loom::model(|| {
        let queue = Queue::unbounded();
        // Seven items over blocks of three: the first block may be emptied (and kept as the
        // spare) before the third is linked, which then reuses it for the seventh item.
        let producer = {
            let queue = queue.clone();
            thread::spawn(move || {
                for i in 0..7u8 {
                    queue.try_put(i).map_err(drop).expect("open");
                }
            })
        };
        for i in 0..7u8 {
            assert_eq!(queue.get_blocking(), Ok(i));
        }
        producer.join().expect("producer");
        assert_eq!(queue.try_get(), Err(crate::TryGetError::Empty));
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

#[test]
fn the_list_alone_reuses_an_emptied_block_while_both_sides_run() {
    // The same traffic straight on the list, without the queue's wake-ups: their loom-only
    // fences (see `sync::seqcst_rmw_then_load`) would order the reuse of a block on their own
    // and hide a missing acquire when the spare is taken. One preemption suffices to catch
    // that mutation (checked) and keeps the model to seconds instead of minutes.
    let mut builder = loom::model::Builder::new();
    builder.preemption_bound = Some(1);
    builder.check(|| {
        let list = crate::sync::Arc::new(crate::sync::BlockList::new());
        let producer = {
            let list = crate::sync::Arc::clone(&list);
            thread::spawn(move || {
                for i in 0..7u8 {
                    assert!(list.push(i, false).is_ok(), "the list stays open");
                }
            })
        };
        for i in 0..7u8 {
            loop {
                match list.pop() {
                    Ok(item) => {
                        assert_eq!(item, i);
                        break;
                    }
                    Err(_) => thread::yield_now(),
                }
            }
        }
        producer.join().expect("producer");
    });
}

/// What a closer wrote before `close` is visible to a put refused as closed and to a get that
/// finds the queue closed and empty (the broker reads a flag set before the close after a
/// refused put, to tell a retired channel from a shutdown).
fn a_refusal_by_close_sees_what_came_before_it_on(make: fn() -> Queue<u8>) {
    use loom::sync::Arc;
    use loom::sync::atomic::{AtomicBool, Ordering};
    loom::model(move || {
        let queue = make();
        let retired = Arc::new(AtomicBool::new(false));
        let closer = {
            let queue = queue.clone();
            let retired = Arc::clone(&retired);
            thread::spawn(move || {
                retired.store(true, Ordering::Relaxed);
                queue.close();
            })
        };
        if queue.try_put(1).is_err() {
            assert!(
                retired.load(Ordering::Relaxed),
                "refused put missed the flag"
            );
        }
        if let Err(crate::TryGetError::Closed) = queue.try_get() {
            assert!(
                retired.load(Ordering::Relaxed),
                "closed get missed the flag"
            );
        }
        closer.join().expect("closer");
    });
}

#[test]
fn a_refusal_by_close_sees_what_came_before_it() {
    a_refusal_by_close_sees_what_came_before_it_on(|| Queue::bounded(1));
}

#[test]
fn a_refusal_by_close_sees_what_came_before_it_on_the_list() {
    a_refusal_by_close_sees_what_came_before_it_on(Queue::unbounded);
}
