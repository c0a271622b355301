//! Permits against the other puts: a promised slot is never taken by a plain or forced put,
//! a permit's item is delivered even across a close, and the same holds for every flavour
//! (the lock-free ring of bounded FIFO queues, the lock-free list of unbounded ones, and the
//! locked store of the others).

use std::time::Duration;

use amphi_queue::{GetError, Queue, TryGetError, TryPutError};

/// One queue of each store and flavour, all of capacity `cap` (but for the unbounded list,
/// where the tests that need a full queue do not apply).
fn flavours(cap: usize) -> Vec<(&'static str, Queue<u32>)> {
    vec![
        ("fifo ring", Queue::bounded(cap)),
        ("lifo", Queue::lifo(cap)),
        ("priority", Queue::priority(cap)),
    ]
}

#[test]
fn plain_puts_leave_a_promised_slot_alone() {
    for (name, queue) in flavours(2) {
        let permit = futures_lite::future::block_on(queue.reserve()).expect("open");
        assert_eq!(queue.try_put(1).map_err(|e| e.is_full()), Ok(()), "{name}");
        assert!(
            matches!(queue.try_put(2), Err(TryPutError::Full(2))),
            "{name}: the second slot is promised"
        );
        assert!(queue.is_full(), "{name}");
        assert_eq!(queue.len(), 1, "{name}");
        permit.put(3);
        assert_eq!(queue.len(), 2, "{name}");
        let mut got = vec![
            queue.try_get().expect("item"),
            queue.try_get().expect("item"),
        ];
        got.sort_unstable();
        assert_eq!(got, [1, 3], "{name}");
    }
}

#[test]
fn a_dropped_permit_gives_its_slot_back() {
    for (name, queue) in flavours(1) {
        let permit = futures_lite::future::block_on(queue.reserve()).expect("open");
        assert!(
            matches!(queue.try_put(1), Err(TryPutError::Full(1))),
            "{name}"
        );
        drop(permit);
        assert_eq!(queue.try_put(1).map_err(|e| e.is_full()), Ok(()), "{name}");
        assert_eq!(queue.try_get(), Ok(1), "{name}");
    }
}

#[test]
fn a_forced_put_hands_its_item_back_when_every_slot_is_promised() {
    for (name, queue) in flavours(1) {
        let permit = futures_lite::future::block_on(queue.reserve()).expect("open");
        assert_eq!(
            queue.force_put(7).map_err(|e| e.into_inner()),
            Ok(Some(7)),
            "{name}"
        );
        assert_eq!(
            queue.unfinished_tasks(),
            0,
            "{name}: the refused item is not counted"
        );
        permit.put(8);
        assert_eq!(queue.try_get(), Ok(8), "{name}");
    }
}

#[test]
fn a_forced_put_evicts_around_a_permit() {
    for (name, queue) in flavours(2) {
        queue.try_put(1).map_err(drop).expect("room");
        let permit = futures_lite::future::block_on(queue.reserve()).expect("open");
        assert_eq!(
            queue.force_put(2).map_err(|e| e.into_inner()),
            Ok(Some(1)),
            "{name}"
        );
        permit.put(3);
        assert_eq!(queue.len(), 2, "{name}");
        assert_eq!(
            queue.unfinished_tasks(),
            2,
            "{name}: the evicted item counts as done"
        );
    }
}

#[test]
fn getters_wait_for_an_outstanding_permit_after_close() {
    amphi_test::run(|rt| async move {
        for queue in [Queue::<u32>::bounded(4), Queue::unbounded()] {
            let permit_queue = queue.clone();
            let permit = permit_queue.reserve().await.expect("open");
            queue.close();
            assert_eq!(
                queue.try_get(),
                Err(TryGetError::Empty),
                "a permit may still deliver"
            );
            let getter = {
                let queue = queue.clone();
                rt.spawn(async move { (queue.get().await, queue.get().await) })
            };
            rt.sleep(Duration::from_millis(20)).await;
            permit.put(5);
            assert_eq!(getter.await.expect("getter"), (Ok(5), Err(GetError)));
            assert_eq!(queue.try_put(6).map_err(|e| e.is_closed()), Err(true));
        }
    });
}

#[test]
fn dropping_the_last_permit_of_a_closed_queue_ends_the_getters() {
    let mut all = flavours(2);
    all.push(("fifo list", Queue::unbounded()));
    for (name, queue) in all {
        let permit = futures_lite::future::block_on(queue.reserve()).expect("open");
        queue.close();
        let getter = {
            let queue = queue.clone();
            std::thread::spawn(move || queue.get_blocking())
        };
        std::thread::sleep(Duration::from_millis(20));
        drop(permit);
        assert_eq!(getter.join().expect("getter"), Err(GetError), "{name}");
    }
}

#[test]
fn threads_reserving_and_putting_never_overfill() {
    const PER_THREAD: u32 = if cfg!(miri) { 20 } else { 5_000 };
    let queue: Queue<u32> = Queue::bounded(3);
    let workers: Vec<_> = (0..4u32)
        .map(|w| {
            let queue = queue.clone();
            std::thread::spawn(move || {
                for i in 0..PER_THREAD {
                    let item = w * PER_THREAD + i;
                    if w % 2 == 0 {
                        futures_lite::future::block_on(queue.reserve())
                            .expect("open")
                            .put(item);
                    } else {
                        queue.put_blocking(item).expect("open");
                    }
                    assert!(queue.len() <= 3, "over capacity");
                }
            })
        })
        .collect();
    let consumer = {
        let queue = queue.clone();
        std::thread::spawn(move || {
            let mut seen = vec![false; 4 * PER_THREAD as usize];
            while let Ok(item) = queue.get_blocking() {
                assert!(
                    !std::mem::replace(&mut seen[item as usize], true),
                    "duplicate"
                );
            }
            seen.into_iter().all(|s| s)
        })
    };
    for worker in workers {
        worker.join().expect("worker");
    }
    queue.close();
    assert!(consumer.join().expect("consumer"), "items lost");
}

#[test]
fn a_fifo_queue_too_large_to_preallocate_behaves_the_same() {
    let queue = Queue::bounded(1 << 20);
    assert_eq!(queue.capacity(), Some(1 << 20));
    for i in 0..100 {
        queue.try_put(i).map_err(drop).expect("room");
    }
    let permit = futures_lite::future::block_on(queue.reserve()).expect("open");
    permit.put(100);
    let got: Vec<_> = std::iter::from_fn(|| queue.try_get().ok()).collect();
    assert_eq!(got, (0..=100).collect::<Vec<_>>());
}
