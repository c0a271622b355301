//! What every handle shares, and the one wait loop every operation uses.
//!
//! A queue keeps its items in one of two stores: the lock-free [`Ring`] (FIFO queues) or the
//! [`Locked`] buffer (LIFO, priority, and FIFO queues too large to preallocate). Each
//! operation is written once as an *attempt* on the store; [`Shared::wait`] runs the "check,
//! listen, check again" loop around it, either polling the listener (async face) or parking
//! the thread on it (blocking face). Notifications are only ever `notify_additional(1)` per
//! item or slot, so a listener woken for an item it did not take passes the wake-up on when
//! dropped (event-listener's contract).

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Instant;

use crate::error::{TaskDoneError, TryGetError, TryPutError};
use crate::locked::Locked;
use crate::ring::Ring;
use crate::sync::BlockList;
#[cfg(not(amphi_loom))]
use crate::sync::Listener as _;
use crate::wakers::{WaitState, Waiters, Wakers};

/// How a wait waits: by polling (async face) or by parking the thread (blocking face).
pub(crate) enum Strategy<'a, 'b> {
    /// Register the task's waker and return `Pending`.
    Async(&'a mut Context<'b>),
    /// Park the thread, until the deadline if there is one.
    Blocking(Option<Instant>),
}

/// The bounded spin before a wait parks or registers a waker.
///
/// Two budgets, both scaled by the queue's capacity:
///
/// - A blocking wait pauses `first` `spin_loop` hints, then 2, then 4, then yields the thread
///   up to 64 times, and then parks. `first` is the capacity, at most 128 (64 at 64, 128 from
///   128 and when unbounded). At capacity 1 it spins rounds of 1, 2, 4 .. 64 hints instead
///   (127 in all), since the one slot comes back within a round trip.
/// - An async wait: below capacity 32 it spins rounds of 1, 2, 4 .. 32 hints (63 in all, a
///   few microseconds); from 32 one round of 128. It spins on each poll until it registers a
///   listener, and between those polls it yields to its executor and the thread to the OS
///   (see `Shared::ASYNC_YIELDS`).
///
/// After each round the wait looks at the store: the bounded ring's tail or head and one slot
/// (what an attempt reads first) and the version counter, the locked store's version counter
/// (one shared load, no lock), and tries again when they say it might succeed; the unbounded
/// list it just tries again. On a one-core machine neither budget spins; a blocking wait only
/// yields. A blocking wait with a deadline stops spinning and yielding at the deadline (on
/// busy cores a yield can give up a whole time slice, and 64 of them overshot a
/// `get_timeout(ZERO)` by up to 700 ms).
///
/// Why: a get is a little cheaper than a put, so a getter that retries at once keeps finding
/// the queue empty one item behind its putter, and every item then moves a cache line
/// between the cores. A pause that grows with the room lets the putter run a batch ahead, so
/// both sides work on lines of their own; with room for hundreds of items a park is cheap
/// against the batch it waits for, so long yielding only burns a core the other side needs.
/// The yields must outlast the other side's wake-up: once a blocking getter parks, its putter
/// waits for it to wake (on a VM, an idle virtual CPU is woken by the host: tens of
/// microseconds), and a putter that parks in the meantime makes the getter park next, so that
/// every item costs a park and a wake-up. The figures come from A/B runs of the blocking rows
/// interleaved in one process (each configuration and the peer in turn, tens to hundreds of
/// times, so that the machine's slow spells land on all of them; a temporary build switched
/// the budget between trials; `benches/examples/interleaved.rs` runs the same harness on the
/// current code beside crossbeam-channel), on two 2-core VMs:
///
/// - The benchmark machine now (Intel Xeon under KVM; one hint about 8.5 ns, one yield about
///   150 ns with nothing else runnable, a million `yield_now` calls timed in a loop), SPSC
///   medians in M items/s at 4, 32, 64 and 128 yields: capacity 1: 0.05, 1.69, 2.40, 2.39;
///   capacity 64: 1.36, 18.1, 62.8, 66.9; capacity 1024: 46.3, 49.4, 67.8, 68.9
///   (crossbeam-channel, which parks sooner: 0.08, 1.40, 36.2). The MPMC 2x2 rows moved
///   within their noise (capacity 1: 2.30 at 4 yields, 2.25 at 64, 1.93 at 256).
/// - The machine before (AMD EPYC; one hint about 12 ns, one yield about 0.7 us): against 64
///   yields and 63 hints at capacity 1, 4 yields and 127 hints moved the MPMC 2x2 rows' mean
///   by +26% at capacity 1 (3.34 -> 4.20 M items/s) and +7% at capacity 64, with the SPSC
///   rows unchanged within 2%; there 4 yields were kept, which on the machine above let
///   every SPSC item at capacity 1 wait for a wake-up.
pub(crate) struct SpinWait {
    step: u32,
    steps: u32,
    /// Hints in the first round.
    first: u32,
    yields: u32,
    /// A blocking wait's deadline: the budget ends once it has passed.
    deadline: Option<Instant>,
}

