//! [`Shutdown`]: the coordinator that triggers, tracks work, and waits with a deadline.

use std::borrow::Cow;
use std::fmt;
use std::future::Future;
use std::io;
use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use amphi_rt::{Runtime, Sleep};
use event_listener_strategy::FutureWrapper;
use futures_lite::FutureExt as _;

use crate::builder::{Builder, ForceHook};
use crate::guard::{Guard, GuardCount};
use crate::registry::Registry;
use crate::report::{Outcome, ShutdownReport, UnitKind};
use crate::{Reason, ShutdownToken, Signal};

struct Shared {
    token: ShutdownToken,
    guards: Arc<GuardCount>,
    registry: Mutex<Registry>,
    /// Set once the grace deadline has passed (by whichever waiter saw it first).
    deadline_passed: AtomicBool,
    grace: Duration,
    runtime: Runtime,
    signals: Vec<Signal>,
    on_second_signal: Option<ForceHook>,
    listening: AtomicBool,
}

/// The coordinator of a graceful shutdown: one trigger, the token everything watches, guards
/// and tracked work it waits for, signals, a deadline and a report.
///
/// Cloning is one `Arc` increment; clones share everything.
///
/// The life of a shutdown:
///
/// 1. Work watches [`token`](Shutdown::token) (or a child of it), holds a
///    [`guard`](Shutdown::guard) while in flight, or is started through
///    [`spawn`](Shutdown::spawn) / [`spawn_blocking`](Shutdown::spawn_blocking) with a name.
/// 2. [`trigger`](Shutdown::trigger) (or a signal, after
///    [`listen_for_signals`](Shutdown::listen_for_signals)) cancels the token, once.
/// 3. [`wait`](Shutdown::wait) waits until every guard is released and every tracked unit has
///    ended, or until the grace deadline; then it cancels the tasks still running through
///    their handles and returns a [`ShutdownReport`] naming each unit's outcome. Blocking
///    closures cannot be stopped: the report lists those that overran, and the caller
///    chooses to [`wait_more`](Shutdown::wait_more) or to exit.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use amphi_shutdown::{Outcome, Shutdown};
///
/// let shutdown = Shutdown::builder().grace(Duration::from_millis(200)).build();
/// let token = shutdown.token();
/// shutdown.spawn("worker", async move {
///     token.cancelled().await; // runs until the shutdown begins
/// });
/// shutdown.spawn("stuck", std::future::pending::<()>());
///
/// shutdown.trigger("example over");
/// let report = futures_lite::future::block_on(shutdown.wait());
/// assert_eq!(report.unit("worker").map(|u| u.outcome()), Some(&Outcome::Finished));
/// assert_eq!(report.unit("stuck").map(|u| u.outcome()), Some(&Outcome::Cancelled));
/// println!("{report}");
/// ```
#[derive(Clone)]
pub struct Shutdown {
    shared: Arc<Shared>,
}

impl Shutdown {
    /// A coordinator with the defaults: 10 s grace, `SIGINT` and `SIGTERM` (once
    /// [`listen_for_signals`](Shutdown::listen_for_signals) is called), tracked work on
    /// [`Runtime::current()`].
    pub fn new() -> Shutdown {
        Builder::new().build()
    }

    /// Options: grace period, signals, runtime, second-signal behaviour.
    pub fn builder() -> Builder {
        Builder::new()
    }

    pub(crate) fn from_builder(builder: Builder) -> Shutdown {
        Shutdown {
            shared: Arc::new(Shared {
                token: ShutdownToken::new(),
                guards: Arc::new(GuardCount::new()),
                registry: Mutex::new(Registry::default()),
                deadline_passed: AtomicBool::new(false),
                grace: builder.grace,
                runtime: builder.runtime.unwrap_or_else(Runtime::current),
                signals: builder.signals,
                on_second_signal: builder.on_second_signal,
                listening: AtomicBool::new(false),
            }),
        }
    }

