//! One async test body, every runtime.
//!
//! ```
//! amphi_test::run(|rt| async move {
//!     let task = rt.spawn(async { 21 * 2 });
//!     assert_eq!(task.await.ok(), Some(42), "on {}", rt.name());
//! });
//! ```
//!
//! [`run`] calls the body once per executor, each time with that executor's
//! [`Runtime`] so the body can spawn, run blocking work and sleep on it:
//!
//! | leg | driven by | `Runtime` handed in |
//! |---|---|---|
//! | `smol` | `smol::block_on` | `Runtime::smol()` |
//! | `async-std` | `async_std::task::block_on` | `Runtime::async_std()` |
//! | `tokio` | a 2-worker multi-thread runtime's `block_on` | `Runtime::tokio(handle)` |
//! | `futures` | `futures::executor::block_on` | `Runtime::global()` |
//!
//! Each leg runs on a fresh thread with a deadline (60 s, or `AMPHI_TEST_TIMEOUT` seconds),
//! so a hung body fails the test instead of hanging CI. Every leg runs even when an earlier
//! one fails, and the panic names each failing runtime. `AMPHI_TEST_RUNTIMES=tokio,smol`
//! restricts the legs. Under miri only the `futures` leg runs (the reactors do not run there).

#![forbid(unsafe_code)]

use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::sync::mpsc;
use std::time::Duration;

pub use amphi_rt::Runtime;

/// The executors a body runs on, in order.
pub const RUNTIMES: [&str; 4] = ["smol", "async-std", "tokio", "futures"];

/// The default deadline of one leg.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);

/// What happened to one leg of a [`try_run`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Leg {
    /// The executor's name, one of [`RUNTIMES`].
    pub runtime: &'static str,
    /// `Err` holds the panic message or says that the deadline passed.
    pub result: Result<(), String>,
}

impl fmt::Display for Leg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.result {
            Ok(()) => write!(f, "{}: ok", self.runtime),
            Err(why) => write!(f, "{}: FAILED: {why}", self.runtime),
        }
    }
}

/// Runs `body` on every runtime and panics if any leg failed, naming each failing runtime.
///
/// # Panics
///
/// When the body panics or overruns the deadline on at least one runtime.
pub fn run<F, Fut>(body: F)
where
    F: Fn(Runtime) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = ()>,
{
    let legs = try_run(body, timeout_from_env());
    let failed: Vec<String> = legs
        .iter()
        .filter(|leg| leg.result.is_err())
        .map(ToString::to_string)
        .collect();
    assert!(
        failed.is_empty(),
        "test body failed on {} of {} runtimes:\n  {}",
        failed.len(),
        legs.len(),
        failed.join("\n  ")
    );
}

/// Runs `body` on every selected runtime and reports each leg; never panics itself.
pub fn try_run<F, Fut>(body: F, timeout: Duration) -> Vec<Leg>
where
    F: Fn(Runtime) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = ()>,
{
    let body = Arc::new(body);
    selected_runtimes()
        .into_iter()
        .map(|runtime| Leg {
            runtime,
            result: run_leg(runtime, Arc::clone(&body), timeout),
        })
        .collect()
}

fn timeout_from_env() -> Duration {
    std::env::var("AMPHI_TEST_TIMEOUT")
        .ok()
        .and_then(|s| s.parse().ok())
        .map_or(DEFAULT_TIMEOUT, Duration::from_secs)
}

fn selected_runtimes() -> Vec<&'static str> {
    if cfg!(miri) {
        return vec!["futures"];
    }
    match std::env::var("AMPHI_TEST_RUNTIMES") {
        Ok(list) => RUNTIMES
            .into_iter()
            .filter(|rt| list.split(',').any(|want| want.trim() == *rt))
            .collect(),
        Err(_) => RUNTIMES.to_vec(),
    }
}

fn run_leg<F, Fut>(runtime: &'static str, body: Arc<F>, timeout: Duration) -> Result<(), String>
where
    F: Fn(Runtime) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = ()>,
{
    let (done_tx, done_rx) = mpsc::channel();
    let spawned = std::thread::Builder::new()
        .name(format!("amphi-test-{runtime}"))
        .spawn(move || {
            let outcome =
                std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| drive(runtime, &*body)));
            // The receiver may have given up after the deadline; nothing to report then.
            let _ = done_tx.send(outcome.map_err(|payload| panic_message(&*payload)));
        });
    if let Err(err) = spawned {
        return Err(format!("could not start the test thread: {err}"));
    }
    match done_rx.recv_timeout(timeout) {
        Ok(Ok(Ok(()))) => Ok(()),
        Ok(Ok(Err(setup))) => Err(setup),
        Ok(Err(panic)) => Err(panic),
        Err(mpsc::RecvTimeoutError::Timeout) => {
            Err(format!("did not finish within {timeout:?} (hung?)"))
        }
        Err(mpsc::RecvTimeoutError::Disconnected) => Err("test thread vanished".to_owned()),
    }
}

/// Drives one body to completion on `runtime`; `Err` if the runtime could not be built.
fn drive<F, Fut>(runtime: &str, body: &F) -> Result<(), String>
where
    F: Fn(Runtime) -> Fut,
    Fut: Future<Output = ()>,
{
    match runtime {
        "smol" => smol::block_on(body(Runtime::smol())),
        "async-std" => async_std::task::block_on(body(Runtime::async_std())),
        "tokio" => {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .map_err(|err| format!("could not build a tokio runtime: {err}"))?;
            rt.block_on(body(Runtime::tokio(rt.handle().clone())));
            // Blocking closures a body left behind must not hold the test up.
            rt.shutdown_timeout(Duration::from_secs(1));
        }
        _ => futures::executor::block_on(body(Runtime::global())),
    }
    Ok(())
}

fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&'static str>()
        .map(|s| (*s).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "panicked with a non-string payload".to_owned())
}
