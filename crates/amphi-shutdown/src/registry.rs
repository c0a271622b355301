//! The registry of tracked units: what runs, what has ended, and the deadline's effect.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::time::Instant;

use amphi_rt::JoinHandle;

use crate::report::{Outcome, UnitKind, UnitReport};

/// A unit that has not been reported as ended.
struct Running {
    name: Cow<'static, str>,
    kind: UnitKind,
    started: Instant,
    /// The task's handle, to cancel it at the deadline. `None` for blocking closures (no
    /// runtime can stop one that has started) and for a task in the instant between its
    /// registration and its spawn.
    handle: Option<JoinHandle<()>>,
    /// Set when the deadline passed while it ran (blocking closures; a task is cancelled
    /// and leaves the map instead, at once or, if it had no handle yet, when it gets one).
    timed_out: bool,
}

/// Guarded by the coordinator's mutex. Whoever removes a unit from `running` decides its
/// outcome: the unit itself when it ends, or the deadline when it cancels a task.
#[derive(Default)]
pub(crate) struct Registry {
    next_id: u64,
    running: BTreeMap<u64, Running>,
    ended: Vec<UnitReport>,
    finished_before: usize,
    /// Units that ended otherwise than finished before the trigger and are listed in
    /// `ended` (at most [`EARLY_LISTED`]).
    early_listed: usize,
    /// Units that ended otherwise than finished before the trigger beyond those.
    early_unlisted: usize,
}

/// How many units that panicked or were cancelled before the shutdown began a report lists;
/// later ones are only counted, so a long-running process whose units keep failing does not
/// grow the registry (and the copy every report makes of it) without bound.
pub(crate) const EARLY_LISTED: usize = 100;

/// What a snapshot of the registry gives a report.
pub(crate) struct Snapshot {
    pub(crate) units: Vec<UnitReport>,
    pub(crate) finished_before: usize,
    pub(crate) early_unlisted: usize,
}

impl Registry {
    /// Registers a unit about to start; returns its id.
    pub(crate) fn begin(&mut self, name: Cow<'static, str>, kind: UnitKind) -> u64 {
        let id = self.next_id;
        self.next_id += 1;
        let started = Instant::now();
        self.running.insert(
            id,
            Running {
                name,
                kind,
                started,
                handle: None,
                timed_out: false,
            },
        );
        id
    }

    /// Keeps the handle of task `id` so the deadline can cancel it; detaches it if the task
    /// has already ended (or been reported), and cancels it if the deadline passed between
    /// its registration and its spawn (`expire` found no handle to cancel then).
    pub(crate) fn attach(&mut self, id: u64, handle: JoinHandle<()>) {
        match self.running.get_mut(&id) {
            Some(running) if running.timed_out => {
                running.handle = Some(handle);
                self.cancel(id, Instant::now());
            }
            Some(running) => running.handle = Some(handle),
            None => handle.detach(),
        }
    }

    /// Cancels task `id` through its handle and reports it [`Outcome::Cancelled`].
    fn cancel(&mut self, id: u64, now: Instant) {
        if let Some(mut running) = self.running.remove(&id) {
            if let Some(mut handle) = running.handle.take() {
                handle.abort();
            }
            self.ended.push(UnitReport {
                id,
                name: running.name,
                kind: running.kind,
                outcome: Outcome::Cancelled,
                duration: now.saturating_duration_since(running.started),
                running: false,
            });
        }
    }

    /// Records that unit `id` ended by itself. `after_trigger` says whether the shutdown had
    /// begun; units that finish normally before it are only counted.
    pub(crate) fn end(&mut self, id: u64, outcome: Outcome, after_trigger: bool) {
        let Some(running) = self.running.remove(&id) else {
            return; // cancelled at the deadline and reported then
        };
        if let Some(handle) = running.handle {
            handle.detach();
        }
        if !after_trigger && !running.timed_out {
            if outcome == Outcome::Finished {
                self.finished_before += 1;
                return;
            }
            if self.early_listed == EARLY_LISTED {
                self.early_unlisted += 1;
                return;
            }
            self.early_listed += 1;
        }
        let outcome = if running.timed_out && outcome == Outcome::Finished {
            Outcome::TimedOut
        } else {
            outcome
        };
        self.ended.push(UnitReport {
            id,
            name: running.name,
            kind: running.kind,
            outcome,
            duration: running.started.elapsed(),
            running: false,
        });
    }