impl SpinWait {
    const BLOCKING_STEPS: u32 = 3;
    /// Rounds of a blocking wait at capacity 1: 1, 2, 4 .. 64 hints.
    const BLOCKING_STEPS_CAP1: u32 = 7;
    /// Yields of a blocking wait after its spin, before it parks.
    const BLOCKING_YIELDS: u32 = 64;
    const ASYNC_STEPS: u32 = 6;
    /// The longest single round of hints.
    const MAX_ROUND: usize = 128;
    /// From this capacity an async wait spins one long round.
    const ASYNC_LONG_FROM: usize = 32;

    fn one_core() -> bool {
        // Asked once per process: `available_parallelism` may read cgroup files.
        static ONE_CORE: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
        *ONE_CORE
            .get_or_init(|| std::thread::available_parallelism().map_or(true, |n| n.get() == 1))
    }

    /// The budget of a blocking wait on a queue of capacity `cap` (`usize::MAX`: unbounded).
    fn blocking(cap: usize, deadline: Option<Instant>) -> Self {
        SpinWait {
            step: 0,
            steps: if Self::one_core() {
                0
            } else if cap == 1 {
                // A slot of one is handed back within a round trip: spin longer.
                Self::BLOCKING_STEPS_CAP1
            } else {
                Self::BLOCKING_STEPS
            },
            first: cap.clamp(1, Self::MAX_ROUND) as u32,
            yields: Self::BLOCKING_YIELDS,
            deadline,
        }
    }

    /// The budget of an async wait on a queue of capacity `cap`.
    fn for_async(cap: usize) -> Self {
        let long = cap >= Self::ASYNC_LONG_FROM;
        SpinWait {
            step: 0,
            steps: match (Self::one_core(), long) {
                (true, _) => 0,
                (false, true) => 1,
                (false, false) => Self::ASYNC_STEPS,
            },
            first: if long { Self::MAX_ROUND as u32 } else { 1 },
            yields: 0,
            deadline: None,
        }
    }

    /// One round of the budget: spins or yields and returns `true`, or returns `false` once
    /// the budget is spent.
    fn pause(&mut self) -> bool {
        if self.deadline.is_some_and(|d| Instant::now() >= d) {
            return false;
        }
        if self.step < self.steps {
            let hints = if self.step == 0 {
                self.first
            } else {
                1u32 << self.step
            };
            for _ in 0..hints {
                std::hint::spin_loop();
            }
            self.step += 1;
        } else if self.yields > 0 {
            std::thread::yield_now();
            self.yields -= 1;
        } else {
            return false;
        }
        true
    }

    /// Pauses until `ready()` says so (`true`) or the budget is spent (`false`).
    fn until(&mut self, ready: impl Fn() -> bool) -> bool {
        loop {
            if !self.pause() {
                return false;
            }
            if ready() {
                return true;
            }
        }
    }

