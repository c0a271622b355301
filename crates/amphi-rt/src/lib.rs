//! Runtime-neutral spawning, blocking work and timers.
//!
//! ```
//! use std::time::Duration;
//! use amphi_rt::Runtime;
//!
//! // No runtime started: `Runtime::global()` never panics for lack of one.
//! let rt = Runtime::global();
//! let answer = futures_lite::future::block_on(async {
//!     let task = rt.spawn(async { 6 * 7 });
//!     let blocking = rt.spawn_blocking(|| "from a thread pool".len());
//!     rt.sleep(Duration::from_millis(1)).await;
//!     task.await.unwrap_or(0) + blocking.await.unwrap_or(0) - 18
//! });
//! assert_eq!(answer, 42);
//! ```
//!
//! A library that needs to spawn a task, run a blocking closure or sleep should not pick an
//! executor for its users. `amphi-rt` names those three needs once ([`Spawn`],
//! [`SpawnBlocking`], [`Timer`]) and implements them for every executor a user may run:
//!
//! | value | executor | blocking pool | timers | feature |
//! |---|---|---|---|---|
//! | [`Runtime::global()`] | lazily started `async-executor` threads | `blocking` crate | `async-io` | always |
//! | [`Runtime::smol()`] / [`Runtime::smol_with`] | smol's global or your `Arc<smol::Executor>` | `blocking` crate | `async-io` | `smol` (default) |
//! | [`Runtime::async_std()`] | async-std | async-std's pool | `async-io` | `async-std` |
//! | [`Runtime::tokio`] | a tokio `Handle` | tokio's pool | `async-io` (works without tokio's `time` feature) | `tokio` |
//!
//! [`Runtime`] is one cloneable value that dispatches to any of them; [`Runtime::current()`]
//! picks tokio when called inside a tokio runtime and the runtime-free default otherwise.
//!
//! # One handle, one meaning
//!
//! Runtimes disagree on what dropping a task handle does: tokio and async-std detach the task,
//! smol cancels it. An amphi [`JoinHandle`] **detaches on drop**, on every runtime, as
//! `std::thread::JoinHandle` does. Cancel explicitly with [`JoinHandle::cancel`] (waits until the
//! task is gone) or [`JoinHandle::abort`] (requests it and returns).
//!
//! # Panics in tasks
//!
//! With `panic = "unwind"` (the default profile), a panic inside a spawned future or a
//! blocking closure is caught and surfaces as [`JoinError::Panicked`] when the handle is
//! awaited; the process keeps running and the awaiter never hangs. With `panic = "abort"`
//! the process aborts at the panic, as with any Rust code; nothing can be caught.
//!
//! # Costs
//!
//! Spawning costs what the underlying runtime charges (one allocation for the task) plus a
//! `catch_unwind` frame, which is free unless a panic happens. [`Runtime`] dispatch is one
//! `match`. The runtime-free path starts its executor threads (one per core, at most four) on
//! the first spawn; later spawns reuse them. Its blocking pool (the `blocking` crate) grows on
//! demand up to 500 threads and shrinks when idle. Its timers share one `async-io` reactor
//! thread.

#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod adapters;
mod join;
mod runtime;
mod sleep;
mod traits;

pub use join::{JoinError, JoinHandle};
pub use runtime::Runtime;
pub use sleep::{Sleep, TimeoutError, saturating_deadline, timeout};
pub use traits::{Spawn, SpawnBlocking, Timer};
