//! tokio, through a `Handle` (so spawning works from any thread, inside the runtime or not).

use std::future::Future;

use crate::JoinHandle;
use crate::join::Repr;

pub(crate) fn spawn<F>(handle: &tokio::runtime::Handle, future: F) -> JoinHandle<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    // tokio catches panics itself and reports them through its JoinError.
    JoinHandle::from_repr(Repr::Tokio(handle.spawn(future)))
}

pub(crate) fn spawn_blocking<F, T>(handle: &tokio::runtime::Handle, f: F) -> JoinHandle<T>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    JoinHandle::from_repr(Repr::Tokio(handle.spawn_blocking(f)))
}
