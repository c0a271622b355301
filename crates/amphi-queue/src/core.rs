//! The shared state behind every handle, and the one wait loop every operation uses.
//!
//! Each operation is written once as an *attempt* on the locked state; [`Shared::wait`] runs
//! the "check, listen, check again" loop around it, either polling the listener (async face)
//! or parking the thread on it (blocking face). Notifications are sent after the lock is
//! released, and only ever `notify_additional(1)` per item or slot, so a listener woken for an
//! item it did not take passes the wake-up on when dropped (event-listener's contract).

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Instant;

use crate::buffer::Buffer;
use crate::error::{TaskDoneError, TryGetError, TryPutError};
#[cfg(not(amphi_loom))]
use crate::sync::Listener as _;
use crate::sync::{Arc, AtomicUsize, Event, EventListener, Mutex, Ordering, lock};

/// How a wait waits: by polling (async face) or by parking the thread (blocking face).
pub(crate) enum Strategy<'a, 'b> {
    /// Register the task's waker and return `Pending`.
    Async(&'a mut Context<'b>),
    /// Park the thread, until the deadline if there is one.
    Blocking(Option<Instant>),
}

/// The bounded spin of a blocking wait: three rounds of `spin_loop` hints (1, 2, 4), then up
/// to [`SpinWait::YIELDS`] OS yields, watching the version counter (one shared load per round,
/// no lock); then the thread parks. Yielding early matters: when producer and consumer share
/// a core (a loaded 2-core machine), spinning only burns the time slice the other side needs,
/// and measured here a longer spin (127 hints) cost about 5 µs per hand-over at capacity 1.
/// At most a few dozen microseconds per wait. On a one-core machine it only yields.
pub(crate) struct SpinWait {
    step: u32,
    yields: u32,
}

impl SpinWait {
    const SPIN_STEPS: u32 = 3;
    const YIELDS: u32 = 64;

    fn new() -> Self {
        // Asked once per process: `available_parallelism` may read cgroup files.
        static ONE_CORE: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
        let one_core = *ONE_CORE
            .get_or_init(|| std::thread::available_parallelism().map_or(true, |n| n.get() == 1));
        SpinWait {
            step: if one_core { Self::SPIN_STEPS } else { 0 },
            yields: 0,
        }
    }

    /// Waits until `version` moves off `seen` (`true`) or the budget is spent (`false`).
    fn until_changed(&mut self, version: &AtomicUsize, seen: usize) -> bool {
        loop {
            if version.load(Ordering::Acquire) != seen {
                return true;
            }
            if self.step < Self::SPIN_STEPS {
                for _ in 0..(1u32 << self.step) {
                    std::hint::spin_loop();
                }
                self.step += 1;
            } else if self.yields < Self::YIELDS {
                std::thread::yield_now();
                self.yields += 1;
            } else {
                return false;
            }
        }
    }
}

/// The events waiters listen on.
#[derive(Clone, Copy)]
pub(crate) enum Waiters {
    /// Getters, woken when an item arrives or the queue closes.
    Getters,
    /// Putters and reservers, woken when a slot frees or the queue closes.
    Putters,
    /// Joiners, woken when the unfinished count reaches zero.
    Joiners,
}

/// A registered listener, counted so that notifiers can skip the event entirely while
/// nobody listens (event-listener's `notify` always takes its own lock and a fence).
pub(crate) struct Waiting {
    listener: Option<EventListener>,
    count: Arc<AtomicUsize>,
}

