//! The lock-free store of FIFO queues: items in a lock-free [`Fifo`] (the bounded Vyukov
//! ring [`ArrayRing`], or the unbounded [`BlockList`]), a count of items marked done, and a
//! small lock taken only by reservations, forced puts that evict, puts that meet either, and
//! close. Everything here is written once for both.
//!
//! A put is one claim on the tail; a get is one claim on the head. Producer and consumer
//! never take turns on one lock, which is what capped the locked store at a few million
//! items a second between two cores.
//!
//! # The unfinished count
//!
//! `join` needs the number of items put and not yet marked done. Counting puts in an atomic
//! of our own cost a second read-modify-write per put, and measured here it cut throughput
//! five-fold (each one waits for the previous put's slot write to leave the core). The tail
//! already counts every claimed position, so the queue counts only what is *done*
//! (`task_done`, evictions, `close_immediate`) and computes
//! `unfinished = pushes - done` (modulo the ring's push modulus, at least 2^61 on 64-bit
//! targets). A put is counted from its claim, before any getter can take it.
//!
//! # Reservations and evictions
//!
//! A permit promises a slot without filling it, which a ring cannot express. So while any
//! permit is outstanding (or a forced put is evicting) the ring is in *slow* mode: a flag in
//! its tail word refuses plain pushes, atomically with their claims, and they go through the
//! lock, where a put goes in only if `len + reserved < cap`. Setting the flag and then
//! counting `len` sees every push that got in before it. While `reserved > 0`,
//! `len + reserved <= cap` holds, so a permit's push always finds room.
//!
//! # Close
//!
//! `close` sets the closed flag of the ring, which refuses every later push atomically with
//! the claims. With permits outstanding it waits for the last one to be used or dropped (puts
//! are in slow mode meanwhile and the lock checks the queue's flag), so a permit's item is
//! always delivered, before getters see the end.

use std::marker::PhantomData;

use crossbeam_utils::CachePadded;

use crate::core::{GetOutcome, PutOutcome};
use crate::error::TaskDoneError;
use crate::sync::{
    ArrayRing, AtomicUsize, BlockList, Empty, Fifo, Mutex, Ordering, Refused, lock,
    seqcst_rmw_then_load,
};
use crate::wakers::Wakers;

/// What the lock guards.
struct Slow {
    /// Slots promised to permits.
    reserved: usize,
    /// Reasons the ring is in slow mode: outstanding permits plus evicting forced puts.
    users: usize,
    /// The queue is closed (the ring closes when `users` reaches zero).
    closed: bool,
}

/// A FIFO queue's items and counters, without a lock on the busy path.
pub(crate) struct Ring<T, F = ArrayRing<T>> {
    items: F,
    /// `usize::MAX` when unbounded.
    cap: usize,
    /// Items marked done (modulo the ring's push modulus); never ahead of its pushes.
    done: CachePadded<AtomicUsize>,
    slow: Mutex<Slow>,
    /// The items are `T`s; `F` alone decides the auto traits.
    _items: PhantomData<fn(T) -> T>,
}

impl<T> Ring<T> {
    /// A bounded queue of `cap` slots, allocated now.
    pub(crate) fn new(cap: usize) -> Self {
        Ring::with_items(ArrayRing::new(cap), cap)
    }
}

impl<T> Ring<T, BlockList<T>> {
    /// An unbounded queue on the block list.
    pub(crate) fn unbounded() -> Self {
        Ring::with_items(BlockList::new(), usize::MAX)
    }

    /// An unbounded queue whose positions wrap around after `laps` blocks, to test the wrap.
    #[cfg(all(test, not(amphi_loom)))]
    pub(crate) fn unbounded_near_wrap(laps: usize) -> Self {
        let items = BlockList::near_wrap(laps);
        let done = CachePadded::new(AtomicUsize::new(items.pushes()));
        Ring {
            done,
            ..Ring::with_items(items, usize::MAX)
        }
    }
}