    /// The deadline passed: cancels every running task through its handle and marks every
    /// running blocking closure as timed out. Idempotent.
    pub(crate) fn expire(&mut self) {
        let now = Instant::now();
        let ids: Vec<u64> = self
            .running
            .iter()
            .filter(|(_, running)| running.handle.is_some())
            .map(|(id, _)| *id)
            .collect();
        for id in ids {
            self.cancel(id, now);
        }
        // Blocking closures, and tasks not yet spawned (`attach` cancels those).
        for running in self.running.values_mut() {
            running.timed_out = true;
        }
    }

    /// Every listed unit, ended or running, in spawn order, and the counts of those not
    /// listed.
    pub(crate) fn snapshot(&self) -> Snapshot {
        let now = Instant::now();
        let mut units = self.ended.clone();
        units.extend(self.running.iter().map(|(id, running)| UnitReport {
            id: *id,
            name: running.name.clone(),
            kind: running.kind,
            outcome: if running.timed_out {
                Outcome::TimedOut
            } else {
                Outcome::Running
            },
            duration: now.saturating_duration_since(running.started),
            running: true,
        }));
        units.sort_by_key(|unit| unit.id);
        Snapshot {
            units,
            finished_before: self.finished_before,
            early_unlisted: self.early_unlisted,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::time::Duration;

    /// Sets its flag when dropped: the task holding it was cancelled.
    struct DropFlag(Arc<AtomicBool>);

    impl Drop for DropFlag {
        fn drop(&mut self) {
            self.0.store(true, Ordering::SeqCst);
        }
    }

    #[test]
    fn a_task_registered_before_the_deadline_and_spawned_after_it_is_cancelled() {
        let mut registry = Registry::default();
        let id = registry.begin("late".into(), UnitKind::Task);
        // The deadline passes between the registration and the spawn.
        registry.expire();
        let dropped = Arc::new(AtomicBool::new(false));
        let flag = DropFlag(Arc::clone(&dropped));
        let handle = amphi_rt::Runtime::global().spawn(async move {
            let _flag = flag;
            futures_lite::future::pending::<()>().await;
        });
        registry.attach(id, handle);

        let units = registry.snapshot().units;
        assert_eq!(units.len(), 1);
        assert_eq!(units[0].outcome, Outcome::Cancelled);
        assert!(!units[0].running);
        let start = Instant::now();
        while !dropped.load(Ordering::SeqCst) {
            assert!(
                start.elapsed() < Duration::from_secs(10),
                "the late task was never cancelled"
            );
            std::thread::sleep(Duration::from_millis(1));
        }
        // Its own end, if it raced the cancel, changes nothing.
        registry.end(id, Outcome::Finished, true);
        assert_eq!(registry.snapshot().units.len(), 1);
    }

    #[test]
    fn failures_before_the_trigger_are_listed_up_to_a_bound_and_counted_beyond() {
        let mut registry = Registry::default();
        for _ in 0..EARLY_LISTED + 50 {
            let id = registry.begin("flaky".into(), UnitKind::Task);
            registry.end(id, Outcome::Panicked("boom".into()), false);
        }
        let id = registry.begin("fine".into(), UnitKind::Task);
        registry.end(id, Outcome::Finished, false);
        // After the trigger everything is listed again.
        let id = registry.begin("late".into(), UnitKind::Task);
        registry.end(id, Outcome::Panicked("late".into()), true);
        let snapshot = registry.snapshot();
        assert_eq!(snapshot.units.len(), EARLY_LISTED + 1);
        assert_eq!(snapshot.early_unlisted, 50);
        assert_eq!(snapshot.finished_before, 1);
        assert_eq!(snapshot.units.last().map(|u| u.name.as_ref()), Some("late"));
    }
}
