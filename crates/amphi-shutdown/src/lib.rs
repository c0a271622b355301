//! Graceful shutdown for programs that mix threads and async tasks, on any runtime.
//!
//! ```
//! use std::time::Duration;
//! use amphi_shutdown::{Outcome, Shutdown};
//!
//! let shutdown = Shutdown::builder().grace(Duration::from_secs(5)).build();
//! // shutdown.listen_for_signals()?; // SIGINT / SIGTERM (ctrl-c on Windows) trigger it
//!
//! // A task that runs until the shutdown begins.
//! let token = shutdown.token();
//! shutdown.spawn("ticker", async move { token.cancelled().await });
//!
//! // A thread doing work under a guard: the shutdown waits until it lets go.
//! let guard = shutdown.guard();
//! let token = shutdown.token();
//! std::thread::spawn(move || {
//!     let _guard = guard;
//!     while !token.is_cancelled() {
//!         std::thread::sleep(Duration::from_millis(1));
//!     }
//! });
//!
//! // Blocking work the shutdown also waits for.
//! shutdown.spawn_blocking("flush", || std::thread::sleep(Duration::from_millis(10)));
//!
//! shutdown.trigger("example over");
//! let report = futures_lite::future::block_on(shutdown.wait());
//! assert!(report.is_clean(), "{report}");
//! assert_eq!(report.unit("ticker").map(|u| u.outcome()), Some(&Outcome::Finished));
//! println!("{report}");
//! ```
//!
//! A program that stops well has to do four things at once: notice the request to stop (a
//! signal, or its own decision), tell every part of itself, wait for the work in flight
//! (tasks *and* closures handed to a thread pool), and give up after a while, saying what did
//! not finish. [`Shutdown`] does all four:
//!
//! | need | here |
//! |---|---|
//! | a stop request | [`Shutdown::trigger`], or [`Shutdown::listen_for_signals`]: `SIGINT`, `SIGTERM`, `SIGHUP` (opt-in), ctrl-c on Windows |
//! | tell everyone | [`ShutdownToken`]: [`is_cancelled`](ShutdownToken::is_cancelled), [`cancelled`](ShutdownToken::cancelled)`.await`, [`cancelled_blocking`](ShutdownToken::cancelled_blocking), [`child`](ShutdownToken::child) tokens |
//! | wait for work | [`Guard`]s (threads or tasks), tracked [`spawn`](Shutdown::spawn) and [`spawn_blocking`](Shutdown::spawn_blocking), each named |
//! | give up, say what happened | a grace deadline; tasks still running are cancelled; [`ShutdownReport`] names every unit's [`Outcome`] |
//!
//! # A second signal
//!
//! Once [`listen_for_signals`](Shutdown::listen_for_signals) is on, the first signal begins
//! the shutdown; another one while it is under way means "stop now": by default the report so
//! far is printed to stderr and the process exits with 128 + the signal number (130 after
//! ctrl-c). [`Builder::on_second_signal`] replaces that.
//!
//! # Blocking work cannot be stopped
//!
//! No runtime can stop a blocking closure that has started. At the deadline such closures are
//! reported as [`Outcome::TimedOut`] and listed by [`ShutdownReport::overran`]; the caller
//! chooses to [`wait_more`](Shutdown::wait_more) or to exit. Long closures should check a
//! token and return early.
//!
//! # Runtimes
//!
//! Tracked work is spawned through [`amphi_rt::Runtime`] (smol, async-std, tokio or the
//! runtime-free default); waiting uses `event-listener`, so the futures here run under any
//! executor, and every wait has a `_blocking` twin for plain threads. Signals are received on
//! a background thread of their own.
//!
//! # Costs
//!
//! [`ShutdownToken::is_cancelled`] is one atomic load. Taking and dropping a [`Guard`] are
//! two atomic read-modify-writes each and never allocate. Tracking a unit adds to the
//! runtime's spawn a registry entry (one map node) and short locks of the registry: two at
//! the start of a task (one for a blocking closure) and one at its end.

#![forbid(unsafe_code)]

mod builder;
mod guard;
mod reason;
mod registry;
mod report;
mod shutdown;
mod signals;
mod sync;
mod token;

#[cfg(all(test, amphi_loom))]
mod loom_tests;

pub use builder::{Builder, DEFAULT_GRACE};
pub use guard::Guard;
pub use reason::{Reason, Signal};
pub use report::{Outcome, ShutdownReport, UnitKind, UnitReport};
pub use shutdown::Shutdown;
pub use token::{Cancelled, ShutdownToken};
