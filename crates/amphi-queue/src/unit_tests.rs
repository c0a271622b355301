//! Unit tests that also run under miri (`cargo +nightly miri test -p amphi-queue --lib`):
//! threads and `block_on` only, no reactor.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use crate::{GetError, Queue, TryGetError};

const N: usize = if cfg!(miri) { 30 } else { 10_000 };

fn poll_once<F: Future + Unpin>(fut: &mut F) -> Poll<F::Output> {
    Pin::new(fut).poll(&mut Context::from_waker(std::task::Waker::noop()))
}

#[test]
fn threads_and_a_task_share_a_queue() {
    let queue = Queue::bounded(2);
    let producers: Vec<_> = (0..2)
        .map(|p| {
            let queue = queue.clone();
            std::thread::spawn(move || {
                for i in 0..N {
                    queue.put_blocking(p * N + i).expect("open");
                }
            })
        })
        .collect();
    let consumer = {
        let queue = queue.clone();
        std::thread::spawn(move || {
            futures_lite::future::block_on(async {
                let mut seen = vec![false; 2 * N];
                while let Ok(i) = queue.get().await {
                    assert!(!std::mem::replace(&mut seen[i], true), "duplicate {i}");
                }
                seen.into_iter().all(|s| s)
            })
        })
    };
    for p in producers {
        p.join().expect("producer");
    }
    queue.close();
    assert!(consumer.join().expect("consumer"), "an item was lost");
}

#[test]
fn close_releases_blocked_threads() {
    let queue: Queue<u32> = Queue::bounded(1);
    let getter = {
        let queue = queue.clone();
        std::thread::spawn(move || queue.get_blocking())
    };
    let full = Queue::bounded(1);
    full.try_put(1).expect("room");
    let putter = {
        let full = full.clone();
        std::thread::spawn(move || full.put_blocking(2).map_err(|e| e.into_inner()))
    };
    queue.close();
    full.close();
    assert_eq!(getter.join().expect("getter"), Err(GetError));
    assert_eq!(putter.join().expect("putter"), Err(2));
    assert_eq!(full.try_get(), Ok(1));
    assert_eq!(full.try_get(), Err(TryGetError::Closed));
}

#[test]
fn a_cancelled_get_hands_its_wakeup_to_a_blocked_thread() {
    let queue = Queue::bounded(1);
    let mut cancelled = queue.get();
    assert!(poll_once(&mut cancelled).is_pending());
    let blocked = {
        let queue = queue.clone();
        std::thread::spawn(move || queue.get_blocking())
    };
    queue.put_blocking(9).expect("open");
    drop(cancelled);
    assert_eq!(blocked.join().expect("getter"), Ok(9));
}

#[test]
fn dropping_the_last_handle_drops_each_item_once() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    struct Counted(Arc<AtomicUsize>);
    impl Drop for Counted {
        fn drop(&mut self) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }
    let drops = Arc::new(AtomicUsize::new(0));
    let fifo = Queue::unbounded();
    for _ in 0..5 {
        fifo.try_put(Counted(Arc::clone(&drops)))
            .map_err(drop)
            .expect("room");
    }
    let taken = fifo.try_get().expect("item");
    let evicted = fifo.clone();
    drop(fifo);
    drop(evicted);
    assert_eq!(drops.load(Ordering::SeqCst), 4);
    drop(taken);
    assert_eq!(drops.load(Ordering::SeqCst), 5);
}

#[test]
fn the_ring_wraps_around_and_counts_its_items() {
    let ring = crate::sync::ArrayRing::new(3);
    for lap in 0..10u32 {
        for i in 0..3 {
            assert!(ring.push(lap * 3 + i, false).is_ok());
        }
        assert!(matches!(
            ring.push(99, false),
            Err(crate::sync::Refused::Full(99))
        ));
        assert_eq!(ring.len(), 3);
        for i in 0..3 {
            assert_eq!(ring.pop().ok(), Some(lap * 3 + i));
        }
        assert_eq!(ring.len(), 0);
        assert_eq!(ring.pop().err(), Some(crate::sync::Empty::Open));
    }
}

#[test]
fn the_ring_flags_refuse_pushes_and_keep_items() {
    let ring = crate::sync::ArrayRing::new(2);
    assert!(ring.push(1, false).is_ok());
    ring.set_slow(true);
    assert!(matches!(
        ring.push(2, false),
        Err(crate::sync::Refused::Slow(2))
    ));
    assert!(
        ring.push(2, true).is_ok(),
        "a locked push passes the slow flag"
    );
    ring.set_slow(false);
    ring.close();
    assert!(matches!(
        ring.push(3, true),
        Err(crate::sync::Refused::Closed(3))
    ));
    assert_eq!(ring.pop().ok(), Some(1));
    assert_eq!(ring.pop().ok(), Some(2));
    assert_eq!(ring.pop().err(), Some(crate::sync::Empty::Closed));
}

