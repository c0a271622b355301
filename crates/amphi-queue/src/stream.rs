//! [`QueueStream`] and [`QueueSink`]: the queue as a `futures` `Stream` and `Sink`.

use std::fmt;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_core::Stream;
use futures_sink::Sink;

use crate::Queue;
use crate::core::Strategy;
use crate::error::ReserveError;
use crate::future::{poll_get, poll_reserve};
use crate::wakers::WaitState;

/// The queue as a [`Stream`]: yields items until the queue is closed and drained.
///
/// Made by [`Queue::stream`]. Items taken through it count for
/// [`task_done`](Queue::task_done) like any other get.
///
/// Cost: each `poll_next` is one [`Queue::get`] step (same operations and allocations); the
/// stream itself holds only the queue handle and the wait state.
///
/// # Cancel safety
///
/// `next().await` on it is cancel-safe, as [`Queue::get`] is.
pub struct QueueStream<T> {
    queue: Queue<T>,
    wait: WaitState,
    done: bool,
}

impl<T> QueueStream<T> {
    pub(crate) fn new(queue: Queue<T>) -> Self {
        QueueStream {
            queue,
            wait: WaitState::new(),
            done: false,
        }
    }

    /// The queue this stream takes from.
    pub fn queue(&self) -> &Queue<T> {
        &self.queue
    }
}

impl<T> Unpin for QueueStream<T> {}

impl<T> Stream for QueueStream<T> {
    type Item = T;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<T>> {
        let this = self.get_mut();
        if this.done {
            return Poll::Ready(None);
        }
        match poll_get(&this.queue.shared, &mut this.wait, &mut Strategy::Async(cx)) {
            Poll::Ready(Some(Ok(item))) => {
                this.wait.reset();
                Poll::Ready(Some(item))
            }
            Poll::Ready(Some(Err(_))) => {
                this.done = true;
                Poll::Ready(None)
            }
            Poll::Ready(None) | Poll::Pending => Poll::Pending,
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        if self.done {
            (0, Some(0))
        } else {
            // Other handles may take what is buffered now: no lower bound holds.
            (0, None)
        }
    }
}

/// The queue as a [`Sink`]: `poll_ready` reserves a slot, `start_send` fills it.
///
/// Made by [`Queue::sink`]. Its error, [`ReserveError`], means the queue is closed. Closing
/// the sink (`poll_close`) gives back an unused reservation but does **not** close the
/// queue: the queue ends only by [`Queue::close`].
///
/// `start_send` without a `poll_ready` before it (outside the `Sink` contract, but not
/// refused) puts the item if there is room; if the queue is full it holds the item (and any
/// sent after it, in order) and puts them at the next `poll_ready`, `poll_flush` or
/// `poll_close`, waiting for room there. Only a closed queue, or dropping the sink before
/// such a poll, makes it drop items.
///
/// Cost: `poll_ready` is one [`Queue::reserve`] step and `start_send` fills the slot, so
/// every item through the sink takes the short lock twice (reserve, then fill); for the
/// lock-free path, put with [`Queue::put`] instead.
///
/// # Cancel safety
///
/// `send(item).await` (from `futures::SinkExt`) holds the item until a slot is reserved; if
/// that future is dropped first, the item is dropped with it. `poll_ready` itself is
/// cancel-safe: a reserved slot stays with the sink until used or the sink is dropped.
pub struct QueueSink<T> {
    queue: Queue<T>,
    wait: WaitState,
    reserved: bool,
    /// Items `start_send` got without a reservation while the queue was full, in order.
    held: std::collections::VecDeque<T>,
}

impl<T> QueueSink<T> {
    pub(crate) fn new(queue: Queue<T>) -> Self {
        QueueSink {
            queue,
            wait: WaitState::new(),
            reserved: false,
            held: std::collections::VecDeque::new(),
        }
    }

    /// The queue this sink puts into.
    pub fn queue(&self) -> &Queue<T> {
        &self.queue
    }

    fn release(&mut self) {
        if std::mem::take(&mut self.reserved) {
            self.queue.shared.release_reserved();
        }
    }

    /// Reserves a slot, once.
    fn poll_reserve(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), ReserveError>> {
        if self.reserved {
            return Poll::Ready(Ok(()));
        }
        match poll_reserve(&self.queue.shared, &mut self.wait, &mut Strategy::Async(cx)) {
            Poll::Ready(Some(Ok(()))) => {
                self.reserved = true;
                self.wait.reset();
                Poll::Ready(Ok(()))
            }
            Poll::Ready(Some(Err(err))) => Poll::Ready(Err(err)),
            Poll::Ready(None) | Poll::Pending => Poll::Pending,
        }
    }

    /// Puts the held items, in order, waiting for room. Dropped only if the queue is
    /// closed.
    fn poll_put_held(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), ReserveError>> {
        while !self.held.is_empty() {
            if let Err(err) = std::task::ready!(self.poll_reserve(cx)) {
                self.held.clear();
                return Poll::Ready(Err(err));
            }
            if let Some(item) = self.held.pop_front() {
                self.reserved = false;
                self.queue.shared.put_reserved(item);
            }
        }
        Poll::Ready(Ok(()))
    }
}

impl<T> Unpin for QueueSink<T> {}

impl<T> Sink<T> for QueueSink<T> {
    type Error = ReserveError;

    fn poll_ready(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), ReserveError>> {
        let this = self.get_mut();
        std::task::ready!(this.poll_put_held(cx))?;
        this.poll_reserve(cx)
    }

    fn start_send(self: Pin<&mut Self>, item: T) -> Result<(), ReserveError> {
        let this = self.get_mut();
        if std::mem::take(&mut this.reserved) {
            this.queue.shared.put_reserved(item);
            return Ok(());
        }
        // Called without `poll_ready`: put if there is room, else hold the item for the
        // next poll (type docs); behind items held already, so order is kept.
        if this.queue.is_closed() {
            this.held.clear();
            return Err(ReserveError);
        }
        if !this.held.is_empty() {
            this.held.push_back(item);
            return Ok(());
        }
        match this.queue.try_put(item) {
            Ok(()) => Ok(()),
            Err(crate::TryPutError::Full(item)) => {
                this.held.push_back(item);
                Ok(())
            }
            Err(crate::TryPutError::Closed(_)) => Err(ReserveError),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), ReserveError>> {
        // Items are in the queue as soon as `start_send` returns, but for any it held.
        self.get_mut().poll_put_held(cx)
    }

    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), ReserveError>> {
        let this = self.get_mut();
        let held = std::task::ready!(this.poll_put_held(cx));
        this.release();
        Poll::Ready(held)
    }
}

impl<T> Drop for QueueSink<T> {
    fn drop(&mut self) {
        self.release();
    }
}

impl<T> fmt::Debug for QueueStream<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("QueueStream")
            .field("queue", &self.queue)
            .field("done", &self.done)
            .finish()
    }
}

impl<T> fmt::Debug for QueueSink<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("QueueSink")
            .field("queue", &self.queue)
            .field("reserved", &self.reserved)
            .field("held", &self.held.len())
            .finish()
    }
}
