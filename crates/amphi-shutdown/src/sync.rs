//! The synchronisation primitives of the token and guard core, from `std` or, under
//! `--cfg amphi_loom`, from `loom` so that the model in `loom_tests` can explore every
//! interleaving of guard counting, cancellation and child creation.
//!
//! Only the core (`token.rs`, `guard.rs`) goes through here; the registry of tracked work and
//! the signal thread use `std` directly and are not part of the model. `Arc` stays `std`'s
//! everywhere: the token tree needs `Weak`, which loom does not have, and reference counts
//! are not what the model checks.

#[cfg(not(amphi_loom))]
pub(crate) use std::sync::Mutex;
#[cfg(not(amphi_loom))]
pub(crate) use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

#[cfg(amphi_loom)]
pub(crate) use loom::sync::Mutex;
#[cfg(amphi_loom)]
pub(crate) use loom::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

/// Locks `mutex`, ignoring poisoning: every critical section in this crate leaves the state
/// consistent before anything in it can panic.
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> impl std::ops::DerefMut<Target = T> + '_ {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}
