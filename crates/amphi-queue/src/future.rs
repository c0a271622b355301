//! The futures behind the async face: [`Put`], [`Get`], [`Reserve`], [`Join`], and the
//! [`Permit`] that a reservation yields.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use crate::Queue;
use crate::core::{Shared, Strategy};
use crate::error::{GetError, PutError, ReserveError};
use crate::wakers::{WaitState, Waiters};

/// The future of [`Queue::put`].
///
/// # Cancel safety
///
/// Dropping it before it completes drops the item with it; the item was then never
/// inserted. It is inserted exactly once, in the poll that returns `Ready(Ok(()))`, never
/// partially. Use [`Queue::reserve`] to wait for room without handing the item over.
#[must_use = "futures do nothing unless polled"]
pub struct Put<'a, T> {
    pub(crate) queue: &'a Queue<T>,
    pub(crate) item: Option<T>,
    pub(crate) wait: WaitState,
}

/// The future of [`Queue::get`].
///
/// # Cancel safety
///
/// Cancel-safe: an item is taken only in the poll that returns it, so dropping the future
/// loses nothing; if it had been woken for an item, the wake-up passes to another getter.
#[must_use = "futures do nothing unless polled"]
pub struct Get<'a, T> {
    pub(crate) queue: &'a Queue<T>,
    pub(crate) wait: WaitState,
}

/// The future of [`Queue::reserve`].
///
/// # Cancel safety
///
/// Cancel-safe: a slot is reserved only in the poll that returns the permit.
#[must_use = "futures do nothing unless polled"]
pub struct Reserve<'a, T> {
    pub(crate) queue: &'a Queue<T>,
    pub(crate) wait: WaitState,
}

/// The future of [`Queue::join`].
///
/// # Cancel safety
///
/// Cancel-safe: waiting changes nothing in the queue.
#[must_use = "futures do nothing unless polled"]
pub struct Join<'a, T> {
    pub(crate) queue: &'a Queue<T>,
    pub(crate) wait: WaitState,
}

// None of these futures pin their fields structurally: the item is moved out by value.
impl<T> Unpin for Put<'_, T> {}

impl<T> Put<'_, T> {
    /// Polls with either strategy; the async and blocking faces share this.
    pub(crate) fn poll_with(
        &mut self,
        strategy: &mut Strategy<'_, '_>,
    ) -> Poll<Option<Result<(), PutError<T>>>> {
        let shared: &Shared<T> = &self.queue.shared;
        let item = &mut self.item;
        match shared.wait(Waiters::Putters, &mut self.wait, strategy, || {
            shared.attempt_put(item)
        }) {
            Poll::Ready(Some(Ok(()))) => Poll::Ready(Some(Ok(()))),
            Poll::Ready(Some(Err(item))) => Poll::Ready(Some(Err(PutError(item)))),
            Poll::Ready(None) => Poll::Ready(None),
            Poll::Pending => Poll::Pending,
        }
    }

    /// Takes the item back if it was not put (after a timeout).
    pub(crate) fn take_item(&mut self) -> Option<T> {
        self.item.take()
    }
}

impl<T> Future for Put<'_, T> {
    type Output = Result<(), PutError<T>>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match self.get_mut().poll_with(&mut Strategy::Async(cx)) {
            Poll::Ready(Some(result)) => Poll::Ready(result),
            // Only a blocking deadline yields `None`; an async wait never times out.
            Poll::Ready(None) | Poll::Pending => Poll::Pending,
        }
    }
}

impl<T> Get<'_, T> {
    pub(crate) fn poll_with(
        &mut self,
        strategy: &mut Strategy<'_, '_>,
    ) -> Poll<Option<Result<T, GetError>>> {
        poll_get(&self.queue.shared, &mut self.wait, strategy)
    }
}