    /// The token cancelled when the shutdown begins. Derive [`child`](ShutdownToken::child)
    /// tokens for parts that may stop on their own.
    pub fn token(&self) -> ShutdownToken {
        self.shared.token.clone()
    }

    /// A guard that [`wait`](Shutdown::wait) waits for until it is dropped (or the grace
    /// deadline passes).
    ///
    /// Cost: two atomic read-modify-writes, no allocation (see [`Guard`]).
    #[inline]
    pub fn guard(&self) -> Guard {
        self.shared.guards.acquire()
    }

    /// Begins the shutdown: cancels the token (and all its children) and wakes its waiters.
    ///
    /// Idempotent: returns `true` for the call that began it, `false` afterwards (the first
    /// reason is kept).
    pub fn trigger(&self, reason: impl Into<Reason>) -> bool {
        self.shared.token.cancel_with(reason)
    }

    /// Whether the shutdown has begun. One atomic load.
    #[inline]
    pub fn is_triggered(&self) -> bool {
        self.shared.token.is_cancelled()
    }

    /// Why the shutdown began, or `None` before it has.
    pub fn reason(&self) -> Option<Reason> {
        self.shared.token.reason()
    }

    /// The grace period.
    pub fn grace(&self) -> Duration {
        self.shared.grace
    }

    /// The runtime [`spawn`](Shutdown::spawn) and [`spawn_blocking`](Shutdown::spawn_blocking)
    /// use.
    pub fn runtime(&self) -> &Runtime {
        &self.shared.runtime
    }

    /// Spawns `future` on the coordinator's runtime as a tracked task named `name`.
    ///
    /// [`wait`](Shutdown::wait) waits for it; if it is still running at the grace deadline it
    /// is cancelled through its handle and reported as [`Outcome::Cancelled`]. Its output is
    /// discarded (send it on a channel if you need it). A panic inside it is caught and
    /// reported as [`Outcome::Panicked`], never propagated.
    ///
    /// Tracking costs, on top of the runtime's own spawn, a registry entry (one allocation
    /// in an ordered map) and three short locks of the registry: two at spawn (register,
    /// then keep the handle) and one at the end.
    pub fn spawn<F>(&self, name: impl Into<Cow<'static, str>>, future: F)
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        self.spawn_on(name, &self.shared.runtime.clone(), future);
    }

    /// [`spawn`](Shutdown::spawn) on another runtime than the coordinator's.
    pub fn spawn_on<F>(&self, name: impl Into<Cow<'static, str>>, runtime: &Runtime, future: F)
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        let unit = self.shared.guards.acquire_unit();
        let id = self.shared.registry().begin(name.into(), UnitKind::Task);
        let ending = UnitEnd {
            shared: Arc::clone(&self.shared),
            id,
            outcome: None,
            unit: Some(unit),
        };
        let handle = runtime.spawn(async move {
            // If the task is dropped before this, dropping `ending` records it cancelled.
            let outcome = match AssertUnwindSafe(future).catch_unwind().await {
                Ok(_) => Outcome::Finished,
                Err(payload) => Outcome::Panicked(panic_message(&*payload)),
            };
            ending.finish(outcome);
        });
        self.shared.registry().attach(id, handle);
    }

    /// Runs `f` on the runtime's blocking pool as a tracked unit named `name`.
    ///
    /// [`wait`](Shutdown::wait) waits for it. A closure that has started cannot be stopped:
    /// if it is still running at the grace deadline, the report lists it as
    /// [`Outcome::TimedOut`] and [`ShutdownReport::overran`] names it. Make long closures
    /// check a [`token`](Shutdown::token) to stop early. A panic is caught and reported. A
    /// closure that the runtime drops without running it (its blocking pool was shut down
    /// first, as a tokio runtime's is when it is dropped) is reported as
    /// [`Outcome::Cancelled`].
    pub fn spawn_blocking<F, T>(&self, name: impl Into<Cow<'static, str>>, f: F)
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        let unit = self.shared.guards.acquire_unit();
        let id = self
            .shared
            .registry()
            .begin(name.into(), UnitKind::Blocking);
        let ending = UnitEnd {
            shared: Arc::clone(&self.shared),
            id,
            outcome: None,
            unit: Some(unit),
        };
        self.shared
            .runtime
            .spawn_blocking(move || {
                // If the closure is dropped unrun, dropping `ending` records it cancelled.
                let outcome = match std::panic::catch_unwind(AssertUnwindSafe(f)) {
                    Ok(_) => Outcome::Finished,
                    Err(payload) => Outcome::Panicked(panic_message(&*payload)),
                };
                ending.finish(outcome);
            })
            .detach();
    }

