//! A bounded lock-free MPMC ring: Dmitry Vyukov's array queue, as in crossbeam's
//! `ArrayQueue`, with two flag bits in the tail that the queue's protocol needs.
//!
//! Each slot carries a stamp. For a position `pos` (lap and index), the slot is free when its
//! stamp is `pos` and holds the item of `pos` when it is `pos + 1`. A put claims `pos` by a
//! compare-and-swap on the tail, writes the item, then publishes it by storing `pos + 1`
//! (release); a get claims by a compare-and-swap on the head, reads (after an acquire load of
//! the stamp) and frees the slot for the next lap by storing `pos + one_lap`. Producers and
//! consumers each write their own index and the slot they own, never a shared lock.
//!
//! The flags live between the index bits and the lap bits of the tail (the head and stamps
//! never carry them), so that setting one is atomic with respect to every claim:
//!
//! - `CLOSED`: every later push is refused.
//! - `SLOW`: plain pushes are refused with [`Refused::Slow`] and go through the queue's lock
//!   instead (reservations and evictions are in progress); pushes made under that lock pass.

use crossbeam_utils::CachePadded;

use super::{AtomicUsize, Backoff, Empty, Ordering, Refused, UnsafeCell, fence};
use std::mem::MaybeUninit;

struct Slot<T> {
    stamp: AtomicUsize,
    value: UnsafeCell<MaybeUninit<T>>,
}

/// The ring. `cap` slots, allocated up front.
pub(crate) struct ArrayRing<T> {
    head: CachePadded<AtomicUsize>,
    tail: CachePadded<AtomicUsize>,
    slots: Box<[Slot<T>]>,
    cap: usize,
    /// The smallest power of two above `cap`: index bits are below it.
    closed_bit: usize,
    /// `closed_bit << 1`.
    slow_bit: usize,
    /// `closed_bit << 2`: one lap of positions.
    one_lap: usize,
    /// How many pushes the position space holds before it wraps (see [`pushes`]).
    ///
    /// [`pushes`]: ArrayRing::pushes
    push_modulus: usize,
}

// SAFETY: items move between threads through the ring (hence `T: Send`); a slot's value is
// accessed only by the one thread whose compare-and-swap claimed its position, and the
// stamp's release/acquire pair orders the write before the read.
unsafe impl<T: Send> Send for ArrayRing<T> {}
// SAFETY: as above: shared access never gives two threads the same slot at once.
unsafe impl<T: Send> Sync for ArrayRing<T> {}

impl<T> ArrayRing<T> {
    /// A ring of `cap` slots (`cap >= 1`, checked by the queue's constructors).
    pub(crate) fn new(cap: usize) -> Self {
        let cap = cap.max(1);
        let closed_bit = (cap + 1).next_power_of_two();
        let one_lap = closed_bit << 2;
        // Laps the position space counts before it wraps, times the pushes per lap: less than
        // `usize::MAX / 4`, since `cap < closed_bit`.
        let push_modulus = (usize::MAX / one_lap + 1) * cap;
        let slots = (0..cap)
            .map(|i| Slot {
                stamp: AtomicUsize::new(i),
                value: UnsafeCell::new(MaybeUninit::uninit()),
            })
            .collect();
        ArrayRing {
            head: CachePadded::new(AtomicUsize::new(0)),
            tail: CachePadded::new(AtomicUsize::new(0)),
            slots,
            cap,
            closed_bit,
            slow_bit: closed_bit << 1,
            one_lap,
            push_modulus,
        }
    }

    /// A ring whose positions start `laps_before_wrap` laps before the position space wraps
    /// around, to test the wrap.
    #[cfg(all(test, not(amphi_loom)))]
    pub(crate) fn near_wrap(cap: usize, laps_before_wrap: usize) -> Self {
        let ring = Self::new(cap);
        let start = (usize::MAX / ring.one_lap + 1 - laps_before_wrap).wrapping_mul(ring.one_lap);
        ring.head.store(start, Ordering::Relaxed);
        ring.tail.store(start, Ordering::Relaxed);
        for (i, slot) in ring.slots.iter().enumerate() {
            slot.stamp.store(start + i, Ordering::Relaxed);
        }
        ring
    }

