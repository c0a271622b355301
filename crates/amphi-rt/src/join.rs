//! [`JoinHandle`]: one task handle over every runtime's own.

use std::any::Any;
use std::fmt;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_lite::FutureExt as _;

/// The output of a task whose panic was caught: `Err` holds the panic payload.
pub(crate) type Caught<T> = std::thread::Result<T>;

/// Wraps `fut` so that a panic while polling it becomes an `Err` output.
pub(crate) fn catch<F: Future>(fut: F) -> impl Future<Output = Caught<F::Output>> {
    AssertUnwindSafe(fut).catch_unwind()
}

/// Runs `f`, turning a panic into an `Err` output.
pub(crate) fn catch_blocking<T>(f: impl FnOnce() -> T) -> Caught<T> {
    std::panic::catch_unwind(AssertUnwindSafe(f))
}

/// Why awaiting a [`JoinHandle`] produced no output.
pub enum JoinError {
    /// The task panicked; the payload is what `panic!` was given.
    Panicked(Box<dyn Any + Send + 'static>),
    /// The task was cancelled (by [`JoinHandle::abort`] or by its runtime shutting down)
    /// before it finished.
    Cancelled,
}

impl JoinError {
    /// Whether the task panicked.
    pub fn is_panic(&self) -> bool {
        matches!(self, JoinError::Panicked(_))
    }

    /// Whether the task was cancelled.
    pub fn is_cancelled(&self) -> bool {
        matches!(self, JoinError::Cancelled)
    }

    /// The panic message, when the task panicked with a string (as `panic!("...")` does).
    pub fn panic_message(&self) -> Option<&str> {
        match self {
            JoinError::Panicked(payload) => payload
                .downcast_ref::<&'static str>()
                .copied()
                .or_else(|| payload.downcast_ref::<String>().map(String::as_str)),
            JoinError::Cancelled => None,
        }
    }

    /// Resumes the panic on the current thread, as if the task had run inline.
    ///
    /// # Panics
    ///
    /// Always, with the task's payload when it panicked, or with a message when it was
    /// cancelled.
    pub fn resume_unwind(self) -> ! {
        match self {
            JoinError::Panicked(payload) => std::panic::resume_unwind(payload),
            JoinError::Cancelled => panic!("task was cancelled before it finished"),
        }
    }
}

impl fmt::Debug for JoinError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            JoinError::Panicked(_) => f
                .debug_tuple("Panicked")
                .field(&self.panic_message().unwrap_or("<non-string payload>"))
                .finish(),
            JoinError::Cancelled => f.write_str("Cancelled"),
        }
    }
}

impl fmt::Display for JoinError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            JoinError::Panicked(_) => match self.panic_message() {
                Some(msg) => write!(f, "task panicked: {msg}"),
                None => f.write_str("task panicked"),
            },
            JoinError::Cancelled => f.write_str("task was cancelled before it finished"),
        }
    }
}

impl std::error::Error for JoinError {}

/// The runtime-specific handle behind a [`JoinHandle`].
pub(crate) enum Repr<T> {
    /// `async-task` tasks: smol, the runtime-free executor and the `blocking` pool. `None`
    /// once aborted. Fallible: a task that its executor dropped (the executor itself was
    /// dropped) resolves to `None`, not a panic.
    Task(Option<async_task::FallibleTask<Caught<T>>>),
    /// A tokio task (tokio catches panics itself).
    #[cfg(feature = "tokio")]
    Tokio(tokio::task::JoinHandle<T>),
    /// An async-std task. `None` once aborted.
    #[cfg(feature = "async-std")]
    AsyncStd(Option<async_std::task::JoinHandle<Caught<T>>>),
}

/// A handle to a spawned task or blocking closure: await it for the output.
///
/// Awaiting yields `Ok(output)`, or a [`JoinError`] if the task panicked or was cancelled.
///
/// **Dropping the handle detaches the task**: it keeps running and its output is discarded.
/// This is the same on every runtime (smol's own `Task` would cancel on drop; ours does not).
/// Use [`cancel`](JoinHandle::cancel) or [`abort`](JoinHandle::abort) to stop it.
///
/// A blocking closure that has started cannot be stopped by any runtime: cancelling its
/// handle only discards its result.
///
/// Polled again after it has returned its result, it returns `Err(JoinError::Cancelled)` on
/// every runtime (the output was handed out already); tokio's and async-std's own handles
/// would panic there.
///
/// # Cancel safety
///
/// Dropping the `JoinHandle` future (it is its own future) before it completes detaches the
/// task; no output is lost that was not already going to be discarded.
#[must_use = "a dropped JoinHandle detaches its task; await it, or call .detach() to say so"]
pub struct JoinHandle<T> {
    repr: Repr<T>,
}

impl<T> fmt::Debug for JoinHandle<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match &self.repr {
            Repr::Task(_) => "async-task",
            #[cfg(feature = "tokio")]
            Repr::Tokio(_) => "tokio",
            #[cfg(feature = "async-std")]
            Repr::AsyncStd(_) => "async-std",
        };
        f.debug_struct("JoinHandle")
            .field("runtime", &kind)
            .field("finished", &self.is_finished())
            .finish()
    }
}