    /// Pauses until `version()` moves off `seen` (`true`) or the budget is spent (`false`).
    fn until_changed(&mut self, version: impl Fn() -> usize, seen: usize) -> bool {
        loop {
            if version() != seen {
                return true;
            }
            if !self.pause() {
                return false;
            }
        }
    }
}

/// What a put attempt did.
pub(crate) enum PutOutcome<T> {
    /// The item is in the queue.
    Done,
    /// No room; the item comes back.
    Full(T),
    /// The queue is closed; the item comes back.
    Closed(T),
}

/// What a get attempt found.
pub(crate) enum GetOutcome<T> {
    /// The next item.
    Item(T),
    /// Nothing now.
    Empty,
    /// Closed and drained.
    Closed,
}

/// Where a queue keeps its items.
#[allow(
    clippy::large_enum_variant,
    reason = "one per queue, inside its shared allocation; a box would add a pointer chase to every operation"
)]
pub(crate) enum Store<T> {
    /// Bounded FIFO queues: lock-free on the busy path.
    Ring(Ring<T>),
    /// Unbounded FIFO queues: lock-free on the busy path.
    List(Ring<T, BlockList<T>>),
    /// LIFO and priority queues, and FIFO queues too large to preallocate.
    Locked(Locked<T>),
}

/// Calls the same method on whichever store the queue has.
macro_rules! on_store {
    ($shared:expr, $store:ident => $call:expr) => {
        match &$shared.store {
            Store::Ring($store) => $call,
            Store::List($store) => $call,
            Store::Locked($store) => $call,
        }
    };
}

/// What all handles of one queue share.
pub(crate) struct Shared<T> {
    store: Store<T>,
    wakers: Wakers,
    /// `usize::MAX` when unbounded.
    cap: usize,
}

impl<T> Shared<T> {
    pub(crate) fn new(store: Store<T>, cap: usize) -> Self {
        Shared {
            store,
            wakers: Wakers::new(),
            cap,
        }
    }