impl Drop for Waiting {
    fn drop(&mut self) {
        self.count.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Everything under the lock.
pub(crate) struct State<T> {
    pub(crate) buf: Buffer<T>,
    /// `usize::MAX` when unbounded.
    pub(crate) cap: usize,
    /// Slots promised to permits (and sinks) but not yet filled.
    pub(crate) reserved: usize,
    pub(crate) closed: bool,
    /// Items put and not yet marked done.
    pub(crate) unfinished: usize,
}

impl<T> State<T> {
    fn has_room(&self) -> bool {
        self.buf.len() + self.reserved < self.cap
    }

    /// Adds an item and counts it for `join`; `true` if the buffer was empty (spinning
    /// getters need to hear of it).
    fn insert(&mut self, item: T) -> bool {
        let was_empty = self.buf.len() == 0;
        self.buf.push(item);
        self.unfinished += 1;
        was_empty
    }

    /// Takes the next item; the flag is `true` if the queue was full (spinning putters need
    /// to hear of it).
    fn remove(&mut self) -> Option<(T, bool)> {
        let was_full = !self.has_room();
        self.buf.pop().map(|item| (item, was_full))
    }
}

/// What all handles of one queue share.
pub(crate) struct Shared<T> {
    state: Mutex<State<T>>,
    getters: Event,
    putters: Event,
    joiners: Event,
    /// How many listeners each event has (see [`Waiting`]).
    listening: [Arc<AtomicUsize>; 3],
    /// Bumped after every change that can unblock a waiter; spinning waiters watch it instead
    /// of taking the lock.
    version: AtomicUsize,
}

impl<T> Shared<T> {
    pub(crate) fn new(buf: Buffer<T>, cap: usize) -> Self {
        Shared {
            state: Mutex::new(State {
                buf,
                cap,
                reserved: 0,
                closed: false,
                unfinished: 0,
            }),
            getters: Event::new(),
            putters: Event::new(),
            joiners: Event::new(),
            listening: [
                Arc::new(AtomicUsize::new(0)),
                Arc::new(AtomicUsize::new(0)),
                Arc::new(AtomicUsize::new(0)),
            ],
            version: AtomicUsize::new(0),
        }
    }

    fn listening(&self, waiters: Waiters) -> &Arc<AtomicUsize> {
        &self.listening[waiters as usize]
    }

    /// Whether anyone listens on `waiters`' event. The count is raised before a waiter's
    /// re-check under the lock, and read after the notifier's change under the lock, so a
    /// notifier that reads zero made its change before that re-check, which then sees it.
    fn anyone_listening(&self, waiters: Waiters) -> bool {
        self.listening(waiters).load(Ordering::SeqCst) != 0
    }

    fn event(&self, waiters: Waiters) -> &Event {
        match waiters {
            Waiters::Getters => &self.getters,
            Waiters::Putters => &self.putters,
            Waiters::Joiners => &self.joiners,
        }
    }

    /// Reads the state under the lock.
    pub(crate) fn with_state<R>(&self, f: impl FnOnce(&State<T>) -> R) -> R {
        f(&lock(&self.state))
    }

    /// The one wait loop: attempt, listen, attempt again, wait, repeat.
    ///
    /// `Ready(Some(r))` when the attempt succeeded, `Ready(None)` when a blocking deadline
    /// passed (after one last attempt), `Pending` when the task's waker is registered.
    pub(crate) fn wait<R>(
        &self,
        waiters: Waiters,
        listener: &mut Option<Waiting>,
        strategy: &mut Strategy<'_, '_>,
        mut attempt: impl FnMut(&mut State<T>) -> Option<R>,
    ) -> Poll<Option<R>> {
        // Blocking waits first spin, then yield, for a bounded while (see `SpinWait`): on a
        // multi-core machine the other side often frees a slot or brings an item within
        // microseconds, far sooner than a park and wake-up round trip. Async waits never spin.
        // Loom models skip the spin: it only multiplies the interleavings without changing them.
        let mut may_spin = !cfg!(amphi_loom) && matches!(strategy, Strategy::Blocking(_));
        let mut spin: Option<SpinWait> = None;
        loop {
            // Read before the attempt, so a change right after a failed attempt is seen.
            let seen = self.version.load(Ordering::Acquire);
            // The guard is a temporary of this statement: the lock is released before the
            // old listener is dropped below (dropping one can wake another thread).
            let outcome = attempt(&mut lock(&self.state));
            if let Some(done) = outcome {
                *listener = None;
                return Poll::Ready(Some(done));
            }
            if may_spin {
                // Made only once a wait is really needed: the first call reads the core count.
                let budget = spin.get_or_insert_with(SpinWait::new);
                if budget.until_changed(&self.version, seen) {
                    continue; // something changed: attempt again, with what is left of the budget
                }
                may_spin = false;
            }
            let Some(mut current) = listener.take() else {
                // Count, listen, then loop to check again: a notification sent after the
                // check above reaches this listener.
                let count = Arc::clone(self.listening(waiters));
                count.fetch_add(1, Ordering::SeqCst);
                *listener = Some(Waiting {
                    listener: Some(self.event(waiters).listen()),
                    count,
                });
                continue;
            };
            let Some(mut inner) = current.listener.take() else {
                continue; // unreachable: a `Waiting` holds its listener until consumed here
            };
            match strategy {
                Strategy::Async(cx) => match Pin::new(&mut inner).poll(cx) {
                    Poll::Ready(()) => {}
                    Poll::Pending => {
                        current.listener = Some(inner);
                        *listener = Some(current);
                        return Poll::Pending;
                    }
                },
                Strategy::Blocking(None) => inner.wait(),
                Strategy::Blocking(Some(deadline)) => {
                    if inner.wait_deadline(*deadline).is_none() {
                        let last = attempt(&mut lock(&self.state));
                        return Poll::Ready(last);
                    }
                }
            }
        }
    }

    /// Records a change for spinning waiters.
    fn changed(&self) {
        self.version.fetch_add(1, Ordering::Release);
    }

    /// Wakes one more getter; `spinners` when the put made an empty queue non-empty (only
    /// then can a getter be spinning). Skipping the version bump otherwise keeps producer and
    /// consumer off a shared cache line on the busy path.
    pub(crate) fn wake_getter(&self, spinners: bool) {
        if spinners {
            self.changed();
        }
        if self.anyone_listening(Waiters::Getters) {
            self.getters.notify_additional(1);
        }
    }

    /// Wakes one more putter or reserver; `spinners` when a slot was freed in a full queue.
    pub(crate) fn wake_putter(&self, spinners: bool) {
        if spinners {
            self.changed();
        }
        if self.anyone_listening(Waiters::Putters) {
            self.putters.notify_additional(1);
        }
    }

    // ---- attempts, run under the lock ----

    /// Puts `item` if there is room. Leaves `item` in place if full.
    pub(crate) fn attempt_put(
        state: &mut State<T>,
        item: &mut Option<T>,
    ) -> Option<Result<bool, T>> {
        let value = item.take()?;
        if state.closed {
            return Some(Err(value));
        }
        if state.has_room() {
            Some(Ok(state.insert(value)))
        } else {
            *item = Some(value);
            None
        }
    }

    /// Takes an item, or reports closed-and-drained.
    pub(crate) fn attempt_get(state: &mut State<T>) -> Option<Result<(T, bool), ()>> {
        match state.remove() {
            Some(taken) => Some(Ok(taken)),
            None if state.closed => Some(Err(())),
            None => None,
        }
    }

    /// Reserves a slot, or reports closed.
    pub(crate) fn attempt_reserve(state: &mut State<T>) -> Option<Result<(), ()>> {
        if state.closed {
            Some(Err(()))
        } else if state.has_room() {
            state.reserved += 1;
            Some(Ok(()))
        } else {
            None
        }
    }

    // ---- complete operations ----

    pub(crate) fn try_put(&self, item: T) -> Result<(), TryPutError<T>> {
        let mut slot = Some(item);
        let result = Self::attempt_put(&mut lock(&self.state), &mut slot);
        match (result, slot) {
            (Some(Ok(was_empty)), _) => {
                self.wake_getter(was_empty);
                Ok(())
            }
            (Some(Err(item)), _) => Err(TryPutError::Closed(item)),
            (None, Some(item)) => Err(TryPutError::Full(item)),
            // `attempt_put` leaves the item in place whenever it returns `None`.
            (None, None) => unreachable!("a refused put keeps its item"),
        }
    }

    pub(crate) fn try_get(&self) -> Result<T, TryGetError> {
        let result = Self::attempt_get(&mut lock(&self.state));
        match result {
            Some(Ok((item, was_full))) => {
                self.wake_putter(was_full);
                Ok(item)
            }
            Some(Err(())) => Err(TryGetError::Closed),
            None => Err(TryGetError::Empty),
        }
    }

    /// Fills a reserved slot. Never fails: the slot was promised.
    pub(crate) fn put_reserved(&self, item: T) {
        let was_empty = {
            let mut state = lock(&self.state);
            state.reserved = state.reserved.saturating_sub(1);
            state.insert(item)
        };
        self.wake_getter(was_empty);
    }

    /// Gives a reserved slot back unused.
    pub(crate) fn release_reserved(&self) {
        {
            let mut state = lock(&self.state);
            state.reserved = state.reserved.saturating_sub(1);
        }
        self.wake_putter(true);
    }

    /// Puts `item`, evicting one item first if the queue is full.
    pub(crate) fn force_put(&self, item: T) -> Result<Option<T>, T> {
        let evicted = {
            let mut state = lock(&self.state);
            if state.closed {
                return Err(item);
            }
            let evicted = if state.has_room() {
                None
            } else {
                // The evicted item will never reach a consumer: count it as done for `join`
                // (saturating, as Python does: `task_done` may have run ahead of the gets).
                let evicted = state.buf.evict();
                if evicted.is_some() {
                    state.unfinished = state.unfinished.saturating_sub(1);
                }
                evicted
            };
            let all_done = evicted.is_some() && state.unfinished == 0;
            let was_empty = state.insert(item);
            (evicted, was_empty, all_done)
        };
        let (evicted, was_empty, all_done) = evicted;
        self.wake_getter(was_empty);
        if all_done {
            self.wake_joiners();
        }
        Ok(evicted)
    }

    /// Closes; `true` if this call did it. Wakes every getter, putter and reserver.
    pub(crate) fn close(&self) -> bool {
        let closed_now = {
            let mut state = lock(&self.state);
            !std::mem::replace(&mut state.closed, true)
        };
        if closed_now {
            self.changed();
            self.getters.notify(usize::MAX);
            self.putters.notify(usize::MAX);
        }
        closed_now
    }

    /// Closes and takes every buffered item, counting them as done.
    pub(crate) fn close_immediate(&self) -> Vec<T> {
        let (drained, all_done) = {
            let mut state = lock(&self.state);
            state.closed = true;
            let drained = state.buf.drain();
            // Saturating, as Python's `shutdown(immediate=True)`: `task_done` may have run
            // ahead of the gets.
            state.unfinished = state.unfinished.saturating_sub(drained.len());
            let all_done = state.unfinished == 0;
            (drained, all_done)
        };
        self.changed();
        self.getters.notify(usize::MAX);
        self.putters.notify(usize::MAX);
        if all_done {
            self.wake_joiners();
        }
        drained
    }

    pub(crate) fn task_done(&self) -> Result<(), TaskDoneError> {
        let now_zero = {
            let mut state = lock(&self.state);
            if state.unfinished == 0 {
                return Err(TaskDoneError);
            }
            state.unfinished -= 1;
            state.unfinished == 0
        };
        if now_zero {
            self.wake_joiners();
        }
        Ok(())
    }

    /// Wakes every joiner: the unfinished count, read under the lock, reached zero.
    fn wake_joiners(&self) {
        self.changed();
        if self.anyone_listening(Waiters::Joiners) {
            self.joiners.notify(usize::MAX);
        }
    }

    /// The join attempt: ready once nothing is unfinished.
    pub(crate) fn attempt_join(state: &mut State<T>) -> Option<()> {
        (state.unfinished == 0).then_some(())
    }
}