impl<T> JoinHandle<T> {
    pub(crate) fn from_repr(repr: Repr<T>) -> Self {
        JoinHandle { repr }
    }

    /// Lets the task run to completion on its own; its output is discarded.
    ///
    /// The same as dropping the handle; this spelling says it on purpose.
    pub fn detach(self) {
        drop(self);
    }

    /// Whether the task has finished (completed, panicked or been cancelled).
    ///
    /// Costs one atomic load. On async-std, which offers no such query, it is `false` until
    /// the handle has returned its result or been aborted, even if the task has finished.
    pub fn is_finished(&self) -> bool {
        match &self.repr {
            Repr::Task(Some(task)) => task.is_finished(),
            Repr::Task(None) => true,
            #[cfg(feature = "tokio")]
            Repr::Tokio(handle) => handle.is_finished(),
            // async-std exposes no such query: unfinished until awaited (`poll` then turns
            // the handle into `Task(None)`) or aborted (`None`).
            #[cfg(feature = "async-std")]
            Repr::AsyncStd(handle) => handle.is_none(),
        }
    }

    /// Cancels the task and waits until it is gone.
    ///
    /// Returns the output if the task had already completed, `None` if it was cancelled or had
    /// panicked.
    ///
    /// # Cancel safety
    ///
    /// If this future is dropped before it completes, cancellation has still been requested
    /// (the task stops at its next suspension point) but the wait is abandoned.
    pub async fn cancel(mut self) -> Option<T> {
        let repr = std::mem::replace(&mut self.repr, Repr::Task(None));
        match repr {
            Repr::Task(Some(task)) => task.cancel().await.and_then(Result::ok),
            Repr::Task(None) => None,
            #[cfg(feature = "tokio")]
            Repr::Tokio(handle) => {
                handle.abort();
                handle.await.ok()
            }
            #[cfg(feature = "async-std")]
            Repr::AsyncStd(Some(handle)) => handle.cancel().await.and_then(Result::ok),
            #[cfg(feature = "async-std")]
            Repr::AsyncStd(None) => None,
        }
    }
}

impl<T: Send + 'static> JoinHandle<T> {
    /// Requests cancellation and returns at once.
    ///
    /// The task is dropped at its next suspension point (at once if it is idle); awaiting this
    /// handle afterwards yields [`JoinError::Cancelled`], or the output if the task had already
    /// finished (tokio). A blocking closure that has started keeps running; only its result is
    /// discarded.
    pub fn abort(&mut self) {
        match &mut self.repr {
            // Dropping an async-task `Task` cancels it.
            Repr::Task(task) => drop(task.take()),
            #[cfg(feature = "tokio")]
            Repr::Tokio(handle) => handle.abort(),
            #[cfg(feature = "async-std")]
            Repr::AsyncStd(handle) => {
                if let Some(handle) = handle.take() {
                    // async-std cancels only through an async call; run it detached.
                    drop(async_std::task::spawn(async move {
                        drop(handle.cancel().await);
                    }));
                }
            }
        }
    }
}

impl<T> Drop for JoinHandle<T> {
    fn drop(&mut self) {
        if let Repr::Task(task) = &mut self.repr
            && let Some(task) = task.take()
        {
            task.detach();
        }
        // tokio and async-std handles detach on drop already.
    }
}

impl<T> Future for JoinHandle<T> {
    type Output = Result<T, JoinError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        // `JoinHandle` is `Unpin`: every variant holds an `Unpin` handle.
        let this = self.get_mut();
        match &mut this.repr {
            Repr::Task(None) => Poll::Ready(Err(JoinError::Cancelled)),
            Repr::Task(Some(task)) => match task.poll(cx) {
                Poll::Ready(result) => {
                    // The task is finished; drop the handle so `Drop` has nothing to detach.
                    this.repr = Repr::Task(None);
                    Poll::Ready(match result {
                        Some(result) => result.map_err(JoinError::Panicked),
                        // Its executor dropped it before it finished.
                        None => Err(JoinError::Cancelled),
                    })
                }
                Poll::Pending => Poll::Pending,
            },
            #[cfg(feature = "tokio")]
            Repr::Tokio(handle) => {
                let result = std::task::ready!(Pin::new(handle).poll(cx));
                // Done: a later poll answers like the others instead of tokio's panic.
                this.repr = Repr::Task(None);
                Poll::Ready(result.map_err(|err| match err.try_into_panic() {
                    Ok(payload) => JoinError::Panicked(payload),
                    Err(_) => JoinError::Cancelled,
                }))
            }
            #[cfg(feature = "async-std")]
            Repr::AsyncStd(None) => Poll::Ready(Err(JoinError::Cancelled)),
            #[cfg(feature = "async-std")]
            Repr::AsyncStd(Some(handle)) => {
                let result = std::task::ready!(Pin::new(handle).poll(cx));
                // Done: `is_finished` says so from now on, and a later poll does not reach
                // async-std's panic.
                this.repr = Repr::Task(None);
                Poll::Ready(result.map_err(JoinError::Panicked))
            }
        }
    }
}
