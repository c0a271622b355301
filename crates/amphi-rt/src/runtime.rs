//! [`Runtime`]: one cloneable value that dispatches to whichever executor the user runs.

use std::fmt;
use std::future::Future;
use std::time::{Duration, Instant};

use crate::adapters;
use crate::traits::{Spawn, SpawnBlocking, Timer};
use crate::{JoinHandle, Sleep};

/// Which executor a [`Runtime`] dispatches to.
#[derive(Clone)]
enum Kind {
    Global,
    #[cfg(feature = "smol")]
    Smol(Option<std::sync::Arc<smol::Executor<'static>>>),
    #[cfg(feature = "async-std")]
    AsyncStd,
    #[cfg(feature = "tokio")]
    Tokio(tokio::runtime::Handle),
}

/// A handle to an executor: spawn tasks, run blocking closures, sleep.
///
/// Cloning is cheap (at most one `Arc` increment). Every method works from any thread,
/// inside or outside the executor, and none panics for lack of a running runtime.
///
/// # Examples
///
/// ```
/// use amphi_rt::Runtime;
///
/// let rt = Runtime::current(); // tokio inside a tokio runtime, the runtime-free path otherwise
/// let n = futures_lite::future::block_on(rt.spawn(async { 1 + 1 }));
/// assert_eq!(n.ok(), Some(2));
/// ```
#[derive(Clone)]
pub struct Runtime {
    kind: Kind,
}

impl Runtime {
    /// The runtime-free default: needs no runtime to be started, never panics.
    ///
    /// Tasks run on a process-wide `async-executor` started on first use (one thread per core,
    /// at most four); blocking closures on the `blocking` crate's pool; timers on `async-io`.
    /// Await results with anything, `futures::executor::block_on` included.
    pub const fn global() -> Runtime {
        Runtime { kind: Kind::Global }
    }

    /// The runtime the caller is running in, as far as it can be detected.
    ///
    /// Inside a tokio runtime (with the `tokio` feature) that runtime; otherwise
    /// [`Runtime::global()`]. smol and async-std cannot be detected: choose them explicitly.
    pub fn current() -> Runtime {
        #[cfg(feature = "tokio")]
        if let Ok(handle) = tokio::runtime::Handle::try_current() {
            return Runtime::tokio(handle);
        }
        Runtime::global()
    }

    /// smol's global executor (`smol::spawn`, `smol::unblock`).
    #[cfg(feature = "smol")]
    pub const fn smol() -> Runtime {
        Runtime {
            kind: Kind::Smol(None),
        }
    }

    /// An executor the caller owns and drives (e.g. with `executor.run(...)` on its threads).
    ///
    /// Tasks spawned here only make progress while something runs `executor`.
    #[cfg(feature = "smol")]
    pub fn smol_with(executor: std::sync::Arc<smol::Executor<'static>>) -> Runtime {
        Runtime {
            kind: Kind::Smol(Some(executor)),
        }
    }

    /// async-std's global executor and blocking pool.
    ///
    /// async-std is discontinued upstream (RUSTSEC-2025-0052); prefer smol for new code.
    #[cfg(feature = "async-std")]
    pub const fn async_std() -> Runtime {
        Runtime {
            kind: Kind::AsyncStd,
        }
    }

    /// A tokio runtime, through its `Handle`.
    ///
    /// Timers do not use tokio's time driver (see [`Sleep`]), so the runtime needs only
    /// `rt` (or `rt-multi-thread`). Once that runtime has shut down, spawned tasks resolve to
    /// [`JoinError::Cancelled`](crate::JoinError::Cancelled) instead of panicking.
    #[cfg(feature = "tokio")]
    pub fn tokio(handle: tokio::runtime::Handle) -> Runtime {
        Runtime {
            kind: Kind::Tokio(handle),
        }
    }

    /// A short name of the executor: `"global"`, `"smol"`, `"async-std"` or `"tokio"`.
    pub fn name(&self) -> &'static str {
        match &self.kind {
            Kind::Global => "global",
            #[cfg(feature = "smol")]
            Kind::Smol(_) => "smol",
            #[cfg(feature = "async-std")]
            Kind::AsyncStd => "async-std",
            #[cfg(feature = "tokio")]
            Kind::Tokio(_) => "tokio",
        }
    }

    /// Spawns `future` in the background; see [`Spawn::spawn`].
    ///
    /// The handle detaches on drop. Cost: one task allocation by the runtime.
    pub fn spawn<F>(&self, future: F) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        match &self.kind {
            Kind::Global => adapters::global::spawn(future),
            #[cfg(feature = "smol")]
            Kind::Smol(executor) => adapters::smol::spawn(executor.as_ref(), future),
            #[cfg(feature = "async-std")]
            Kind::AsyncStd => adapters::async_std::spawn(future),
            #[cfg(feature = "tokio")]
            Kind::Tokio(handle) => adapters::tokio::spawn(handle, future),
        }
    }

    /// Runs `f` on the executor's blocking pool; see [`SpawnBlocking::spawn_blocking`].
    pub fn spawn_blocking<F, T>(&self, f: F) -> JoinHandle<T>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        match &self.kind {
            Kind::Global => adapters::unblock(f),
            #[cfg(feature = "smol")]
            Kind::Smol(_) => adapters::unblock(f),
            #[cfg(feature = "async-std")]
            Kind::AsyncStd => adapters::async_std::spawn_blocking(f),
            #[cfg(feature = "tokio")]
            Kind::Tokio(handle) => adapters::tokio::spawn_blocking(handle, f),
        }
    }

    /// A future that completes after `duration`.
    pub fn sleep(&self, duration: Duration) -> Sleep {
        Sleep::after(duration)
    }

    /// A future that completes at `deadline`.
    pub fn sleep_until(&self, deadline: Instant) -> Sleep {
        Sleep::until(deadline)
    }
}

impl Default for Runtime {
    /// [`Runtime::current()`].
    fn default() -> Runtime {
        Runtime::current()
    }
}

impl fmt::Debug for Runtime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Runtime").field(&self.name()).finish()
    }
}

impl Spawn for Runtime {
    fn spawn<F>(&self, future: F) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        Runtime::spawn(self, future)
    }
}

impl SpawnBlocking for Runtime {
    fn spawn_blocking<F, T>(&self, f: F) -> JoinHandle<T>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        Runtime::spawn_blocking(self, f)
    }
}

impl Timer for Runtime {
    fn sleep_until(&self, deadline: Instant) -> Sleep {
        Sleep::until(deadline)
    }
}