    /// The one wait loop: attempt, listen, attempt again, wait, repeat.
    ///
    /// `Ready(Some(r))` when the attempt succeeded, `Ready(None)` when a blocking deadline
    /// passed (after one last attempt), `Pending` when the task's waker is registered.
    pub(crate) fn wait<R>(
        &self,
        waiters: Waiters,
        state: &mut WaitState,
        strategy: &mut Strategy<'_, '_>,
        mut attempt: impl FnMut() -> Option<R>,
    ) -> Poll<Option<R>> {
        let listener = &mut state.listener;
        // The busy path: a wait that has not started tries once before it sets up anything
        // (about 410 -> 375 instructions per async put+get under
        // `block_on`, `scripts/instructions`).
        let mut tried = false;
        if listener.is_none() {
            if let Some(done) = attempt() {
                return Poll::Ready(Some(done));
            }
            tried = true;
        }
        // Waits first spin for a bounded while (see `SpinWait`): on a multi-core machine the
        // other side often frees a slot or brings an item within microseconds, far sooner
        // than a park and wake-up round trip. An async wait spins on each poll until it
        // registers a listener (the first poll and the yields after it, see
        // `ASYNC_YIELDS`), never after a wake-up. Loom models skip the spin: it only
        // multiplies the interleavings without changing them.
        let is_async = matches!(strategy, Strategy::Async(_));
        let deadline = match strategy {
            Strategy::Blocking(deadline) => *deadline,
            Strategy::Async(_) => None,
        };
        let starts_the_wait = !is_async || listener.is_none();
        let mut may_spin = !cfg!(amphi_loom) && starts_the_wait;
        let mut spin: Option<SpinWait> = None;
        loop {
            // Read before the attempt, so a change right after a failed attempt is seen (after
            // the busy-path attempt, a change in between only shortens the spin: the attempt
            // after listening below still sees it).
            let seen = self.wakers.version();
            // A locked store releases its lock inside the attempt, before the old listener
            // is dropped below (dropping one can wake another thread).
            if !std::mem::take(&mut tried)
                && let Some(done) = attempt()
            {
                *listener = None;
                return Poll::Ready(Some(done));
            }
            if may_spin {
                // Made only once a wait is really needed: the first call reads the core count.
                let budget = spin.get_or_insert_with(|| {
                    if is_async {
                        SpinWait::for_async(self.cap)
                    } else {
                        SpinWait::blocking(self.cap, deadline)
                    }
                });
                let again = match &self.store {
                    // Between rounds the bounded ring is looked at as an attempt would
                    // look first (the tail or head and one slot), without the fence and
                    // the other side's index that a failed attempt reads; the version
                    // counter (moved by a close, never by the busy path) catches what
                    // that does not show.
                    Store::Ring(ring) => {
                        budget.until(|| ring.may_succeed(waiters) || self.wakers.version() != seen)
                    }
                    // The list is cheap to look at: just try again.
                    Store::List(_) => budget.pause(),
                    Store::Locked(_) => budget.until_changed(|| self.wakers.version(), seen),
                };
                if again {
                    continue;
                }
                may_spin = false;
            }
            let Some(mut current) = listener.take() else {
                // An async wait first yields to its executor a few times (see
                // `ASYNC_YIELDS`): it asks to be polled again and returns without a listener,
                // so it holds nothing that a cancellation could lose.
                if let Strategy::Async(cx) = strategy
                    && state.yields < Self::async_yields()
                {
                    state.yields += 1;
                    // Let a thread that shares this core run first: it may be the other side.
                    std::thread::yield_now();
                    cx.waker().wake_by_ref();
                    return Poll::Pending;
                }
                // Listen, then loop to check again: a notification sent after the check above
                // reaches this listener.
                *listener = Some(self.wakers.listen(waiters));
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
                        return Poll::Ready(attempt());
                    }
                }
            }
        }
    }

    /// How many polls an async wait ends by yielding to its executor (waking its own task
    /// and returning `Pending`, each after one attempt and the async spin) before it
    /// registers a listener.
    ///
    /// Why: once one side of a queue parks, the other side's short spin ends long before the
    /// parked side's wake-up (tens of microseconds here), so it parks too, and every item
    /// after that costs two executor wake-ups: at capacity 1, async on both sides moved about
    /// 35 K items a second. Staying awake through its executor for a while (32 polls, each
    /// with the async spin of one or two microseconds) lets a wait outlast the other side's
    /// wake-up, after which neither side parks: the same row moved 3.8 M items a second
    /// when this was added, and 5.0 M in the run of 48c2496 (`docs/benchmarks.md`). The
    /// price is that a wait that does not end soon burns those polls before it sleeps.
    /// Other tasks of the executor run in between, so the task only spins when the executor
    /// has nothing else to do. Zero on a one-core machine (the other side needs the core)
    /// and in loom models (polls would only multiply the interleavings).
    ///
    /// Each of those polls also yields the thread to the OS (`std::thread::yield_now`,
    /// about 0.7 us here when nothing else is runnable: one system call). Without it, when
    /// the other side's thread shares this core (threads spawned together often start on
    /// one core, and stay there for milliseconds), the polls keep that thread off the core
    /// for the whole budget, and then again after every item: one in ten runs of 20,000
    /// items through capacity 1024 (a thread putting, a task getting) took 3 to 12 ms
    /// instead of 0.35. With it, in alternating runs of the 24 rows with an async side,
    /// 1.34x on the geometric mean; SPSC capacity 1024 sync to async 2.5x and 5.7x,
    /// capacity 1 sync to async 0.93x.
    const ASYNC_YIELDS: u32 = 32;

    fn async_yields() -> u32 {
        if cfg!(amphi_loom) || SpinWait::one_core() {
            0
        } else {
            Self::ASYNC_YIELDS
        }
    }

    // ---- attempts, for `wait` ----

    /// Puts the item in `item` if there is room; leaves it in place if full.
    #[inline]
    pub(crate) fn attempt_put(&self, item: &mut Option<T>) -> Option<Result<(), T>> {
        let value = item.take()?;
        match on_store!(self, s => s.try_put(value, &self.wakers)) {
            PutOutcome::Done => Some(Ok(())),
            PutOutcome::Closed(value) => Some(Err(value)),
            PutOutcome::Full(value) => {
                *item = Some(value);
                None
            }
        }
    }

    /// Takes an item, or reports closed-and-drained.
    #[inline]
    pub(crate) fn attempt_get(&self) -> Option<Result<T, ()>> {
        match on_store!(self, s => s.try_get(&self.wakers)) {
            GetOutcome::Item(item) => Some(Ok(item)),
            GetOutcome::Closed => Some(Err(())),
            GetOutcome::Empty => None,
        }
    }

    /// Reserves a slot, or reports closed.
    pub(crate) fn attempt_reserve(&self) -> Option<Result<(), ()>> {
        on_store!(self, s => s.try_reserve())
    }

    /// The join attempt: ready once nothing is unfinished.
    pub(crate) fn attempt_join(&self) -> Option<()> {
        (self.unfinished() == 0).then_some(())
    }

    // ---- complete operations ----

    #[inline]
    pub(crate) fn try_put(&self, item: T) -> Result<(), TryPutError<T>> {
        match on_store!(self, s => s.try_put(item, &self.wakers)) {
            PutOutcome::Done => Ok(()),
            PutOutcome::Full(item) => Err(TryPutError::Full(item)),
            PutOutcome::Closed(item) => Err(TryPutError::Closed(item)),
        }
    }

    #[inline]
    pub(crate) fn try_get(&self) -> Result<T, TryGetError> {
        match on_store!(self, s => s.try_get(&self.wakers)) {
            GetOutcome::Item(item) => Ok(item),
            GetOutcome::Empty => Err(TryGetError::Empty),
            GetOutcome::Closed => Err(TryGetError::Closed),
        }
    }

    /// Fills a reserved slot. Never fails: the slot was promised.
    pub(crate) fn put_reserved(&self, item: T) {
        on_store!(self, s => s.put_reserved(item, &self.wakers));
    }

    /// Gives a reserved slot back unused.
    pub(crate) fn release_reserved(&self) {
        on_store!(self, s => s.release_reserved(&self.wakers));
    }

    /// Puts `item`, evicting one item first if the queue is full.
    pub(crate) fn force_put(&self, item: T) -> Result<Option<T>, T> {
        on_store!(self, s => s.force_put(item, &self.wakers))
    }

    /// Closes; `true` if this call did it. Wakes every getter, putter and reserver.
    pub(crate) fn close(&self) -> bool {
        on_store!(self, s => s.close(&self.wakers))
    }

    /// Closes and takes every buffered item, counting them as done.
    pub(crate) fn close_immediate(&self) -> Vec<T> {
        on_store!(self, s => s.close_immediate(&self.wakers))
    }

    pub(crate) fn task_done(&self) -> Result<(), TaskDoneError> {
        on_store!(self, s => s.task_done(&self.wakers))
    }

    pub(crate) fn unfinished(&self) -> usize {
        on_store!(self, s => s.unfinished())
    }

    pub(crate) fn len(&self) -> usize {
        on_store!(self, s => s.len())
    }

    pub(crate) fn is_full(&self) -> bool {
        on_store!(self, s => s.is_full())
    }

    pub(crate) fn is_closed(&self) -> bool {
        on_store!(self, s => s.is_closed())
    }

    /// `None` when unbounded.
    pub(crate) fn capacity(&self) -> Option<usize> {
        (self.cap != usize::MAX).then_some(self.cap)
    }
}
