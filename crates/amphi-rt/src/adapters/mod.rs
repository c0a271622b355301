//! One small module per executor, each a few lines over that executor's own API.

#[cfg(feature = "async-std")]
pub(crate) mod async_std;
pub(crate) mod global;
#[cfg(feature = "smol")]
pub(crate) mod smol;
#[cfg(feature = "tokio")]
pub(crate) mod tokio;

use crate::JoinHandle;
use crate::join::{Repr, catch_blocking};

/// Blocking work on the `blocking` crate's pool (shared by smol and the runtime-free path).
pub(crate) fn unblock<F, T>(f: F) -> JoinHandle<T>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    JoinHandle::from_repr(Repr::Task(Some(
        blocking::unblock(move || catch_blocking(f)).fallible(),
    )))
}
