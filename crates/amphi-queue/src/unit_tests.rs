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
