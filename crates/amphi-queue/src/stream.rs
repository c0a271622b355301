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
            (self.queue.len(), None)
        }
    }
}

/// The queue as a [`Sink`]: `poll_ready` reserves a slot, `start_send` fills it.
///
/// Made by [`Queue::sink`]. Its error, [`ReserveError`], means the queue is closed. Closing
/// the sink (`poll_close`) gives back an unused reservation but does **not** close the
/// queue: the queue ends only by [`Queue::close`].
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
}

impl<T> QueueSink<T> {
    pub(crate) fn new(queue: Queue<T>) -> Self {
        QueueSink {
            queue,
            wait: WaitState::new(),
            reserved: false,
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
}

impl<T> Unpin for QueueSink<T> {}

impl<T> Sink<T> for QueueSink<T> {
    type Error = ReserveError;

    fn poll_ready(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), ReserveError>> {
        let this = self.get_mut();
        if this.reserved {
            return Poll::Ready(Ok(()));
        }
        match poll_reserve(&this.queue.shared, &mut this.wait, &mut Strategy::Async(cx)) {
            Poll::Ready(Some(Ok(()))) => {
                this.reserved = true;
                this.wait.reset();
                Poll::Ready(Ok(()))
            }
            Poll::Ready(Some(Err(err))) => Poll::Ready(Err(err)),
            Poll::Ready(None) | Poll::Pending => Poll::Pending,
        }
    }

    fn start_send(self: Pin<&mut Self>, item: T) -> Result<(), ReserveError> {
        let this = self.get_mut();
        if std::mem::take(&mut this.reserved) {
            this.queue.shared.put_reserved(item);
            Ok(())
        } else {
            // Called without `poll_ready`: put if there is room, as far as we can.
            this.queue.try_put(item).map_err(|_| ReserveError)
        }
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<Result<(), ReserveError>> {
        // Items are in the queue as soon as `start_send` returns.
        Poll::Ready(Ok(()))
    }

    fn poll_close(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<Result<(), ReserveError>> {
        self.get_mut().release();
        Poll::Ready(Ok(()))
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
            .finish()
    }
}
