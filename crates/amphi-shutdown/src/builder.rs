//! [`Builder`]: the options of a [`Shutdown`].

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use amphi_rt::Runtime;

use crate::{Shutdown, Signal};

/// What runs when a second signal arrives during the shutdown.
pub(crate) type ForceHook = Arc<dyn Fn(Signal) + Send + Sync + 'static>;

/// The grace period when none is set: long enough for requests in flight, shorter than the
/// 30 s most supervisors (systemd, Kubernetes) wait before `SIGKILL`.
pub const DEFAULT_GRACE: Duration = Duration::from_secs(10);

/// Options of a [`Shutdown`]; made by [`Shutdown::builder`].
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use amphi_shutdown::{Shutdown, Signal};
///
/// let shutdown = Shutdown::builder()
///     .grace(Duration::from_secs(5))
///     .signals([Signal::Interrupt, Signal::Terminate, Signal::Hangup])
///     .on_second_signal(|signal| eprintln!("{signal} again: not waiting any longer"))
///     .build();
/// assert_eq!(shutdown.grace(), Duration::from_secs(5));
/// ```
#[must_use = "a builder does nothing until .build()"]
pub struct Builder {
    pub(crate) grace: Duration,
    pub(crate) signals: Vec<Signal>,
    pub(crate) runtime: Option<Runtime>,
    pub(crate) on_second_signal: Option<ForceHook>,
}

impl Builder {
    pub(crate) fn new() -> Builder {
        Builder {
            grace: DEFAULT_GRACE,
            signals: vec![Signal::Interrupt, Signal::Terminate],
            runtime: None,
            on_second_signal: None,
        }
    }

    /// How long [`Shutdown::wait`] lets work finish after the trigger before it cancels the
    /// remaining tasks. Default: [`DEFAULT_GRACE`] (10 s).
    pub fn grace(mut self, grace: Duration) -> Builder {
        self.grace = grace;
        self
    }

    /// Which signals [`Shutdown::listen_for_signals`] handles. Default: `SIGINT` and
    /// `SIGTERM`; add [`Signal::Hangup`] to stop on `SIGHUP` too. On Windows only
    /// [`Signal::Interrupt`] (ctrl-c) is available; the others are ignored there.
    pub fn signals(mut self, signals: impl IntoIterator<Item = Signal>) -> Builder {
        self.signals = signals.into_iter().collect();
        self.signals.dedup();
        self
    }

    /// The runtime [`Shutdown::spawn`] and [`Shutdown::spawn_blocking`] use. Default:
    /// [`Runtime::current()`] when [`build`](Builder::build) is called (tokio inside a tokio
    /// runtime, the runtime-free default otherwise).
    pub fn runtime(mut self, runtime: Runtime) -> Builder {
        self.runtime = Some(runtime);
        self
    }

    /// Runs `hook` instead of exiting when a handled signal arrives while the shutdown is
    /// already under way.
    ///
    /// The default prints the report so far to stderr and exits the process at once with
    /// [`Signal::exit_code`] (130 for `SIGINT`, 143 for `SIGTERM`), as a shell would report
    /// a process killed by that signal. The hook runs on the signal thread (on Windows, on
    /// ctrl-c's handler thread), not in a signal handler, so it may do anything.
    pub fn on_second_signal(mut self, hook: impl Fn(Signal) + Send + Sync + 'static) -> Builder {
        self.on_second_signal = Some(Arc::new(hook));
        self
    }

    /// Builds the coordinator.
    pub fn build(self) -> Shutdown {
        Shutdown::from_builder(self)
    }
}

impl fmt::Debug for Builder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Builder")
            .field("grace", &self.grace)
            .field("signals", &self.signals)
            .field("runtime", &self.runtime)
            .field("on_second_signal", &self.on_second_signal.is_some())
            .finish()
    }
}
