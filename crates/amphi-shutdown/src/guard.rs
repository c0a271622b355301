//! [`Guard`]: an in-flight unit of work that shutdown waits for.

use std::fmt;
use std::pin::Pin;
use std::sync::Arc;
use std::task::Poll;

use event_listener::{Event, EventListener};
use event_listener_strategy::{EventListenerFuture, Strategy};

use crate::sync::{AtomicUsize, Ordering};

/// One unit of a counter word: the low bit is [`WAITING`], the count sits above it.
const ONE: usize = 2;

/// Set (never cleared) once something has waited for the drain: from then on, the release
/// that brings a count to zero notifies. Before it, releases skip the notification, whose
/// fence and lock would otherwise cost more than the guard itself.
const WAITING: usize = 1;

/// How many guards and tracked units are alive, and the event fired when none is left.
///
/// Guards and units share one word, `inflight`, so that "nothing in flight" is one load: with
/// two counts read one after the other, a unit that takes a guard and then ends (or a guard
/// holder that spawns a unit and then drops its guard) could be seen at zero in both reads
/// without ever being at zero in both at once, and the drain would end with work still in
/// flight. `units` counts the units alone, for the report's split between the two.
///
/// `inflight` and its [`WAITING`] bit share one word too, so the release and the waiter's
/// announcement are read-modify-writes of the same location: either the release sees the bit
/// and notifies, or the waiter's check after the announcement sees the release.
pub(crate) struct GuardCount {
    inflight: AtomicUsize,
    units: AtomicUsize,
    drained: Event,
    /// How many notifications releases have sent (for the loom model).
    #[cfg(amphi_loom)]
    pub(crate) notified: AtomicUsize,
}

impl GuardCount {
    pub(crate) fn new() -> GuardCount {
        GuardCount {
            inflight: AtomicUsize::new(0),
            units: AtomicUsize::new(0),
            drained: Event::new(),
            #[cfg(amphi_loom)]
            notified: AtomicUsize::new(0),
        }
    }

    /// Takes one guard. `Relaxed` suffices: the count only has to be exact, and the `Arc`
    /// that reaches the guard's holder already carries the happens-before it needs.
    #[inline]
    pub(crate) fn acquire(self: &Arc<GuardCount>) -> Guard {
        self.inflight.fetch_add(ONE, Ordering::Relaxed);
        Guard {
            count: Arc::clone(self),
        }
    }

    /// Counts one tracked unit (a task or blocking closure) until the returned value drops.
    pub(crate) fn acquire_unit(self: &Arc<GuardCount>) -> UnitGuard {
        // Two words: `held` (their difference) is exact only while no unit starts or ends.
        self.units.fetch_add(1, Ordering::Relaxed);
        self.inflight.fetch_add(ONE, Ordering::Relaxed);
        UnitGuard {
            count: Arc::clone(self),
        }
    }

    /// Returns one guard or unit; wakes the drain waiters when it was the last one and
    /// someone waits.
    #[inline]
    fn release(&self) {
        // Release: the work done under the guard is visible to whoever sees the count at
        // zero (with `Acquire`); Acquire: orders the notification after the decrement.
        if self.inflight.fetch_sub(ONE, Ordering::AcqRel) == ONE | WAITING {
            self.notify();
        }
    }

    #[cold]
    fn notify(&self) {
        #[cfg(amphi_loom)]
        self.notified.fetch_add(1, Ordering::Relaxed);
        self.drained.notify(usize::MAX);
    }

    /// Announces a drain waiter (see [`WAITING`]); idempotent.
    pub(crate) fn announce_waiter(&self) {
        self.inflight.fetch_or(WAITING, Ordering::AcqRel);
    }

    /// How many [`Guard`]s are held now. A snapshot of two counts read one after the other:
    /// exact while no unit starts or ends, and off by the units doing so otherwise (never
    /// below zero). The drain does not use it.
    pub(crate) fn held(&self) -> usize {
        let inflight = self.inflight.load(Ordering::Acquire) / ONE;
        inflight.saturating_sub(self.units())
    }

    /// How many tracked units are alive now.
    pub(crate) fn units(&self) -> usize {
        self.units.load(Ordering::Acquire)
    }

    /// Whether no guard is held and no tracked unit is alive, at one instant.
    pub(crate) fn is_drained(&self) -> bool {
        self.inflight.load(Ordering::Acquire) / ONE == 0
    }

    /// The wait for both counts to reach zero, for either front end.
    pub(crate) fn wait_drained(&self) -> WaitDrained<'_> {
        self.announce_waiter();
        WaitDrained {
            count: self,
            listener: None,
        }
    }
}

/// Waits until no guard is held and no unit is alive. Check, listen, check again: the waiter
/// is announced before the first check, and the last release decrements before it notifies,
/// so a listener made before the second check cannot miss it.
pub(crate) struct WaitDrained<'a> {
    count: &'a GuardCount,
    listener: Option<EventListener>,
}

impl EventListenerFuture for WaitDrained<'_> {
    type Output = ();

    fn poll_with_strategy<'a, S: Strategy<'a>>(
        mut self: Pin<&mut Self>,
        strategy: &mut S,
        context: &mut S::Context,
    ) -> Poll<()> {
        loop {
            if self.count.is_drained() {
                self.listener = None;
                return Poll::Ready(());
            }
            if self.listener.is_some() {
                if strategy.poll(&mut self.listener, context).is_pending() {
                    return Poll::Pending;
                }
            } else {
                self.listener = Some(self.count.drained.listen());
            }
        }
    }
}

/// Proof that a piece of work is in flight: [`Shutdown::wait`](crate::Shutdown::wait) does
/// not finish while a guard is held (until the grace deadline passes).
///
/// Take one with [`Shutdown::guard`](crate::Shutdown::guard) or
/// [`Guard::clone`]; it is `Send + Sync + 'static`, so it can move into a thread or a task.
/// Dropping it releases it.
///
/// Cost: acquiring and releasing are two atomic read-modify-writes each (the count and an
/// `Arc` reference); no lock, no allocation. Only once something waits for the drain does
/// the release that brings the count to zero also wake the waiters.
///
/// A guard taken after the trigger still delays [`wait`](crate::Shutdown::wait), as long as
/// the count has not already reached zero: take guards before handing out work.
///
/// # Examples
///
/// ```
/// use amphi_shutdown::Shutdown;
///
/// let shutdown = Shutdown::new();
/// let guard = shutdown.guard();
/// let worker = std::thread::spawn(move || {
///     let _guard = guard; // released when the thread's work is done
///     2 + 2
/// });
/// shutdown.trigger("done");
/// let report = shutdown.wait_blocking();
/// assert_eq!(report.guards_held(), 0);
/// assert_eq!(worker.join().ok(), Some(4));
/// ```
#[must_use = "a guard protects nothing once dropped"]
pub struct Guard {
    count: Arc<GuardCount>,
}

impl Clone for Guard {
    /// Another guard on the same shutdown (counted separately).
    #[inline]
    fn clone(&self) -> Guard {
        self.count.acquire()
    }
}

impl Drop for Guard {
    #[inline]
    fn drop(&mut self) {
        self.count.release();
    }
}

/// The private guard of one tracked unit, dropped when the unit's task or closure is gone.
pub(crate) struct UnitGuard {
    count: Arc<GuardCount>,
}

impl Drop for UnitGuard {
    fn drop(&mut self) {
        self.count.release();
        self.count.units.fetch_sub(1, Ordering::Relaxed);
    }
}

impl fmt::Debug for Guard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Guard")
            .field("held", &self.count.held())
            .finish()
    }
}