impl<T> Ring<T> {
    /// A ring whose positions wrap around after `laps` laps, to test the wrap.
    #[cfg(all(test, not(amphi_loom)))]
    pub(crate) fn near_wrap(cap: usize, laps: usize) -> Self {
        let items = ArrayRing::near_wrap(cap, laps);
        let done = CachePadded::new(AtomicUsize::new(items.pushes()));
        Ring {
            done,
            ..Ring::with_items(items, cap)
        }
    }
}

impl<T, F: Fifo<T>> Ring<T, F> {
    fn with_items(items: F, cap: usize) -> Self {
        Ring {
            items,
            cap,
            done: CachePadded::new(AtomicUsize::new(0)),
            slow: Mutex::new(Slow {
                reserved: 0,
                users: 0,
                closed: false,
            }),
            _items: PhantomData,
        }
    }

    /// Puts `item` if there is room.
    #[inline]
    pub(crate) fn try_put(&self, item: T, wakers: &Wakers) -> PutOutcome<T> {
        let outcome = match self.items.push(item, false) {
            Ok(()) => PutOutcome::Done,
            Err(refused) => match refused {
                Refused::Full(item) => PutOutcome::Full(item),
                Refused::Closed(item) => PutOutcome::Closed(item),
                Refused::Slow(item) => self.put_locked(item),
            },
        };
        if let PutOutcome::Done = outcome {
            wake_getter(wakers);
        }
        outcome
    }

    /// A put in slow mode, under the lock.
    #[cold]
    fn put_locked(&self, item: T) -> PutOutcome<T> {
        let slow = lock(&self.slow);
        if slow.closed {
            return PutOutcome::Closed(item);
        }
        // Plain pushes are off; every other push holds this lock or fills a reserved slot, so
        // `len + reserved` does not grow behind our back. (If slow mode ended meanwhile,
        // `reserved` is 0 and the ring's own capacity check below is exact.)
        if self.items.len() + slow.reserved >= self.cap {
            return PutOutcome::Full(item);
        }
        self.push_locked(item)
    }

    /// Pushes past the slow flag.
    fn push_locked(&self, item: T) -> PutOutcome<T> {
        match self.items.push(item, true) {
            Ok(()) => PutOutcome::Done,
            Err(refused) => match refused {
                Refused::Full(item) | Refused::Slow(item) => PutOutcome::Full(item),
                Refused::Closed(item) => PutOutcome::Closed(item),
            },
        }
    }

    /// Takes the oldest item.
    #[inline]
    pub(crate) fn try_get(&self, wakers: &Wakers) -> GetOutcome<T> {
        match self.items.pop() {
            Ok(item) => {
                wake_putter(wakers);
                GetOutcome::Item(item)
            }
            Err(Empty::Open) => GetOutcome::Empty,
            Err(Empty::Closed) => GetOutcome::Closed,
        }
    }

    /// Enters slow mode for one more user (under the lock).
    fn enter_slow(&self, slow: &mut Slow) {
        if slow.users == 0 {
            self.items.set_slow(true);
        }
        slow.users += 1;
    }

    /// Leaves slow mode for one user (under the lock); the last one out closes the ring if
    /// the queue was closed meanwhile. `true` if the ring closed now.
    fn leave_slow(&self, slow: &mut Slow) -> bool {
        slow.users = slow.users.saturating_sub(1);
        if slow.users != 0 {
            return false;
        }
        // Closed before plain pushes come back, so none slips in between.
        if slow.closed {
            self.items.close();
        }
        self.items.set_slow(false);
        slow.closed
    }

    /// Reserves a slot: `Some(Ok)` reserved, `Some(Err)` closed, `None` full.
    pub(crate) fn try_reserve(&self) -> Option<Result<(), ()>> {
        let mut slow = lock(&self.slow);
        if slow.closed {
            return Some(Err(()));
        }
        // Slow mode first: from here on `len` counts every push that got in.
        self.enter_slow(&mut slow);
        if self.items.len() + slow.reserved < self.cap {
            slow.reserved += 1;
            Some(Ok(()))
        } else {
            // Cannot close the ring: the queue is open.
            self.leave_slow(&mut slow);
            None
        }
    }