    /// Handles the configured signals on a background thread: the first begins the shutdown
    /// ([`Reason::Signal`]); another one while it is under way runs the second-signal path
    /// (by default: print the report so far and exit with 128 + the signal number; see
    /// [`Builder::on_second_signal`]).
    ///
    /// Once called, those signals no longer kill the process by themselves. Calling it again
    /// on the same coordinator (or a clone) does nothing.
    ///
    /// # Errors
    ///
    /// When the handlers or the thread cannot be set up (on Windows also when another ctrl-c
    /// handler is already installed).
    pub fn listen_for_signals(&self) -> io::Result<()> {
        if self.shared.listening.swap(true, Ordering::AcqRel) {
            return Ok(());
        }
        let result = crate::signals::listen(self.clone(), &self.shared.signals);
        if result.is_err() {
            self.shared.listening.store(false, Ordering::Release);
        }
        result
    }

    /// The second-signal path.
    pub(crate) fn force(&self, signal: Signal) {
        match &self.shared.on_second_signal {
            Some(hook) => hook(signal),
            None => {
                eprintln!(
                    "{signal} received during the shutdown: exiting now (code {})\n{}",
                    signal.exit_code(),
                    self.report()
                );
                std::process::exit(signal.exit_code());
            }
        }
    }

    /// Waits for the shutdown to begin, then until every guard is released and every tracked
    /// unit has ended, or the grace deadline (trigger time + grace) passes. At the deadline,
    /// tasks still running are cancelled through their handles. Returns the report.
    ///
    /// Any number of clones may wait; each gets a report.
    ///
    /// # Cancel safety
    ///
    /// Cancel-safe: dropping the future loses nothing and leaves the tracked work alone. A
    /// later call waits for the same deadline (it is fixed at the trigger). The deadline's
    /// effects (cancelling tasks, marking overruns) happen in whichever call reaches it: if
    /// every waiter is dropped first, nothing is cancelled.
    pub async fn wait(&self) -> ShutdownReport {
        let token = &self.shared.token;
        token.cancelled().await;
        let deadline = token
            .cancelled_at()
            .and_then(|at| at.checked_add(self.shared.grace));
        self.drain_until(deadline).await;
        self.report()
    }

    /// [`wait`](Shutdown::wait), parking the current thread.
    ///
    /// # Blocking
    ///
    /// Blocks the thread until the shutdown has begun and drained (or the deadline passed).
    /// Never call it from async code: it would block an executor thread, and the tasks it
    /// waits for may need that thread; use [`wait`](Shutdown::wait).
    pub fn wait_blocking(&self) -> ShutdownReport {
        futures_lite::future::block_on(self.wait())
    }

    /// After the deadline: waits up to `extra` more for whatever is still running (blocking
    /// closures that overran, work spawned late, guards still held), cancels the tasks still
    /// running then, and returns a fresh report.
    ///
    /// `extra` counts from the grace deadline or from now, whichever is later: called
    /// before the deadline, it never ends the grace period early, and called before the
    /// shutdown has begun, it first waits for the shutdown to begin, as
    /// [`wait`](Shutdown::wait) does (nothing is cancelled before the trigger).
    ///
    /// # Cancel safety
    ///
    /// Cancel-safe, as [`wait`](Shutdown::wait).
    pub async fn wait_more(&self, extra: Duration) -> ShutdownReport {
        let token = &self.shared.token;
        token.cancelled().await;
        let now = Instant::now();
        let from = token
            .cancelled_at()
            .and_then(|at| at.checked_add(self.shared.grace))
            .map_or(now, |deadline| deadline.max(now));
        self.drain_until(from.checked_add(extra)).await;
        self.report()
    }