    fn flags(&self) -> usize {
        self.closed_bit | self.slow_bit
    }

    /// The position after `pos`.
    #[inline]
    fn next(&self, pos: usize) -> usize {
        let index = pos & (self.closed_bit - 1);
        if index + 1 < self.cap {
            pos + 1
        } else {
            (pos & !(self.one_lap - 1)).wrapping_add(self.one_lap)
        }
    }

    #[inline]
    fn slot(&self, pos: usize) -> &Slot<T> {
        &self.slots[pos & (self.closed_bit - 1)]
    }

    /// Whether a push might succeed now: `false` only if the slot at the tail still holds
    /// the previous lap's item. Reads the tail and that slot's stamp, as a push does first,
    /// but not the head (the getters' line) and with no fence: a hint for a waiting putter,
    /// which then makes a real attempt. A flag on the tail (closed, slow) says `true`.
    #[inline]
    pub(crate) fn may_push(&self) -> bool {
        let tail = self.tail.load(Ordering::Relaxed);
        if tail & self.flags() != 0 {
            return true;
        }
        let pos = tail & !self.flags();
        let stamp = self.slot(pos).stamp.load(Ordering::Relaxed);
        stamp.wrapping_add(self.one_lap) != pos.wrapping_add(1)
    }

    /// Whether a pop might succeed now: `false` only if nothing is published at the head.
    /// Reads the head and that slot's stamp, but not the tail (the putters' line): a hint
    /// for a waiting getter. It does not see a close; the waiter's real attempt, at the
    /// latest once its spin is spent, does.
    #[inline]
    pub(crate) fn may_pop(&self) -> bool {
        let head = self.head.load(Ordering::Relaxed);
        self.slot(head).stamp.load(Ordering::Relaxed) != head
    }

    /// Appends `value`. `locked` pushes (made under the queue's lock) pass the `SLOW` flag.
    #[inline]
    pub(crate) fn push(&self, value: T, locked: bool) -> Result<(), Refused<T>> {
        let backoff = Backoff::new();
        let mut tail = self.tail.load(Ordering::Relaxed);
        loop {
            if tail & self.closed_bit != 0 {
                // Acquire, with the close's read-modify-write: what the closer did before
                // `close` is visible to a caller that sees this refusal (the tail may have
                // been read `Relaxed`).
                fence(Ordering::Acquire);
                return Err(Refused::Closed(value));
            }
            if !locked && tail & self.slow_bit != 0 {
                return Err(Refused::Slow(value));
            }
            let flags = tail & self.flags();
            let pos = tail & !self.flags();
            let slot = self.slot(pos);
            let stamp = slot.stamp.load(Ordering::Acquire);
            if stamp == pos {
                // The slot is free for this lap: claim the position.
                match self.tail.compare_exchange_weak(
                    tail,
                    self.next(pos) | flags,
                    Ordering::SeqCst,
                    Ordering::Relaxed,
                ) {
                    Ok(_) => {
                        // SAFETY: the compare-and-swap gave this thread position `pos`, and
                        // the stamp says the slot is empty: no other thread touches the value
                        // until the stamp below publishes it.
                        slot.value
                            .with_mut(|ptr| unsafe { ptr.write(MaybeUninit::new(value)) });
                        slot.stamp.store(pos.wrapping_add(1), Ordering::Release);
                        return Ok(());
                    }
                    Err(current) => {
                        tail = current;
                        backoff.spin();
                    }
                }
            } else if stamp.wrapping_add(self.one_lap) == pos.wrapping_add(1) {
                // The slot still holds the previous lap's item: full, unless a get has
                // claimed it and is about to free it.
                fence(Ordering::SeqCst);
                let head = self.head.load(Ordering::Relaxed);
                if head.wrapping_add(self.one_lap) == pos {
                    return Err(Refused::Full(value));
                }
                backoff.spin();
                tail = self.tail.load(Ordering::Relaxed);
            } else {
                // Another put claimed this position first; look again.
                backoff.snooze();
                tail = self.tail.load(Ordering::Relaxed);
            }
        }
    }