    /// Ends one reservation. `true` if the ring closed now.
    fn end_reservation(&self) -> bool {
        let mut slow = lock(&self.slow);
        slow.reserved = slow.reserved.saturating_sub(1);
        self.leave_slow(&mut slow)
    }

    /// Fills a reserved slot; never fails (see the module docs).
    pub(crate) fn put_reserved(&self, item: T, wakers: &Wakers) {
        // Pushed and un-reserved in one critical section: a slot counted both in `len` and
        // in `reserved` would make puts, reservations and forced puts under the lock see
        // the queue fuller than it is.
        let closed_now = {
            let mut slow = lock(&self.slow);
            if let PutOutcome::Full(item) | PutOutcome::Closed(item) = self.push_locked(item) {
                debug_assert!(false, "a reserved slot was taken");
                drop(item);
            }
            slow.reserved = slow.reserved.saturating_sub(1);
            self.leave_slow(&mut slow)
        };
        wake_getter(wakers);
        if closed_now {
            wakers.wake_all_getters();
        }
    }

    /// Gives a reserved slot back unused.
    pub(crate) fn release_reserved(&self, wakers: &Wakers) {
        let closed_now = self.end_reservation();
        wake_putter(wakers);
        if closed_now {
            wakers.wake_all_getters();
        }
    }

    /// Puts `item`, evicting the oldest item if the queue is full. When every slot is
    /// reserved there is nothing to evict, and `item` itself comes back as the evicted one.
    pub(crate) fn force_put(&self, item: T, wakers: &Wakers) -> Result<Option<T>, T> {
        let result = match self.try_put(item, wakers) {
            PutOutcome::Done => return Ok(None),
            PutOutcome::Closed(item) => return Err(item),
            PutOutcome::Full(item) => self.evict_and_put(item, wakers),
        };
        if result.is_ok() {
            wake_getter(wakers);
        }
        result
    }

    /// The forced put of a full queue, in slow mode so that no plain put takes the slot that
    /// the eviction frees.
    #[cold]
    fn evict_and_put(&self, item: T, wakers: &Wakers) -> Result<Option<T>, T> {
        let mut slow = lock(&self.slow);
        if slow.closed {
            return Err(item);
        }
        self.enter_slow(&mut slow);
        let result = loop {
            if self.items.len() + slow.reserved < self.cap {
                // A getter made room meanwhile.
                break match self.push_locked(item) {
                    PutOutcome::Done => Ok(None),
                    PutOutcome::Full(item) | PutOutcome::Closed(item) => Ok(Some(item)),
                };
            }
            match self.items.pop() {
                Ok(evicted) => {
                    // The evicted item never reaches a consumer: it counts as done (if
                    // anything is unfinished, as before), but only after the new item is
                    // counted, so that the unfinished count never dips to zero meanwhile.
                    let owed = self.unfinished() != 0;
                    let pushed = self.push_locked(item);
                    if owed {
                        self.finish(1, wakers);
                    }
                    break match pushed {
                        PutOutcome::Done => Ok(Some(evicted)),
                        // Unreachable: the eviction made room that only we can fill.
                        PutOutcome::Full(item) | PutOutcome::Closed(item) => {
                            drop(evicted);
                            Ok(Some(item))
                        }
                    };
                }
                // Every slot is promised to a permit: nothing to evict.
                Err(_) if slow.reserved >= self.cap => break Ok(Some(item)),
                // A getter took the last item meanwhile: look again.
                Err(_) => {}
            }
        };
        // The queue is open (checked above, under this lock): this does not close the ring.
        self.leave_slow(&mut slow);
        result
    }

    /// Closes; `true` if this call did it.
    pub(crate) fn close(&self, wakers: &Wakers) -> bool {
        let closed_now = {
            let mut slow = lock(&self.slow);
            let closed_now = !std::mem::replace(&mut slow.closed, true);
            if slow.users == 0 {
                self.items.close();
            }
            closed_now
        };
        if closed_now {
            wakers.wake_all_on_close();
        }
        closed_now
    }

