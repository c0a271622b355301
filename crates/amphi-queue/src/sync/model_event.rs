//! A loom-visible stand-in for `event_listener::Event` with the same contract.
//!
//! `event-listener` supports loom only under `--cfg loom`, which breaks tokio elsewhere in the
//! workspace build, so loom models run against this small implementation instead: listeners
//! queue in order, `notify(n)` makes sure `n` are notified, `notify_additional(n)` notifies `n`
//! more, and a notified listener that is dropped unconsumed passes its notification on.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};
use std::time::Instant;

use loom::sync::{Arc, Condvar, Mutex};

#[derive(Default)]
struct Waiters {
    next_id: u64,
    entries: Vec<Entry>,
}

struct Entry {
    id: u64,
    notified: bool,
    waker: Option<Waker>,
}

impl Waiters {
    fn notify_unnotified(&mut self, mut n: usize) {
        for entry in self.entries.iter_mut().filter(|e| !e.notified) {
            if n == 0 {
                break;
            }
            n -= 1;
            entry.notified = true;
            if let Some(waker) = entry.waker.take() {
                waker.wake();
            }
        }
    }
}

struct Shared {
    waiters: Mutex<Waiters>,
    condvar: Condvar,
}

/// The model of `event_listener::Event`.
pub(crate) struct Event {
    shared: Arc<Shared>,
}

impl std::fmt::Debug for Event {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Event(model)")
    }
}

impl Event {
    pub(crate) fn new() -> Event {
        Event {
            shared: Arc::new(Shared {
                waiters: Mutex::new(Waiters::default()),
                condvar: Condvar::new(),
            }),
        }
    }

    pub(crate) fn listen(&self) -> EventListener {
        let mut waiters = self
            .shared
            .waiters
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        let id = waiters.next_id;
        waiters.next_id += 1;
        waiters.entries.push(Entry {
            id,
            notified: false,
            waker: None,
        });
        EventListener {
            shared: Arc::clone(&self.shared),
            id,
            consumed: false,
        }
    }

    pub(crate) fn notify(&self, n: usize) -> usize {
        let mut waiters = self
            .shared
            .waiters
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        let already = waiters.entries.iter().filter(|e| e.notified).count();
        waiters.notify_unnotified(n.saturating_sub(already));
        drop(waiters);
        self.shared.condvar.notify_all();
        0
    }

    pub(crate) fn notify_additional(&self, n: usize) -> usize {
        let mut waiters = self
            .shared
            .waiters
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        waiters.notify_unnotified(n);
        drop(waiters);
        self.shared.condvar.notify_all();
        0
    }
}

/// The model of `event_listener::EventListener`.
pub(crate) struct EventListener {
    shared: Arc<Shared>,
    id: u64,
    consumed: bool,
}

impl std::fmt::Debug for EventListener {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("EventListener(model)")
    }
}

impl EventListener {
    /// Removes this entry if it was notified; `true` then.
    fn take_notification(&mut self, waker: Option<&Waker>) -> bool {
        let mut waiters = self
            .shared
            .waiters
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        let Some(pos) = waiters.entries.iter().position(|e| e.id == self.id) else {
            return true;
        };
        if waiters.entries[pos].notified {
            waiters.entries.remove(pos);
            self.consumed = true;
            true
        } else {
            if let Some(waker) = waker {
                waiters.entries[pos].waker = Some(waker.clone());
            }
            false
        }
    }

    pub(crate) fn wait(mut self) {
        loop {
            if self.take_notification(None) {
                return;
            }
            let waiters = self
                .shared
                .waiters
                .lock()
                .unwrap_or_else(|e| e.into_inner());
            let notified = waiters
                .entries
                .iter()
                .any(|e| e.id == self.id && e.notified);
            if !notified {
                drop(self.shared.condvar.wait(waiters));
            }
        }
    }

    /// Loom has no clock: a deadline wait is a plain wait.
    pub(crate) fn wait_deadline(self, _deadline: Instant) -> Option<()> {
        self.wait();
        Some(())
    }
}

impl Future for EventListener {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.get_mut().take_notification(Some(cx.waker())) {
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    }
}

impl Drop for EventListener {
    fn drop(&mut self) {
        if self.consumed {
            return;
        }
        let mut waiters = self
            .shared
            .waiters
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        if let Some(pos) = waiters.entries.iter().position(|e| e.id == self.id) {
            let entry = waiters.entries.remove(pos);
            if entry.notified {
                // Pass an unconsumed notification on, as event-listener does.
                waiters.notify_unnotified(1);
                drop(waiters);
                self.shared.condvar.notify_all();
            }
        }
    }
}
