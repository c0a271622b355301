//! [`ShutdownReport`]: what finished, what was cancelled, what overran the deadline.

use std::borrow::Cow;
use std::fmt;
use std::time::Duration;

use crate::Reason;

/// What a tracked unit is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum UnitKind {
    /// A future spawned with [`Shutdown::spawn`](crate::Shutdown::spawn).
    Task,
    /// A closure run with [`Shutdown::spawn_blocking`](crate::Shutdown::spawn_blocking).
    Blocking,
}

impl UnitKind {
    /// `"task"` or `"blocking"`.
    pub fn as_str(self) -> &'static str {
        match self {
            UnitKind::Task => "task",
            UnitKind::Blocking => "blocking",
        }
    }
}

impl fmt::Display for UnitKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How a tracked unit ended, or that it has not.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Outcome {
    /// It completed on its own.
    Finished,
    /// It panicked; the panic was caught and reported here, with its message.
    Panicked(String),
    /// The grace deadline passed and the task was cancelled through its handle.
    Cancelled,
    /// The grace deadline passed while this blocking closure ran; it cannot be stopped. See
    /// [`UnitReport::is_running`] for whether it has finished since.
    TimedOut,
    /// Still running, and the deadline has not passed (a report taken early, e.g. by
    /// [`Shutdown::report`](crate::Shutdown::report)).
    Running,
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Outcome::Finished => "finished",
            Outcome::Panicked(_) => "panicked",
            Outcome::Cancelled => "cancelled",
            Outcome::TimedOut => "timed out",
            Outcome::Running => "running",
        })
    }
}

/// One tracked unit in a [`ShutdownReport`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnitReport {
    pub(crate) id: u64,
    pub(crate) name: Cow<'static, str>,
    pub(crate) kind: UnitKind,
    pub(crate) outcome: Outcome,
    pub(crate) duration: Duration,
    pub(crate) running: bool,
}

impl UnitReport {
    /// The name given at spawn time.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Task or blocking closure.
    pub fn kind(&self) -> UnitKind {
        self.kind
    }

    /// How it ended.
    pub fn outcome(&self) -> &Outcome {
        &self.outcome
    }

    /// How long it ran: until it ended, was cancelled, or (still running) until the report.
    pub fn duration(&self) -> Duration {
        self.duration
    }

    /// Whether it was still running when the report was taken (a blocking closure that
    /// overran, or any unit in an early report).
    pub fn is_running(&self) -> bool {
        self.running
    }
}

/// What happened to the tracked work of a [`Shutdown`](crate::Shutdown).
///
/// Lists every unit alive when the shutdown began or started after it, and the first 100
/// units that panicked or were cancelled before it (later ones are only counted:
/// [`failed_before_unlisted`](ShutdownReport::failed_before_unlisted)); units that finished
/// normally before the shutdown are only counted
/// ([`finished_before`](ShutdownReport::finished_before)). `Display` prints a table:
///
/// ```text
/// shutdown (received SIGTERM): grace 5s, took 5.0s, deadline passed
///   unit         kind      outcome    time
///   acceptor     task      finished   1.2s
///   compactor    blocking  timed out  5.0s  still running
///   conn-42      task      cancelled  5.0s
///   indexer      task      panicked   0.3s  index out of bounds
///   12 finished before the shutdown; 1 guard still held
/// ```
#[derive(Debug, Clone)]
pub struct ShutdownReport {
    pub(crate) reason: Option<Reason>,
    pub(crate) grace: Duration,
    pub(crate) elapsed: Duration,
    pub(crate) deadline_passed: bool,
    pub(crate) units: Vec<UnitReport>,
    pub(crate) finished_before: usize,
    pub(crate) failed_before_unlisted: usize,
    pub(crate) guards_held: usize,
}

impl ShutdownReport {
    /// Why the shutdown began (`None` in a report taken before the trigger).
    pub fn reason(&self) -> Option<&Reason> {
        self.reason.as_ref()
    }

    /// The grace period the shutdown was given.
    pub fn grace(&self) -> Duration {
        self.grace
    }

