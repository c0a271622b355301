//! Every synchronisation primitive the crate uses, from `std`, `event-listener` and
//! `crossbeam-utils`, or from `loom` under `cfg(amphi_loom)` so that loom models see every
//! lock, atomic, fence, cell access, backoff and wait.

#[cfg(not(amphi_loom))]
pub(crate) use event_listener::{Event, EventListener, Listener};
#[cfg(not(amphi_loom))]
pub(crate) use std::sync::Arc;
#[cfg(not(amphi_loom))]
pub(crate) use std::sync::atomic::{AtomicPtr, AtomicUsize, Ordering, fence};
#[cfg(not(amphi_loom))]
#[allow(unsafe_code)] // the lock's cell access; see its docs and each `// SAFETY:` comment
mod spin_mutex;
#[cfg(not(amphi_loom))]
pub(crate) use crossbeam_utils::Backoff;
#[cfg(not(amphi_loom))]
pub(crate) use spin_mutex::{SpinMutex as Mutex, SpinMutexGuard as MutexGuard};

#[allow(unsafe_code)] // slot access; see the module docs and each `// SAFETY:` comment
mod array_ring;
pub(crate) use array_ring::ArrayRing;
#[allow(unsafe_code)] // slot and block access; see the module docs and each `// SAFETY:` comment
mod block_list;
pub(crate) use block_list::BlockList;

#[cfg(amphi_loom)]
mod model_event;
#[cfg(amphi_loom)]
pub(crate) use loom::cell::UnsafeCell;
#[cfg(amphi_loom)]
pub(crate) use loom::sync::atomic::{AtomicPtr, AtomicUsize, Ordering, fence};
#[cfg(amphi_loom)]
pub(crate) use loom::sync::{Arc, Mutex, MutexGuard};
#[cfg(amphi_loom)]
pub(crate) use model_event::{Event, EventListener};

/// `std`'s `UnsafeCell` with loom's closure-based access, so that one ring serves both.
#[cfg(not(amphi_loom))]
pub(crate) struct UnsafeCell<T>(std::cell::UnsafeCell<T>);

#[cfg(not(amphi_loom))]
impl<T> UnsafeCell<T> {
    pub(crate) const fn new(value: T) -> Self {
        UnsafeCell(std::cell::UnsafeCell::new(value))
    }

    /// Reads through a shared pointer to the value.
    #[inline]
    pub(crate) fn with<R>(&self, f: impl FnOnce(*const T) -> R) -> R {
        f(self.0.get())
    }

    /// Writes through a mutable pointer to the value.
    #[inline]
    pub(crate) fn with_mut<R>(&self, f: impl FnOnce(*mut T) -> R) -> R {
        f(self.0.get())
    }
}

/// Loom's stand-in for crossbeam's `Backoff`: every round yields to the model's scheduler,
/// so that spin loops terminate in the model.
#[cfg(amphi_loom)]
pub(crate) struct Backoff;

#[cfg(amphi_loom)]
impl Backoff {
    pub(crate) fn new() -> Self {
        Backoff
    }

    pub(crate) fn spin(&self) {
        loom::thread::yield_now();
    }

    pub(crate) fn snooze(&self) {
        loom::thread::yield_now();
    }
}

/// A lock-free FIFO with the two tail flags the queue's protocol needs: the bounded
/// [`ArrayRing`] or the unbounded [`BlockList`]. [`Ring`](crate::ring::Ring) builds
/// reservations, eviction, close and the unfinished count once on top of either.
pub(crate) trait Fifo<T> {
    /// Appends `value`; `locked` pushes (made under the queue's lock) pass the slow flag.
    fn push(&self, value: T, locked: bool) -> Result<(), Refused<T>>;
    /// Takes the oldest item.
    fn pop(&self) -> Result<T, Empty>;
    /// Pushes ever claimed, modulo [`Fifo::push_modulus`].
    fn pushes(&self) -> usize;
    /// The modulus of [`Fifo::pushes`].
    fn push_modulus(&self) -> usize;
    /// Items claimed by pushes and not yet by pops.
    fn len(&self) -> usize;
    /// Turns slow mode on or off: plain pushes are refused with [`Refused::Slow`] while on.
    fn set_slow(&self, on: bool);
    /// Refuses every push from now on.
    fn close(&self);
    /// A hint for a waiting putter: whether a push might succeed now (`true` when unsure).
    /// It reads only what the push itself would read first, so that a waiter polling it
    /// does not pull the other side's cache lines to its core.
    fn may_push(&self) -> bool {
        true
    }
    /// The same hint for a waiting getter.
    fn may_pop(&self) -> bool {
        true
    }
}