/// The get wait, shared with the stream.
pub(crate) fn poll_get<T>(
    shared: &Shared<T>,
    wait: &mut WaitState,
    strategy: &mut Strategy<'_, '_>,
) -> Poll<Option<Result<T, GetError>>> {
    match shared.wait(Waiters::Getters, wait, strategy, || shared.attempt_get()) {
        Poll::Ready(Some(Ok(item))) => Poll::Ready(Some(Ok(item))),
        Poll::Ready(Some(Err(()))) => Poll::Ready(Some(Err(GetError))),
        Poll::Ready(None) => Poll::Ready(None),
        Poll::Pending => Poll::Pending,
    }
}

impl<T> Future for Get<'_, T> {
    type Output = Result<T, GetError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match self.get_mut().poll_with(&mut Strategy::Async(cx)) {
            Poll::Ready(Some(result)) => Poll::Ready(result),
            Poll::Ready(None) | Poll::Pending => Poll::Pending,
        }
    }
}

/// The reserve wait, shared with the sink.
pub(crate) fn poll_reserve<T>(
    shared: &Shared<T>,
    wait: &mut WaitState,
    strategy: &mut Strategy<'_, '_>,
) -> Poll<Option<Result<(), ReserveError>>> {
    shared
        .wait(Waiters::Putters, wait, strategy, || {
            shared.attempt_reserve()
        })
        .map(|done| done.map(|result| result.map_err(|()| ReserveError)))
}

impl<'a, T> Future for Reserve<'a, T> {
    type Output = Result<Permit<'a, T>, ReserveError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        match poll_reserve(&this.queue.shared, &mut this.wait, &mut Strategy::Async(cx)) {
            Poll::Ready(Some(Ok(()))) => Poll::Ready(Ok(Permit {
                queue: Some(this.queue),
            })),
            Poll::Ready(Some(Err(err))) => Poll::Ready(Err(err)),
            Poll::Ready(None) | Poll::Pending => Poll::Pending,
        }
    }
}

impl<T> Join<'_, T> {
    pub(crate) fn poll_with(&mut self, strategy: &mut Strategy<'_, '_>) -> Poll<Option<()>> {
        let shared = &self.queue.shared;
        shared.wait(Waiters::Joiners, &mut self.wait, strategy, || {
            shared.attempt_join()
        })
    }
}

impl<T> Future for Join<'_, T> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        match self.get_mut().poll_with(&mut Strategy::Async(cx)) {
            Poll::Ready(Some(())) => Poll::Ready(()),
            Poll::Ready(None) | Poll::Pending => Poll::Pending,
        }
    }
}

/// A reserved slot in a queue: [`put`](Permit::put) cannot fail.
///
/// Made by [`Queue::reserve`]. Dropping the permit unused gives the slot back and wakes a
/// waiting putter. A permit holds its slot even if the queue is closed meanwhile; its item is
/// then still delivered: getters drain the queue and wait for outstanding permits to be used
/// or dropped before they see the end.
///
/// While any permit of a FIFO queue (bounded or unbounded) is outstanding, its other puts
/// take a short lock (they must not fill the promised slot); they are lock-free again once
/// the last permit is used or dropped.
#[must_use = "a permit holds a slot until it is used or dropped"]
pub struct Permit<'a, T> {
    queue: Option<&'a Queue<T>>,
}

impl<T> Permit<'_, T> {
    /// Puts `item` into the reserved slot. O(1) (O(log n) for priority); never waits, never
    /// fails.
    pub fn put(mut self, item: T) {
        if let Some(queue) = self.queue.take() {
            queue.shared.put_reserved(item);
        }
    }
}

impl<T> Drop for Permit<'_, T> {
    fn drop(&mut self) {
        if let Some(queue) = self.queue.take() {
            queue.shared.release_reserved();
        }
    }
}

macro_rules! debug_without_t {
    ($($name:ident),*) => {$(
        impl<T> fmt::Debug for $name<'_, T> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_struct(stringify!($name)).finish_non_exhaustive()
            }
        }
    )*};
}
debug_without_t!(Put, Get, Reserve, Join, Permit);
