//! The three things a library needs from an executor.
//!
//! [`Spawn`] and [`SpawnBlocking`] are generic over the future or closure so that spawning
//! boxes nothing beyond what the runtime itself allocates; that makes them not object-safe.
//! For dynamic choice of runtime, hold a [`Runtime`](crate::Runtime): it is the cheap,
//! cloneable "trait object" of this crate. [`Timer`] is object-safe.

use std::future::Future;
use std::time::{Duration, Instant};

use crate::{JoinHandle, Sleep};

/// Spawns `Send` futures onto an executor.
pub trait Spawn {
    /// Spawns `future` to run in the background and returns a handle to its output.
    ///
    /// The returned [`JoinHandle`] detaches on drop, on every runtime.
    fn spawn<F>(&self, future: F) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static;
}

/// Runs blocking closures on a thread pool.
pub trait SpawnBlocking {
    /// Runs `f` on a thread meant for blocking work and returns a handle to its result.
    ///
    /// A closure that has started cannot be stopped; cancelling its handle discards the result.
    fn spawn_blocking<F, T>(&self, f: F) -> JoinHandle<T>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static;
}

/// Creates timers.
pub trait Timer {
    /// A future that completes after `duration` (in practice never for a duration past the
    /// latest `Instant` the platform can hold, such as `Duration::MAX`: see
    /// [`saturating_deadline`](crate::saturating_deadline)).
    fn sleep(&self, duration: Duration) -> Sleep {
        self.sleep_until(crate::saturating_deadline(Instant::now(), duration))
    }

    /// A future that completes at `deadline` (at once if it has passed).
    fn sleep_until(&self, deadline: Instant) -> Sleep;
}