/// Implements [`Fifo`] by the type's inherent methods of the same names (the unit tests
/// call those directly).
macro_rules! fifo_by_inherent_methods {
    ($name:ident) => {
        impl<T> Fifo<T> for $name<T> {
            #[inline]
            fn push(&self, value: T, locked: bool) -> Result<(), Refused<T>> {
                $name::push(self, value, locked)
            }
            #[inline]
            fn pop(&self) -> Result<T, Empty> {
                $name::pop(self)
            }
            fn pushes(&self) -> usize {
                $name::pushes(self)
            }
            fn push_modulus(&self) -> usize {
                $name::push_modulus(self)
            }
            fn len(&self) -> usize {
                $name::len(self)
            }
            fn set_slow(&self, on: bool) {
                $name::set_slow(self, on)
            }
            fn close(&self) {
                $name::close(self)
            }
        }
    };
}
fifo_by_inherent_methods!(BlockList);

impl<T> Fifo<T> for ArrayRing<T> {
    #[inline]
    fn push(&self, value: T, locked: bool) -> Result<(), Refused<T>> {
        ArrayRing::push(self, value, locked)
    }
    #[inline]
    fn pop(&self) -> Result<T, Empty> {
        ArrayRing::pop(self)
    }
    fn pushes(&self) -> usize {
        ArrayRing::pushes(self)
    }
    fn push_modulus(&self) -> usize {
        ArrayRing::push_modulus(self)
    }
    fn len(&self) -> usize {
        ArrayRing::len(self)
    }
    fn set_slow(&self, on: bool) {
        ArrayRing::set_slow(self, on)
    }
    fn close(&self) {
        ArrayRing::close(self)
    }
    #[inline]
    fn may_push(&self) -> bool {
        ArrayRing::may_push(self)
    }
    #[inline]
    fn may_pop(&self) -> bool {
        ArrayRing::may_pop(self)
    }
}

/// Why a ring refused a push; the item is handed back.
pub(crate) enum Refused<T> {
    /// Every slot is taken.
    Full(T),
    /// The ring is closed.
    Closed(T),
    /// Plain pushes are off for now: take the queue's lock.
    Slow(T),
}

/// Why a ring had no item to pop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Empty {
    /// Nothing now; more may come.
    Open,
    /// Closed and drained: nothing will come.
    Closed,
}

/// Locks `mutex`. The spin lock does not poison; under loom, poisoning is ignored the same
/// way: the queue's invariants hold between statements (a panicking `Ord` can at worst leave
/// the heap order off, never memory unsafe), so the state stays usable after a panic.
#[cfg(not(amphi_loom))]
#[inline]
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock()
}

/// Locks `mutex`, ignoring poisoning (see above).
#[cfg(amphi_loom)]
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// The store-load ordering that a sequentially consistent read-modify-write followed by a
/// sequentially consistent load already gives under the Rust (C++20) memory model: nothing to
/// do in a real build. Loom treats `SeqCst` accesses as `AcqRel` (its README, loom#180) and
/// would report false deadlocks, but it models `fence(SeqCst)`, so under loom this is one.
#[inline(always)]
pub(crate) fn seqcst_rmw_then_load() {
    #[cfg(amphi_loom)]
    fence(Ordering::SeqCst);
}
