//! A small test-and-test-and-set lock for the queue's state.
//!
//! The critical sections it guards are a handful of instructions (a ring-buffer push or pop
//! and a few counters). Under contention `std::sync::Mutex` spins briefly and then sleeps
//! in the kernel, and waking it costs a system call on each side: on a capacity-1 queue,
//! where producer and consumer take the lock in strict alternation, that round trip
//! dominated. This lock spins a little and then yields the thread instead of sleeping in
//! the kernel, which is what flume and kanal do for the same reason. The yielding is
//! bounded too: a holder that has not let go after 64 spins and 64 yields in a row (tens of
//! microseconds) was descheduled mid-section, and the waiter then naps between looks
//! instead of taking turns on a core the holder may need. The count starts again whenever
//! the lock is seen free, so waiters that only keep losing the race for it never nap. It
//! does not poison: a panic while it is held (a user `Ord` in a priority queue) unlocks it
//! during unwinding, and the state stays memory safe.

use std::cell::UnsafeCell;
use std::ops::{Deref, DerefMut};
use std::sync::atomic::{AtomicBool, Ordering};

/// A spin-then-yield mutual exclusion lock.
pub(crate) struct SpinMutex<T> {
    locked: AtomicBool,
    value: UnsafeCell<T>,
}

// SAFETY: the lock hands out access to `value` to one thread at a time, so sharing the lock
// is as safe as sending the value, exactly as for `std::sync::Mutex`.
unsafe impl<T: Send> Sync for SpinMutex<T> {}
// SAFETY: the lock owns its value; moving it moves the value.
unsafe impl<T: Send> Send for SpinMutex<T> {}

impl<T> SpinMutex<T> {
    pub(crate) const fn new(value: T) -> Self {
        SpinMutex {
            locked: AtomicBool::new(false),
            value: UnsafeCell::new(value),
        }
    }

    /// Takes the lock: one compare-and-swap when free; otherwise spins on a plain load (no
    /// cache-line ping-pong) for a few dozen rounds, then yields the thread between rounds,
    /// and after [`Self::YIELDS`] yields sleeps [`Self::NAP`] between rounds.
    #[inline]
    pub(crate) fn lock(&self) -> SpinMutexGuard<'_, T> {
        if self
            .locked
            .compare_exchange_weak(false, true, Ordering::Acquire, Ordering::Relaxed)
            .is_err()
        {
            self.lock_contended();
        }
        SpinMutexGuard { mutex: self }
    }

    /// Spin rounds before the first yield.
    const SPINS: u32 = 64;
    /// Yields before the waiter naps instead.
    const YIELDS: u32 = 64;
    /// The nap between looks once the holder is taking long (the kernel rounds it up to its
    /// timer slack, about 50 us by default).
    const NAP: std::time::Duration = std::time::Duration::from_micros(10);

    #[cold]
    fn lock_contended(&self) {
        loop {
            // Rounds of this one hold: a lock seen free and lost to another thread starts
            // the count again.
            let mut rounds = 0u32;
            while self.locked.load(Ordering::Relaxed) {
                if rounds < Self::SPINS {
                    std::hint::spin_loop();
                } else if rounds < Self::SPINS + Self::YIELDS {
                    std::thread::yield_now();
                } else {
                    std::thread::sleep(Self::NAP);
                }
                rounds = rounds.saturating_add(1);
            }
            if self
                .locked
                .compare_exchange_weak(false, true, Ordering::Acquire, Ordering::Relaxed)
                .is_ok()
            {
                return;
            }
        }
    }
}

/// Access to the value while the lock is held; unlocks on drop.
pub(crate) struct SpinMutexGuard<'a, T> {
    mutex: &'a SpinMutex<T>,
}

impl<T> Deref for SpinMutexGuard<'_, T> {
    type Target = T;

    fn deref(&self) -> &T {
        // SAFETY: this guard exists only while `locked` is held by us (set by `lock`, cleared
        // by our `drop`), so no other reference to the value exists.
        unsafe { &*self.mutex.value.get() }
    }
}

impl<T> DerefMut for SpinMutexGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: as in `deref`; `&mut self` makes this the only access through the guard.
        unsafe { &mut *self.mutex.value.get() }
    }
}

impl<T> Drop for SpinMutexGuard<'_, T> {
    fn drop(&mut self) {
        self.mutex.locked.store(false, Ordering::Release);
    }
}

#[cfg(test)]
mod tests {
    use super::SpinMutex;

    #[test]
    fn excludes_across_threads() {
        let n = if cfg!(miri) { 50 } else { 20_000 };
        let lock = std::sync::Arc::new(SpinMutex::new(0u64));
        let threads: Vec<_> = (0..3)
            .map(|_| {
                let lock = std::sync::Arc::clone(&lock);
                std::thread::spawn(move || {
                    for _ in 0..n {
                        *lock.lock() += 1;
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().expect("no panic");
        }
        assert_eq!(*lock.lock(), 3 * n);
    }

    #[test]
    fn a_waiter_outlasts_a_holder_that_takes_long() {
        // Long enough for the waiter to spin, yield and then nap.
        let hold = std::time::Duration::from_millis(if cfg!(miri) { 1 } else { 20 });
        let lock = std::sync::Arc::new(SpinMutex::new(0u32));
        let guard = lock.lock();
        let waiter = {
            let lock = std::sync::Arc::clone(&lock);
            std::thread::spawn(move || {
                *lock.lock() += 1;
            })
        };
        std::thread::sleep(hold);
        drop(guard);
        waiter.join().expect("no panic");
        assert_eq!(*lock.lock(), 1);
    }
}
