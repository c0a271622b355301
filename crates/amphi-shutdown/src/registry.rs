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
    /// Set when the deadline passed while it ran (blocking closures only: tasks are
    /// cancelled and leave the map instead).
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
    /// has already ended (or been reported).
    pub(crate) fn attach(&mut self, id: u64, handle: JoinHandle<()>) {
        match self.running.get_mut(&id) {
            Some(running) => running.handle = Some(handle),
            None => handle.detach(),
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
        if !after_trigger && outcome == Outcome::Finished && !running.timed_out {
            self.finished_before += 1;
            return;
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
        for running in self.running.values_mut() {
            running.timed_out = true;
        }
    }

    /// Every listed unit, ended or running, in spawn order.
    pub(crate) fn snapshot(&self) -> (Vec<UnitReport>, usize) {
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
        (units, self.finished_before)
    }
}
