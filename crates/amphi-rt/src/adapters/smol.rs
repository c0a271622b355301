//! smol: its global executor, or an executor the caller owns.

use std::future::Future;
use std::sync::Arc;

use crate::JoinHandle;
use crate::join::{Repr, catch};

pub(crate) fn spawn<F>(
    executor: Option<&Arc<smol::Executor<'static>>>,
    future: F,
) -> JoinHandle<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    let task = match executor {
        Some(executor) => executor.spawn(catch(future)),
        None => smol::spawn(catch(future)),
    };
    JoinHandle::from_repr(Repr::Task(Some(task.fallible())))
}