    /// Time from the trigger to this report.
    pub fn elapsed(&self) -> Duration {
        self.elapsed
    }

    /// Whether the grace deadline passed before everything had finished.
    pub fn deadline_passed(&self) -> bool {
        self.deadline_passed
    }

    /// Every listed unit, in the order they were spawned.
    pub fn units(&self) -> &[UnitReport] {
        &self.units
    }

    /// The unit named `name` (the first, if several share it).
    pub fn unit(&self, name: &str) -> Option<&UnitReport> {
        self.units.iter().find(|unit| unit.name == name)
    }

    /// How many listed units ended with `outcome`.
    pub fn count(&self, outcome: &Outcome) -> usize {
        self.units
            .iter()
            .filter(|unit| std::mem::discriminant(&unit.outcome) == std::mem::discriminant(outcome))
            .count()
    }

    /// The blocking closures that overran the deadline and are still running: the caller
    /// chooses to wait more ([`Shutdown::wait_more`](crate::Shutdown::wait_more)) or to exit.
    pub fn overran(&self) -> impl Iterator<Item = &UnitReport> {
        self.units
            .iter()
            .filter(|unit| unit.outcome == Outcome::TimedOut && unit.running)
    }

    /// How many units finished normally before the shutdown began (not listed).
    pub fn finished_before(&self) -> usize {
        self.finished_before
    }

    /// How many units panicked or were cancelled before the shutdown began beyond the first
    /// 100, which are listed (these are not).
    pub fn failed_before_unlisted(&self) -> usize {
        self.failed_before_unlisted
    }

    /// How many [`Guard`](crate::Guard)s were still held when the report was taken.
    pub fn guards_held(&self) -> usize {
        self.guards_held
    }

    /// Whether everything finished in time: no unit cancelled, timed out, panicked or
    /// running (listed or not), and no guard held.
    pub fn is_clean(&self) -> bool {
        self.guards_held == 0
            && self.failed_before_unlisted == 0
            && self
                .units
                .iter()
                .all(|unit| unit.outcome == Outcome::Finished)
    }

    /// A process exit code: 0 when [`is_clean`](ShutdownReport::is_clean), 1 otherwise.
    pub fn exit_code(&self) -> i32 {
        i32::from(!self.is_clean())
    }
}

impl fmt::Display for ShutdownReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.reason {
            Some(reason) => write!(f, "shutdown ({reason}): ")?,
            None => f.write_str("shutdown (not begun): ")?,
        }
        write!(f, "grace {:?}, took {:.1?}", self.grace, self.elapsed)?;
        if self.deadline_passed {
            f.write_str(", deadline passed")?;
        }
        f.write_str("\n")?;
        if !self.units.is_empty() {
            let width = self
                .units
                .iter()
                .map(|unit| unit.name.chars().count())
                .max()
                .unwrap_or(0)
                .max("unit".len());
            writeln!(
                f,
                "  {:width$}  {:8}  {:9}  time",
                "unit", "kind", "outcome"
            )?;
            for unit in &self.units {
                let time = format!("{:.1?}", unit.duration);
                write!(
                    f,
                    "  {:width$}  {:8}  {:9}  {time:>7}",
                    unit.name,
                    unit.kind.as_str(),
                    unit.outcome.to_string()
                )?;
                match &unit.outcome {
                    Outcome::Panicked(message) => write!(f, "  {message}")?,
                    Outcome::TimedOut if unit.running => f.write_str("  still running")?,
                    Outcome::TimedOut => f.write_str("  finished late")?,
                    _ => {}
                }
                f.write_str("\n")?;
            }
        }
        let plural = |n: usize| if n == 1 { "" } else { "s" };
        if self.failed_before_unlisted > 0 {
            writeln!(
                f,
                "  {} more panicked or cancelled before the shutdown (not listed)",
                self.failed_before_unlisted
            )?;
        }
        writeln!(
            f,
            "  {} finished before the shutdown; {} guard{} still held",
            self.finished_before,
            self.guards_held,
            plural(self.guards_held)
        )
    }
}