#[test]
fn a_dropped_ring_drops_each_left_item_once() {
    let counter = std::sync::Arc::new(());
    {
        let ring = crate::sync::ArrayRing::new(4);
        // Wrap the positions first, so the leftovers straddle the end of the buffer.
        for _ in 0..3 {
            assert!(ring.push(std::sync::Arc::clone(&counter), false).is_ok());
            drop(ring.pop());
        }
        for _ in 0..4 {
            assert!(ring.push(std::sync::Arc::clone(&counter), false).is_ok());
        }
        drop(ring.pop());
        assert_eq!(std::sync::Arc::strong_count(&counter), 4);
    }
    assert_eq!(
        std::sync::Arc::strong_count(&counter),
        1,
        "leftovers dropped once each"
    );
}

#[test]
fn threads_share_a_ring_without_loss_or_duplicates() {
    let ring = std::sync::Arc::new(crate::sync::ArrayRing::new(2));
    let producers: Vec<_> = (0..2)
        .map(|p| {
            let ring = std::sync::Arc::clone(&ring);
            std::thread::spawn(move || {
                for i in 0..N {
                    let mut item = p * N + i;
                    while let Err(refused) = ring.push(item, false) {
                        match refused {
                            crate::sync::Refused::Full(back) => item = back,
                            _ => unreachable!("the ring stays open"),
                        }
                        std::thread::yield_now();
                    }
                }
            })
        })
        .collect();
    let mut seen = vec![false; 2 * N];
    let mut got = 0;
    while got < 2 * N {
        match ring.pop() {
            Ok(item) => {
                assert!(
                    !std::mem::replace(&mut seen[item], true),
                    "duplicate {item}"
                );
                got += 1;
            }
            Err(_) => std::thread::yield_now(),
        }
    }
    for producer in producers {
        producer.join().expect("producer");
    }
}

#[test]
fn the_ring_counts_pushes_across_laps() {
    let ring = crate::sync::ArrayRing::new(3);
    for i in 0..10 {
        assert!(ring.push(i, false).is_ok());
        assert_eq!(ring.pop().ok(), Some(i));
    }
    assert_eq!(ring.pushes(), 10);
}

#[test]
fn the_unfinished_count_survives_the_position_space_wrapping() {
    use crate::core::{GetOutcome, PutOutcome};
    let wakers = crate::wakers::Wakers::new();
    let ring = crate::ring::Ring::near_wrap(3, 2);
    // Six pushes reach the wrap; go well past it with two items always unfinished.
    assert!(matches!(ring.try_put(0u32, &wakers), PutOutcome::Done));
    for i in 1..20 {
        assert!(matches!(ring.try_put(i, &wakers), PutOutcome::Done));
        assert!(matches!(ring.try_get(&wakers), GetOutcome::Item(got) if got == i - 1));
        assert_eq!(ring.unfinished(), 2, "after put {i}");
        assert!(ring.task_done(&wakers).is_ok());
    }
    while ring.task_done(&wakers).is_ok() {}
    assert_eq!(ring.unfinished(), 0);
    assert!(
        ring.task_done(&wakers).is_err(),
        "more task_done than puts is an error"
    );
}

#[test]
fn the_list_crosses_blocks_in_order_and_counts_its_items() {
    let list = crate::sync::BlockList::new();
    for round in 0..4u32 {
        // 100 items span four blocks; every round starts at another offset in a block.
        for i in 0..100 {
            assert!(list.push(round * 100 + i, false).is_ok());
        }
        assert_eq!(list.len(), 100);
        for i in 0..100 {
            assert_eq!(list.pop().ok(), Some(round * 100 + i));
        }
        assert_eq!(list.len(), 0);
        assert_eq!(list.pop().err(), Some(crate::sync::Empty::Open));
    }
    assert_eq!(list.pushes(), 400);
}

#[test]
fn the_list_flags_refuse_pushes_and_keep_items() {
    let list = crate::sync::BlockList::new();
    // Start next to a block boundary, so that refusals meet a link too.
    for i in 0..30 {
        assert!(list.push(i, false).is_ok());
    }
    list.set_slow(true);
    assert!(matches!(
        list.push(30, false),
        Err(crate::sync::Refused::Slow(30))
    ));
    assert!(
        list.push(30, true).is_ok(),
        "a locked push passes the slow flag"
    );
    assert!(
        list.push(31, true).is_ok(),
        "and crosses into the next block"
    );
    list.set_slow(false);
    assert!(list.push(32, false).is_ok());
    list.close();
    assert!(matches!(
        list.push(33, true),
        Err(crate::sync::Refused::Closed(33))
    ));
    for i in 0..33 {
        assert_eq!(list.pop().ok(), Some(i));
    }
    assert_eq!(list.pop().err(), Some(crate::sync::Empty::Closed));
}

