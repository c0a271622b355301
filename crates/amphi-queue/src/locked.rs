//! The locked store: LIFO and priority queues (and FIFO queues too large to preallocate) keep
//! their items and counters under one short spin-then-yield lock.
//!
//! Each operation is one critical section of a few instructions (O(log n) for priority);
//! wake-ups are sent after the lock is released.

use crate::buffer::Buffer;
use crate::core::{GetOutcome, PutOutcome};
use crate::error::TaskDoneError;
use crate::sync::{Mutex, lock};
use crate::wakers::Wakers;

/// Everything under the lock.
struct State<T> {
    buf: Buffer<T>,
    /// `usize::MAX` when unbounded.
    cap: usize,
    /// Slots promised to permits (and sinks) but not yet filled.
    reserved: usize,
    closed: bool,
    /// Items put and not yet marked done.
    unfinished: usize,
}

impl<T> State<T> {
    fn has_room(&self) -> bool {
        self.buf.len() + self.reserved < self.cap
    }

    /// Adds an item and counts it for `join`; `true` if the buffer was empty (spinning
    /// getters need to hear of it).
    fn insert(&mut self, item: T) -> bool {
        let was_empty = self.buf.len() == 0;
        // Counted first: a priority buffer stores the item before it compares, so if a
        // user's `Ord` panics there the item is stored and must be counted.
        self.unfinished += 1;
        self.buf.push(item);
        was_empty
    }
}

/// A queue's items and counters under one lock.
pub(crate) struct Locked<T> {
    state: Mutex<State<T>>,
}

impl<T> Locked<T> {
    pub(crate) fn new(buf: Buffer<T>, cap: usize) -> Self {
        Locked {
            state: Mutex::new(State {
                buf,
                cap,
                reserved: 0,
                closed: false,
                unfinished: 0,
            }),
        }
    }

    /// Puts `item` if there is room.
    #[inline]
    pub(crate) fn try_put(&self, item: T, wakers: &Wakers) -> PutOutcome<T> {
        let outcome = {
            let mut state = lock(&self.state);
            if state.closed {
                return PutOutcome::Closed(item);
            }
            if !state.has_room() {
                return PutOutcome::Full(item);
            }
            state.insert(item)
        };
        wakers.wake_getter(outcome);
        PutOutcome::Done
    }

    /// Takes the next item in this flavour's order.
    #[inline]
    pub(crate) fn try_get(&self, wakers: &Wakers) -> GetOutcome<T> {
        let (item, was_full) = {
            let mut state = lock(&self.state);
            let was_full = !state.has_room();
            match state.buf.pop() {
                Some(item) => (item, was_full),
                // Outstanding permits still deliver after a close: wait for them.
                None if state.closed && state.reserved == 0 => return GetOutcome::Closed,
                None => return GetOutcome::Empty,
            }
        };
        wakers.wake_putter(was_full);
        GetOutcome::Item(item)
    }

    /// Reserves a slot: `Some(Ok)` reserved, `Some(Err)` closed, `None` full.
    pub(crate) fn try_reserve(&self) -> Option<Result<(), ()>> {
        let mut state = lock(&self.state);
        if state.closed {
            Some(Err(()))
        } else if state.has_room() {
            state.reserved += 1;
            Some(Ok(()))
        } else {
            None
        }
    }

    /// Fills a reserved slot, even if the queue closed meanwhile.
    pub(crate) fn put_reserved(&self, item: T, wakers: &Wakers) {
        let (was_empty, last_of_closed) = {
            let mut state = lock(&self.state);
            state.reserved = state.reserved.saturating_sub(1);
            (state.insert(item), state.closed && state.reserved == 0)
        };
        wakers.wake_getter(was_empty);
        if last_of_closed {
            wakers.wake_all_getters();
        }
    }

    /// Gives a reserved slot back unused.
    pub(crate) fn release_reserved(&self, wakers: &Wakers) {
        let last_of_closed = {
            let mut state = lock(&self.state);
            state.reserved = state.reserved.saturating_sub(1);
            state.closed && state.reserved == 0
        };
        wakers.wake_putter(true);
        if last_of_closed {
            // Getters waiting for this permit's item see the end now.
            wakers.wake_all_getters();
        }
    }

    /// Puts `item`, evicting one item first if the queue is full. When every slot is
    /// reserved there is nothing to evict, and `item` itself comes back as the evicted one.
    pub(crate) fn force_put(&self, item: T, wakers: &Wakers) -> Result<Option<T>, T> {
        let (was_empty, evicted, all_done) = {
            let mut state = lock(&self.state);
            if state.closed {
                return Err(item);
            }
            let evicted = if state.has_room() {
                None
            } else {
                // The evicted item will never reach a consumer: count it as done for `join`
                // (saturating, as Python does: `task_done` may have run ahead of the gets).
                match state.buf.evict() {
                    Some(evicted) => {
                        state.unfinished = state.unfinished.saturating_sub(1);
                        Some(evicted)
                    }
                    None => return Ok(Some(item)),
                }
            };
            let all_done = evicted.is_some() && state.unfinished == 0;
            (state.insert(item), evicted, all_done)
        };
        wakers.wake_getter(was_empty);
        if all_done {
            wakers.wake_joiners();
        }
        Ok(evicted)
    }

    /// Closes; `true` if this call did it.
    pub(crate) fn close(&self, wakers: &Wakers) -> bool {
        let closed_now = {
            let mut state = lock(&self.state);
            !std::mem::replace(&mut state.closed, true)
        };
        if closed_now {
            wakers.wake_all_on_close();
        }
        closed_now
    }

    /// Closes and takes every buffered item, counting them as done.
    ///
    /// The items leave the buffer and are counted done under the lock without comparing
    /// any; a priority queue's are ordered after it, so a user's `Ord` that panics there
    /// leaves the queue closed, empty and its counts exact (the panic reaches the caller
    /// with the items it held).
    pub(crate) fn close_immediate(&self, wakers: &Wakers) -> Vec<T> {
        let (taken, all_done) = {
            let mut state = lock(&self.state);
            state.closed = true;
            let taken = state.buf.take_all();
            // Saturating, as Python's `shutdown(immediate=True)`: `task_done` may have run
            // ahead of the gets.
            state.unfinished = state.unfinished.saturating_sub(taken.len());
            (taken, state.unfinished == 0)
        };
        wakers.wake_all_on_close();
        if all_done {
            wakers.wake_joiners();
        }
        taken.into_ordered()
    }

    pub(crate) fn task_done(&self, wakers: &Wakers) -> Result<(), TaskDoneError> {
        let now_zero = {
            let mut state = lock(&self.state);
            if state.unfinished == 0 {
                return Err(TaskDoneError);
            }
            state.unfinished -= 1;
            state.unfinished == 0
        };
        if now_zero {
            wakers.wake_joiners();
        }
        Ok(())
    }

    pub(crate) fn unfinished(&self) -> usize {
        lock(&self.state).unfinished
    }

    pub(crate) fn len(&self) -> usize {
        lock(&self.state).buf.len()
    }

    pub(crate) fn is_full(&self) -> bool {
        !lock(&self.state).has_room()
    }

    pub(crate) fn is_closed(&self) -> bool {
        lock(&self.state).closed
    }
}
