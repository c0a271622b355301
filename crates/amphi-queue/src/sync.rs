//! Every synchronisation primitive the crate uses, from `std` and `event-listener`, or from
//! `loom` under `cfg(amphi_loom)` so that loom models see every lock, atomic and wait.

#[cfg(not(amphi_loom))]
pub(crate) use event_listener::{Event, EventListener, Listener};
#[cfg(not(amphi_loom))]
pub(crate) use std::sync::Arc;
#[cfg(not(amphi_loom))]
pub(crate) use std::sync::atomic::{AtomicUsize, Ordering};
#[cfg(not(amphi_loom))]
#[allow(unsafe_code)] // the one module with unsafe code; see its docs
mod spin_mutex;
#[cfg(not(amphi_loom))]
pub(crate) use spin_mutex::{SpinMutex as Mutex, SpinMutexGuard as MutexGuard};

#[cfg(amphi_loom)]
mod model_event;
#[cfg(amphi_loom)]
pub(crate) use loom::sync::atomic::{AtomicUsize, Ordering};
#[cfg(amphi_loom)]
pub(crate) use loom::sync::{Arc, Mutex, MutexGuard};
#[cfg(amphi_loom)]
pub(crate) use model_event::{Event, EventListener};

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
