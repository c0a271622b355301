//! async-std (deprecated upstream in favour of smol; kept for existing users).

use std::future::Future;

use crate::JoinHandle;
use crate::join::{Repr, catch, catch_blocking};

pub(crate) fn spawn<F>(future: F) -> JoinHandle<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    JoinHandle::from_repr(Repr::AsyncStd(Some(async_std::task::spawn(catch(future)))))
}

pub(crate) fn spawn_blocking<F, T>(f: F) -> JoinHandle<T>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    JoinHandle::from_repr(Repr::AsyncStd(Some(async_std::task::spawn_blocking(
        move || catch_blocking(f),
    ))))
}
