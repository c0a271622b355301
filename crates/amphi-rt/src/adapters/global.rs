//! The runtime-free default: a lazily started `async-executor` on a few threads.

use std::future::Future;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

use async_executor::Executor;

use crate::JoinHandle;
use crate::join::{Repr, catch};

/// The process-wide executor behind [`Runtime::global`](crate::Runtime::global).
static EXECUTOR: Executor<'static> = Executor::new();

/// Set once at least one executor thread runs.
static STARTED: AtomicBool = AtomicBool::new(false);

/// Serialises the starts.
static STARTING: Mutex<()> = Mutex::new(());

/// The most worker threads the global executor starts.
const MAX_THREADS: usize = 4;

/// Starts the executor threads, once: after the first start that got at least one thread
/// from the OS, this is one atomic load. If the OS refused every thread, the next spawn
/// tries again, so tasks spawned meanwhile wait in the executor's queue for it.
fn start() {
    if STARTED.load(Ordering::Acquire) {
        return;
    }
    let _starting = STARTING
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if STARTED.load(Ordering::Acquire) {
        return;
    }
    let threads = std::thread::available_parallelism()
        .map_or(1, usize::from)
        .clamp(1, MAX_THREADS);
    let mut running = 0;
    for n in 0..threads {
        // A thread the OS refuses is one worker fewer; the others serve.
        let spawned = std::thread::Builder::new()
            .name(format!("amphi-rt-{n}"))
            .spawn(|| async_io::block_on(EXECUTOR.run(futures_lite::future::pending::<()>())));
        running += usize::from(spawned.is_ok());
    }
    if running > 0 {
        STARTED.store(true, Ordering::Release);
    }
}

pub(crate) fn spawn<F>(future: F) -> JoinHandle<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    start();
    JoinHandle::from_repr(Repr::Task(Some(EXECUTOR.spawn(catch(future)).fallible())))
}
