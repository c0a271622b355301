//! The runtime-free default: a lazily started `async-executor` on a few threads.

use std::future::Future;
use std::sync::Once;

use async_executor::Executor;

use crate::JoinHandle;
use crate::join::{Repr, catch};

/// The process-wide executor behind [`Runtime::global`](crate::Runtime::global).
static EXECUTOR: Executor<'static> = Executor::new();

/// Starts the executor threads once.
static START: Once = Once::new();

/// The most worker threads the global executor starts.
const MAX_THREADS: usize = 4;

fn start() {
    START.call_once(|| {
        let threads = std::thread::available_parallelism()
            .map_or(1, usize::from)
            .clamp(1, MAX_THREADS);
        for n in 0..threads {
            // If the OS refuses a thread, the others (or the next spawn's retry below) serve;
            // there is nothing better to do than carry on with fewer workers.
            let _ = std::thread::Builder::new()
                .name(format!("amphi-rt-{n}"))
                .spawn(|| async_io::block_on(EXECUTOR.run(futures_lite::future::pending::<()>())));
        }
    });
}

pub(crate) fn spawn<F>(future: F) -> JoinHandle<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    start();
    JoinHandle::from_repr(Repr::Task(Some(EXECUTOR.spawn(catch(future)).fallible())))
}