    /// Takes the oldest item.
    #[inline]
    pub(crate) fn pop(&self) -> Result<T, Empty> {
        let backoff = Backoff::new();
        let mut head = self.head.load(Ordering::Relaxed);
        loop {
            let slot = self.slot(head);
            let stamp = slot.stamp.load(Ordering::Acquire);
            if stamp == head.wrapping_add(1) {
                // The slot holds the item of `head`: claim it.
                match self.head.compare_exchange_weak(
                    head,
                    self.next(head),
                    Ordering::SeqCst,
                    Ordering::Relaxed,
                ) {
                    Ok(_) => {
                        // SAFETY: the compare-and-swap gave this thread position `head`, and
                        // the acquire load of the stamp saw the put's release store, so the
                        // value is initialised and no other thread reads it; the stamp
                        // below hands the slot to the next lap's put only after the read.
                        let value = slot.value.with(|ptr| unsafe { ptr.read().assume_init() });
                        slot.stamp
                            .store(head.wrapping_add(self.one_lap), Ordering::Release);
                        return Ok(value);
                    }
                    Err(current) => {
                        head = current;
                        backoff.spin();
                    }
                }
            } else if stamp == head {
                // Nothing published at `head`: empty, unless a put has claimed it and is
                // about to publish.
                fence(Ordering::SeqCst);
                let tail = self.tail.load(Ordering::Relaxed);
                if tail & !self.flags() == head {
                    return Err(if tail & self.closed_bit != 0 {
                        // As in `push`: a caller that sees the close sees what came before it.
                        fence(Ordering::Acquire);
                        Empty::Closed
                    } else {
                        Empty::Open
                    });
                }
                backoff.spin();
                head = self.head.load(Ordering::Relaxed);
            } else {
                // Another get took this position first; look again.
                backoff.snooze();
                head = self.head.load(Ordering::Relaxed);
            }
        }
    }

    /// How many pushes ever claimed a position, modulo [`push_modulus`](Self::push_modulus)
    /// (which is at least 2^61 on 64-bit targets). The tail counts them for free: a queue
    /// that must count its puts (for `join`) needs no counter of its own on the busy path.
    pub(crate) fn pushes(&self) -> usize {
        let pos = self.tail.load(Ordering::SeqCst) & !self.flags();
        let laps = pos / self.one_lap;
        laps * self.cap + (pos & (self.closed_bit - 1))
    }

    /// The modulus of [`pushes`](Self::pushes).
    pub(crate) fn push_modulus(&self) -> usize {
        self.push_modulus
    }

    /// How many positions are claimed by puts and not yet by gets.
    pub(crate) fn len(&self) -> usize {
        loop {
            let tail = self.tail.load(Ordering::SeqCst);
            let head = self.head.load(Ordering::SeqCst);
            // A consistent pair: the tail did not move while the head was read.
            if self.tail.load(Ordering::SeqCst) == tail {
                let tail = tail & !self.flags();
                let hix = head & (self.closed_bit - 1);
                let tix = tail & (self.closed_bit - 1);
                return if hix < tix {
                    tix - hix
                } else if hix > tix {
                    self.cap - hix + tix
                } else if tail == head {
                    0
                } else {
                    self.cap
                };
            }
        }
    }

    /// Refuses plain pushes from now on (see the module docs).
    pub(crate) fn set_slow(&self, on: bool) {
        if on {
            self.tail.fetch_or(self.slow_bit, Ordering::SeqCst);
        } else {
            self.tail.fetch_and(!self.slow_bit, Ordering::SeqCst);
        }
    }

    /// Refuses every push from now on.
    pub(crate) fn close(&self) {
        self.tail.fetch_or(self.closed_bit, Ordering::SeqCst);
    }
}

impl<T> Drop for ArrayRing<T> {
    fn drop(&mut self) {
        if !std::mem::needs_drop::<T>() {
            return;
        }
        // `&mut self`: every operation has finished, so the claimed positions between head
        // and tail are exactly the published items.
        let head = self.head.load(Ordering::Relaxed);
        let mut pos = head;
        for _ in 0..self.len() {
            let slot = self.slot(pos);
            // SAFETY: positions from head up to the tail hold published items that no get
            // took; each is dropped once, here, and the ring is never used again.
            slot.value
                .with_mut(|ptr| unsafe { (*ptr).assume_init_drop() });
            pos = self.next(pos);
        }
    }
}
