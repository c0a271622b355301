//! Cancellation and drop: nothing lost, nothing duplicated, nothing dropped twice.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::Poll;
use std::time::Duration;

use amphi_queue::Queue;
use common::{poll, poll_until_listening, waker};

/// An item that counts how often it is dropped.
struct Counted(Arc<AtomicUsize>);

impl Drop for Counted {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

#[test]
fn a_woken_getter_that_is_dropped_passes_the_wakeup_on() {
    let queue = Queue::bounded(4);
    let (w1, waker1) = waker();
    let (w2, waker2) = waker();
    let mut first = queue.get();
    let mut second = queue.get();
    assert!(poll_until_listening(&mut first, &w1, &waker1).is_pending());
    assert!(poll_until_listening(&mut second, &w2, &waker2).is_pending());
    queue.try_put(42).expect("room");
    assert_eq!(
        w1.0.load(Ordering::SeqCst),
        1,
        "the first getter is woken for the item"
    );
    assert_eq!(w2.0.load(Ordering::SeqCst), 0);
    drop(first); // cancelled after being woken, before taking the item
    assert_eq!(
        w2.0.load(Ordering::SeqCst),
        1,
        "the wake-up passes to the second getter"
    );
    assert_eq!(poll(&mut second, &waker2), Poll::Ready(Ok(42)));
}

#[test]
fn a_woken_putter_that_is_dropped_passes_the_wakeup_on() {
    let queue = Queue::bounded(1);
    queue.try_put(0).expect("room");
    let (w1, waker1) = waker();
    let (w2, waker2) = waker();
    let mut first = queue.put(1);
    let mut second = queue.reserve();
    assert!(poll_until_listening(&mut first, &w1, &waker1).is_pending());
    assert!(poll_until_listening(&mut second, &w2, &waker2).is_pending());
    assert_eq!(queue.try_get(), Ok(0));
    assert_eq!(w1.0.load(Ordering::SeqCst), 1);
    drop(first);
    assert_eq!(
        w2.0.load(Ordering::SeqCst),
        1,
        "the freed slot's wake-up passes on"
    );
    match poll(&mut second, &waker2) {
        Poll::Ready(Ok(permit)) => permit.put(2),
        other => panic!("expected a permit, got {:?}", other.map(|r| r.map(drop))),
    }
    assert_eq!(queue.try_get(), Ok(2));
}

#[test]
fn a_dropped_pending_put_drops_its_item_and_never_inserts_it() {
    let drops = Arc::new(AtomicUsize::new(0));
    let queue = Queue::bounded(1);
    queue
        .try_put(Counted(Arc::clone(&drops)))
        .map_err(drop)
        .expect("room");
    let (counter, w) = waker();
    let mut put = queue.put(Counted(Arc::clone(&drops)));
    assert!(poll_until_listening(&mut put, &counter, &w).is_pending());
    drop(put);
    assert_eq!(
        drops.load(Ordering::SeqCst),
        1,
        "the item went with the future"
    );
    assert_eq!(queue.len(), 1, "and was never inserted");
}

#[test]
fn a_completed_put_inserted_exactly_once() {
    let drops = Arc::new(AtomicUsize::new(0));
    let queue = Queue::bounded(1);
    let (_, w) = waker();
    let mut put = queue.put(Counted(Arc::clone(&drops)));
    assert!(matches!(poll(&mut put, &w), Poll::Ready(Ok(()))));
    drop(put);
    assert_eq!(drops.load(Ordering::SeqCst), 0);
    assert_eq!(queue.len(), 1);
}

#[test]
fn the_last_handle_drops_buffered_items_exactly_once() {
    let drops = Arc::new(AtomicUsize::new(0));
    let queue = Queue::unbounded();
    let other = queue.clone();
    let stream = queue.stream();
    for _ in 0..10 {
        queue
            .try_put(Counted(Arc::clone(&drops)))
            .map_err(drop)
            .expect("room");
    }
    drop(queue);
    drop(other);
    assert_eq!(
        drops.load(Ordering::SeqCst),
        0,
        "a live stream still holds the queue"
    );
    drop(stream);
    assert_eq!(drops.load(Ordering::SeqCst), 10);
}

#[test]
fn an_unused_permit_gives_its_slot_back() {
    let queue = Queue::<u8>::bounded(1);
    let permit = futures_lite::future::block_on(queue.reserve()).expect("open");
    assert!(queue.is_full());
    drop(permit);
    assert!(!queue.is_full());
    queue.try_put(1).expect("the slot is free again");
}

/// Getters cancelled at random moments by timeouts: every item is received exactly once.
#[test]
fn cancelled_gets_lose_nothing_under_load() {
    const ITEMS: usize = if cfg!(miri) { 40 } else { 3_000 };
    amphi_test::run(|rt| async move {
        let queue = Queue::bounded(2);
        let received = Arc::new(AtomicUsize::new(0));
        let sum = Arc::new(AtomicUsize::new(0));
        let consumers: Vec<_> = (0..4)
            .map(|c| {
                let (queue, received, sum) =
                    (queue.clone(), Arc::clone(&received), Arc::clone(&sum));
                rt.spawn(async move {
                    let mut patience = 1 + c as u64;
                    loop {
                        // A short timeout cancels many gets while they wait.
                        match amphi_rt::timeout(Duration::from_micros(50 * patience), queue.get())
                            .await
                        {
                            Ok(Ok(item)) => {
                                received.fetch_add(1, Ordering::SeqCst);
                                sum.fetch_add(item, Ordering::SeqCst);
                            }
                            Ok(Err(_closed)) => break,
                            Err(_timed_out) => patience = patience % 7 + 1,
                        }
                    }
                })
            })
            .collect();
        let producer = {
            let queue = queue.clone();
            std::thread::spawn(move || {
                for i in 0..ITEMS {
                    queue.put_blocking(i).expect("open");
                    if i % 97 == 0 {
                        std::thread::sleep(Duration::from_micros(200));
                    }
                }
                queue.close();
            })
        };
        for consumer in consumers {
            consumer.await.expect("consumer ok");
        }
        let produced = rt
            .spawn_blocking(move || producer.join().is_ok())
            .await
            .expect("joined");
        assert!(produced, "the producer thread panicked");
        assert_eq!(
            received.load(Ordering::SeqCst),
            ITEMS,
            "lost or duplicated items"
        );
        assert_eq!(sum.load(Ordering::SeqCst), ITEMS * (ITEMS - 1) / 2);
    });
}

/// Putters cancelled at random: each item is either received once or dropped with its future.
#[test]
fn cancelled_puts_insert_once_or_not_at_all() {
    const ITEMS: usize = if cfg!(miri) { 40 } else { 3_000 };
    amphi_test::run(|rt| async move {
        let queue = Queue::bounded(1);
        let inserted = Arc::new(AtomicUsize::new(0));
        let producer = {
            let (queue, inserted) = (queue.clone(), Arc::clone(&inserted));
            rt.spawn(async move {
                for i in 0..ITEMS {
                    let put = queue.put(i);
                    if let Ok(Ok(())) = amphi_rt::timeout(Duration::from_micros(30), put).await {
                        inserted.fetch_add(1, Ordering::SeqCst);
                    }
                }
                queue.close();
            })
        };
        let consumer = {
            let queue = queue.clone();
            std::thread::spawn(move || {
                let mut got = 0;
                while queue.get_blocking().is_ok() {
                    got += 1;
                    if got % 13 == 0 {
                        std::thread::sleep(Duration::from_micros(100));
                    }
                }
                got
            })
        };
        producer.await.expect("producer ok");
        let got = rt
            .spawn_blocking(move || consumer.join().unwrap_or(usize::MAX))
            .await
            .expect("joined");
        assert_eq!(got, inserted.load(Ordering::SeqCst));
    });
}