#[test]
fn a_dropped_list_drops_each_left_item_and_block_once() {
    let counter = std::sync::Arc::new(());
    for left in [0, 1, 30, 31, 32, 75] {
        let list = crate::sync::BlockList::new();
        // Empty some blocks first, so that a spare exists and the leftovers start mid-block.
        for _ in 0..40 {
            assert!(list.push(std::sync::Arc::clone(&counter), false).is_ok());
        }
        while list.pop().is_ok() {}
        for _ in 0..left {
            assert!(list.push(std::sync::Arc::clone(&counter), false).is_ok());
        }
        assert_eq!(std::sync::Arc::strong_count(&counter), 1 + left);
        drop(list);
        assert_eq!(
            std::sync::Arc::strong_count(&counter),
            1,
            "{left} leftovers dropped once each"
        );
    }
}

#[test]
fn threads_share_the_list_without_loss_duplicates_or_reordering() {
    // Two producers and two consumers cross many blocks, which are retired and reused while
    // both sides run. Each consumer sees each producer's items in the order they were put.
    let list = std::sync::Arc::new(crate::sync::BlockList::new());
    let producers: Vec<_> = (0..2)
        .map(|p| {
            let list = std::sync::Arc::clone(&list);
            std::thread::spawn(move || {
                for i in 0..N {
                    assert!(list.push(p * N + i, false).is_ok());
                }
            })
        })
        .collect();
    let consumers: Vec<_> = (0..2)
        .map(|_| {
            let list = std::sync::Arc::clone(&list);
            std::thread::spawn(move || {
                let mut got = Vec::new();
                let mut last = [None::<usize>; 2];
                while got.len() < N {
                    match list.pop() {
                        Ok(item) => {
                            let from = item / N;
                            assert!(last[from] < Some(item), "out of order: {item}");
                            last[from] = Some(item);
                            got.push(item);
                        }
                        Err(_) => std::thread::yield_now(),
                    }
                }
                got
            })
        })
        .collect();
    for producer in producers {
        producer.join().expect("producer");
    }
    let mut seen = vec![false; 2 * N];
    for consumer in consumers {
        for item in consumer.join().expect("consumer") {
            assert!(
                !std::mem::replace(&mut seen[item], true),
                "duplicate {item}"
            );
        }
    }
    assert!(seen.iter().all(|&s| s), "every item taken");
    assert_eq!(list.len(), 0);
}

#[test]
fn the_unbounded_count_survives_the_position_space_wrapping() {
    use crate::core::{GetOutcome, PutOutcome};
    let wakers = crate::wakers::Wakers::new();
    let ring = crate::ring::Ring::unbounded_near_wrap(2);
    // Two blocks (62 pushes) reach the wrap; go well past it with two items unfinished.
    assert!(matches!(ring.try_put(0u32, &wakers), PutOutcome::Done));
    for i in 1..200 {
        assert!(matches!(ring.try_put(i, &wakers), PutOutcome::Done));
        assert!(matches!(ring.try_get(&wakers), GetOutcome::Item(got) if got == i - 1));
        assert_eq!(ring.unfinished(), 2, "after put {i}");
        assert_eq!(ring.len(), 1, "after put {i}");
        assert!(ring.task_done(&wakers).is_ok());
    }
    while ring.task_done(&wakers).is_ok() {}
    assert_eq!(ring.unfinished(), 0);
}

/// A stream keeps its wait state from item to item: each wait must start with the whole
/// budget of executor yields (see `Core::ASYNC_YIELDS`), not what the first one left.
#[test]
fn a_stream_gets_its_executor_yields_back_after_each_item() {
    use futures_core::Stream;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::task::{Wake, Waker};

    struct Count(AtomicUsize);
    impl Wake for Count {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
        fn wake_by_ref(self: &Arc<Self>) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    let queue = Queue::bounded(4);
    let mut stream = queue.stream();
    let wakes = Arc::new(Count(AtomicUsize::new(0)));
    let waker = Waker::from(Arc::clone(&wakes));
    let mut cx = Context::from_waker(&waker);
    // The wakes a wait on the empty queue gives itself over 40 polls: one per executor yield.
    let mut yields_of_a_wait = |stream: &mut crate::QueueStream<u32>| {
        let before = wakes.0.load(Ordering::SeqCst);
        for _ in 0..40 {
            assert!(Pin::new(&mut *stream).poll_next(&mut cx).is_pending());
        }
        wakes.0.load(Ordering::SeqCst) - before
    };
    let first = yields_of_a_wait(&mut stream);
    for item in 0..3 {
        assert!(queue.try_put(item).is_ok());
        let got =
            Pin::new(&mut stream).poll_next(&mut Context::from_waker(std::task::Waker::noop()));
        assert_eq!(got, Poll::Ready(Some(item)));
        assert_eq!(
            yields_of_a_wait(&mut stream),
            first,
            "wait after item {item}"
        );
    }
}