    /// Closes and takes every buffered item, counting them as done.
    pub(crate) fn close_immediate(&self, wakers: &Wakers) -> Vec<T> {
        self.close(wakers);
        let mut drained = Vec::new();
        while let Ok(item) = self.items.pop() {
            drained.push(item);
        }
        if !drained.is_empty() {
            self.finish(drained.len(), wakers);
        }
        wakers.wake_all_on_close();
        drained
    }

    /// The unfinished count from a `done` value read before the pushes.
    fn unfinished_from(&self, done: usize, pushes: usize) -> usize {
        let modulus = self.items.push_modulus();
        (pushes + modulus - done) % modulus
    }

    /// Counts up to `n` items as done (saturating, as Python does: `task_done` may have run
    /// ahead of the gets); `Err` if nothing was unfinished and `strict`. Wakes joiners if the
    /// count reached zero.
    fn mark_done(&self, n: usize, strict: bool, wakers: &Wakers) -> Result<(), TaskDoneError> {
        let modulus = self.items.push_modulus();
        // `done` first: every done item was pushed before it was marked, so a later read of
        // the pushes is never behind it.
        let mut done = self.done.load(Ordering::SeqCst);
        loop {
            let unfinished = self.unfinished_from(done, self.items.pushes());
            if unfinished == 0 && strict {
                return Err(TaskDoneError);
            }
            let marked = unfinished.min(n);
            if marked == 0 {
                return Ok(());
            }
            match self.done.compare_exchange_weak(
                done,
                (done + marked) % modulus,
                Ordering::SeqCst,
                Ordering::SeqCst,
            ) {
                Ok(_) => {
                    if marked == unfinished {
                        wakers.wake_joiners();
                    }
                    return Ok(());
                }
                Err(actual) => done = actual,
            }
        }
    }

    /// Counts `n` items as done, saturating.
    fn finish(&self, n: usize, wakers: &Wakers) {
        // Not strict: cannot fail.
        let _ = self.mark_done(n, false, wakers);
    }

    pub(crate) fn task_done(&self, wakers: &Wakers) -> Result<(), TaskDoneError> {
        self.mark_done(1, true, wakers)
    }

    pub(crate) fn unfinished(&self) -> usize {
        let done = self.done.load(Ordering::SeqCst);
        self.unfinished_from(done, self.items.pushes())
    }

    pub(crate) fn len(&self) -> usize {
        self.items.len()
    }

    /// A hint for a waiter on the `waiters` side: whether its attempt might succeed now
    /// ([`Fifo::may_push`], [`Fifo::may_pop`]; `true` for joiners).
    #[inline]
    pub(crate) fn may_succeed(&self, waiters: crate::wakers::Waiters) -> bool {
        match waiters {
            crate::wakers::Waiters::Putters => self.items.may_push(),
            crate::wakers::Waiters::Getters => self.items.may_pop(),
            crate::wakers::Waiters::Joiners => true,
        }
    }

    pub(crate) fn is_full(&self) -> bool {
        // The lock is taken only by slow paths; `len` is read under it so that it pairs with
        // the reservations it is compared with.
        let slow = lock(&self.slow);
        self.items.len() + slow.reserved >= self.cap
    }

    pub(crate) fn is_closed(&self) -> bool {
        lock(&self.slow).closed
    }
}

/// Wakes a getter after a push. The push claimed its position with a sequentially consistent
/// compare-and-swap on the tail, and the listener count is read with a sequentially
/// consistent load after it; a waiter raises the count, fences, and then looks at the tail
/// (`Wakers::listen`, and the fence in `ArrayRing::pop` before it reads the tail). In the
/// single order of those operations, either the waiter's fence comes first and this load
/// sees its count, or the claim comes first and the waiter's look at the tail sees it.
#[inline]
fn wake_getter(wakers: &Wakers) {
    seqcst_rmw_then_load();
    wakers.wake_getter(false);
}

/// Wakes a putter after a get: the same handshake as [`wake_getter`], through the head's
/// claim and the fence in `ArrayRing::push` before it reads the head.
#[inline]
fn wake_putter(wakers: &Wakers) {
    seqcst_rmw_then_load();
    wakers.wake_putter(false);
}