    /// [`wait_more`](Shutdown::wait_more), parking the current thread.
    ///
    /// # Blocking
    ///
    /// Blocks up to `extra`; never call it from async code.
    pub fn wait_more_blocking(&self, extra: Duration) -> ShutdownReport {
        futures_lite::future::block_on(self.wait_more(extra))
    }

    /// Waits until drained or `deadline` (`None`: no deadline); at the deadline, cancels the
    /// running tasks.
    async fn drain_until(&self, deadline: Option<Instant>) {
        let drained = async {
            FutureWrapper::new(self.shared.guards.wait_drained()).await;
            true
        };
        let drained = match deadline {
            Some(deadline) => {
                drained
                    .or(async {
                        Sleep::until(deadline).await;
                        false
                    })
                    .await
            }
            None => drained.await,
        };
        if !drained {
            self.shared.deadline_passed.store(true, Ordering::Release);
            self.shared.registry().expire();
        }
    }

    /// The report as of now, without waiting: units still running show as
    /// [`Outcome::Running`] (or [`Outcome::TimedOut`] after the deadline).
    pub fn report(&self) -> ShutdownReport {
        let snapshot = self.shared.registry().snapshot();
        let elapsed = self
            .shared
            .token
            .cancelled_at()
            .map_or(Duration::ZERO, |at| at.elapsed());
        ShutdownReport {
            reason: self.reason(),
            grace: self.shared.grace,
            elapsed,
            deadline_passed: self.shared.deadline_passed.load(Ordering::Acquire),
            units: snapshot.units,
            finished_before: snapshot.finished_before,
            failed_before_unlisted: snapshot.early_unlisted,
            guards_held: self.shared.guards.held(),
        }
    }
}

impl Shared {
    /// Locks the registry. Poisoning is ignored: its critical sections cannot panic midway.
    fn registry(&self) -> MutexGuard<'_, Registry> {
        self.registry.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn end(&self, id: u64, outcome: Outcome) {
        let after_trigger = self.token.is_cancelled();
        self.registry().end(id, outcome, after_trigger);
    }
}

impl Default for Shutdown {
    fn default() -> Shutdown {
        Shutdown::new()
    }
}

impl fmt::Debug for Shutdown {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Shutdown")
            .field("triggered", &self.is_triggered())
            .field("grace", &self.shared.grace)
            .field("guards", &self.shared.guards.held())
            .field("units", &self.shared.guards.units())
            .field("runtime", &self.shared.runtime)
            .finish()
    }
}

/// Records a tracked unit's end when dropped: its outcome, or if the unit was dropped
/// before it finished (a task cancelled at the deadline or dropped by an executor that went
/// away, a blocking closure dropped unrun), [`Outcome::Cancelled`]; a unit already reported
/// by the deadline is not reported again. Then it releases the unit, so that a drained wait
/// sees the record.
struct UnitEnd {
    shared: Arc<Shared>,
    id: u64,
    outcome: Option<Outcome>,
    unit: Option<crate::guard::UnitGuard>,
}

impl UnitEnd {
    /// The unit ended by itself with `outcome`: records it (by dropping the guard).
    fn finish(mut self, outcome: Outcome) {
        self.outcome = Some(outcome);
    }
}

impl Drop for UnitEnd {
    fn drop(&mut self) {
        let outcome = self.outcome.take().unwrap_or(Outcome::Cancelled);
        self.shared.end(self.id, outcome);
        drop(self.unit.take());
    }
}

fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&'static str>()
        .map(|message| (*message).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "non-string panic payload".to_owned())
}
