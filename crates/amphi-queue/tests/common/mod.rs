//! Helpers shared by the integration tests: a waker that counts its wake-ups, and a poll
//! that goes on until the future really waits.

#![allow(dead_code, reason = "each test file uses a part of these helpers")]

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll, Wake, Waker};

/// A waker that counts its wake-ups.
#[derive(Default)]
pub(crate) struct CountingWaker(pub(crate) AtomicUsize);

impl CountingWaker {
    /// Wake-ups so far.
    pub(crate) fn count(&self) -> usize {
        self.0.load(Ordering::SeqCst)
    }
}

impl Wake for CountingWaker {
    fn wake(self: Arc<Self>) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
    fn wake_by_ref(self: &Arc<Self>) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

/// A counting waker and the `Waker` made of it.
pub(crate) fn waker() -> (Arc<CountingWaker>, Waker) {
    let counter = Arc::new(CountingWaker::default());
    (Arc::clone(&counter), Waker::from(counter))
}

/// Polls `fut` once.
pub(crate) fn poll<F: Future + Unpin>(fut: &mut F, waker: &Waker) -> Poll<F::Output> {
    Pin::new(fut).poll(&mut Context::from_waker(waker))
}

/// Polls `fut` until it is ready or waits on a listener. An async wait first yields to its
/// executor a bounded number of times (it wakes its own task and returns `Pending`); a poll
/// that did not wake the task means the future now waits for the other side. The wake-ups
/// of those yields are not counted afterwards.
pub(crate) fn poll_until_listening<F: Future + Unpin>(
    fut: &mut F,
    counter: &CountingWaker,
    waker: &Waker,
) -> Poll<F::Output> {
    let start = counter.count();
    for _ in 0..1_000 {
        let before = counter.count();
        let polled = poll(fut, waker);
        if polled.is_ready() || counter.count() == before {
            counter.0.store(start, Ordering::SeqCst);
            return polled;
        }
    }
    panic!("a wait kept yielding: its yields are meant to be bounded");
}
