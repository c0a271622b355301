//! An unbounded lock-free MPMC FIFO: a linked list of small blocks of slots (the algorithm of
//! crossbeam's `SegQueue` and crossbeam-channel's list flavour), with the two tail flags of
//! [`ArrayRing`](super::ArrayRing) and one spare block, so that steady traffic allocates
//! nothing.
//!
//! Positions count up without end (modulo the word). Position `p` lives in block number
//! `p / LAP`, slot `p % LAP`. The last index of each lap, `BLOCK_CAP`, is not a slot: it is the
//! moment between a block filling up and its successor being linked, and pushes and pops that
//! reach it wait until the thread that took the block's last slot has linked the next one.
//!
//! A slot's state collects three bits: `WRITE` (the value is in), `READ` (the value was taken)
//! and `DESTROY` (the block is being retired while this slot was still being read; whoever
//! reads it carries the retirement on). A push claims its position with a compare-and-swap on
//! the tail, then writes and sets `WRITE`; a pop claims with a compare-and-swap on the head,
//! waits for `WRITE`, reads and sets `READ`. The pop of a block's last slot retires the block:
//! once every slot has `READ`, nobody can still reach it, so it is reset and kept as the
//! spare (displacing and freeing an older spare), and the next link takes the spare instead
//! of calling the allocator.
//!
//! Below the position sit `SHIFT` flag bits: in the tail `CLOSED` and `SLOW`, meaning what
//! they mean in the ring (setting one makes every concurrent claim fail and look again); in
//! the head `HAS_NEXT` (the head's block is not the last one, so a pop need not read the
//! tail to know the list is not empty).

use std::marker::PhantomData;
use std::mem::MaybeUninit;
use std::ptr;

use crossbeam_utils::CachePadded;

use super::{AtomicPtr, AtomicUsize, Backoff, Empty, Ordering, Refused, UnsafeCell, fence};

/// Positions per block, the linking moment included. Loom models use tiny blocks so that a
/// few items already cross a block boundary.
#[cfg(not(amphi_loom))]
const LAP: usize = 32;
#[cfg(amphi_loom)]
const LAP: usize = 4;
/// Slots per block.
const BLOCK_CAP: usize = LAP - 1;
/// Flag bits below the position.
const SHIFT: usize = 2;
/// One position, in index units.
const STEP: usize = 1 << SHIFT;
/// Tail flag: every later push is refused.
const CLOSED: usize = 1;
/// Tail flag: plain pushes are refused and go through the queue's lock.
const SLOW: usize = 2;
/// Head flag: the head's block has a successor.
const HAS_NEXT: usize = 1;

/// Slot state: the value is written.
const WRITE: usize = 1;
/// Slot state: the value is read.
const READ: usize = 2;
/// Slot state: the block's retirement waits for this slot's reader.
const DESTROY: usize = 4;

struct Slot<T> {
    value: UnsafeCell<MaybeUninit<T>>,
    state: AtomicUsize,
}

impl<T> Slot<T> {
    /// Waits for the push that claimed this slot to finish writing it (a few instructions,
    /// unless that thread was preempted between its claim and its write).
    fn wait_write(&self) {
        let backoff = Backoff::new();
        while self.state.load(Ordering::Acquire) & WRITE == 0 {
            backoff.snooze();
        }
    }
}

struct Block<T> {
    next: AtomicPtr<Block<T>>,
    slots: [Slot<T>; BLOCK_CAP],
}

impl<T> Block<T> {
    /// A fresh block on the heap, owned by the returned pointer.
    fn alloc() -> *mut Self {
        Box::into_raw(Box::new(Block {
            next: AtomicPtr::new(ptr::null_mut()),
            slots: std::array::from_fn(|_| Slot {
                value: UnsafeCell::new(MaybeUninit::uninit()),
                state: AtomicUsize::new(0),
            }),
        }))
    }

    /// Waits for the thread that took this block's last slot to link the next block.
    fn wait_next(&self) -> *mut Self {
        let backoff = Backoff::new();
        loop {
            let next = self.next.load(Ordering::Acquire);
            if !next.is_null() {
                return next;
            }
            backoff.snooze();
        }
    }

    /// Makes a retired block fresh again. Its values were all read out, so only the states
    /// and the link need clearing.
    fn reset(&self) {
        self.next.store(ptr::null_mut(), Ordering::Relaxed);
        for slot in &self.slots {
            slot.state.store(0, Ordering::Relaxed);
        }
    }
}

/// One end of the list: an index (position and flags) and the block it is in.
struct End<T> {
    index: AtomicUsize,
    block: AtomicPtr<Block<T>>,
}

/// The list. Allocates its first block up front.
pub(crate) struct BlockList<T> {
    head: CachePadded<End<T>>,
    tail: CachePadded<End<T>>,
    /// A retired block kept for the next link, or null.
    spare: AtomicPtr<Block<T>>,
    /// The list owns values of type `T` (for drop check).
    _owns: PhantomData<T>,
}

// SAFETY: values move between threads through the list (hence `T: Send`). A slot's value is
// written only by the push whose compare-and-swap claimed its position and read only by the
// pop that claimed it, after that push's release of `WRITE`. A block is reset and reused, or
// freed, only by the thread that saw `READ` on every slot (or by `Drop`, with `&mut self`),
// when no claim can reach it any more: both ends have moved past it.
unsafe impl<T: Send> Send for BlockList<T> {}
// SAFETY: as above: shared access never gives two threads one slot, or a block that may still
// be in use.
unsafe impl<T: Send> Sync for BlockList<T> {}

/// How many positions before `index` were slots (linking moments excluded).
fn slots_before(index: usize) -> usize {
    let pos = index >> SHIFT;
    (pos / LAP) * BLOCK_CAP + pos % LAP
}

impl<T> BlockList<T> {
    /// An empty list with one block.
    pub(crate) fn new() -> Self {
        Self::starting_at(0)
    }

    /// An empty list whose positions start at `index` (a multiple of one lap).
    fn starting_at(index: usize) -> Self {
        let first = Block::alloc();
        BlockList {
            head: CachePadded::new(End {
                index: AtomicUsize::new(index),
                block: AtomicPtr::new(first),
            }),
            tail: CachePadded::new(End {
                index: AtomicUsize::new(index),
                block: AtomicPtr::new(first),
            }),
            spare: AtomicPtr::new(ptr::null_mut()),
            _owns: PhantomData,
        }
    }

    /// A list whose positions start `laps` blocks before the position space wraps around, to
    /// test the wrap.
    #[cfg(all(test, not(amphi_loom)))]
    pub(crate) fn near_wrap(laps: usize) -> Self {
        Self::starting_at(0usize.wrapping_sub(laps * LAP * STEP))
    }

    /// A block for the next link: the spare if there is one, else a new allocation.
    fn take_block(&self) -> *mut Block<T> {
        // Acquire: pairs with the release in `keep_spare`, so the reset is seen.
        let spare = self.spare.swap(ptr::null_mut(), Ordering::Acquire);
        if spare.is_null() {
            Block::alloc()
        } else {
            spare
        }
    }

    /// Keeps `block` (fresh, owned by the caller, reachable from nowhere) as the spare, and
    /// frees the spare it displaces.
    fn keep_spare(&self, block: *mut Block<T>) {
        let old = self.spare.swap(block, Ordering::AcqRel);
        if !old.is_null() {
            // SAFETY: a spare is owned by the list alone and reachable from nowhere else; the
            // swap took it out, so this thread owns it now. It came from `Block::alloc`.
            drop(unsafe { Box::from_raw(old) });
        }
    }

    /// Appends `value`. `locked` pushes (made under the queue's lock) pass the `SLOW` flag.
    #[inline]
    pub(crate) fn push(&self, value: T, locked: bool) -> Result<(), Refused<T>> {
        let backoff = Backoff::new();
        let mut tail = self.tail.index.load(Ordering::Acquire);
        let mut block = self.tail.block.load(Ordering::Acquire);
        // A block for the link, owned here until it is linked or given back.
        let mut next_block: *mut Block<T> = ptr::null_mut();
        loop {
            if tail & CLOSED != 0 || (!locked && tail & SLOW != 0) {
                if !next_block.is_null() {
                    self.keep_spare(next_block);
                }
                return Err(if tail & CLOSED != 0 {
                    // Acquire, with the close's read-modify-write: what the closer did before
                    // `close` is visible to a caller that sees this refusal.
                    fence(Ordering::Acquire);
                    Refused::Closed(value)
                } else {
                    Refused::Slow(value)
                });
            }
            let offset = (tail >> SHIFT) % LAP;
            if offset == BLOCK_CAP {
                // The block is full and its last pusher is linking the next one.
                backoff.snooze();
                tail = self.tail.index.load(Ordering::Acquire);
                block = self.tail.block.load(Ordering::Acquire);
                continue;
            }
            if offset + 1 == BLOCK_CAP && next_block.is_null() {
                // Whoever takes the last slot links the next block: get it before the claim,
                // so that the other threads wait as briefly as possible.
                next_block = self.take_block();
            }
            match self.tail.index.compare_exchange_weak(
                tail,
                tail.wrapping_add(STEP),
                Ordering::SeqCst,
                Ordering::Acquire,
            ) {
                Ok(_) => {
                    if offset + 1 == BLOCK_CAP {
                        // The block first, then the index past the linking moment (an add,
                        // not a store: close and slow mode may set a flag meanwhile), so a
                        // thread that sees the new index also sees the new block.
                        self.tail.block.store(next_block, Ordering::Release);
                        self.tail.index.fetch_add(STEP, Ordering::Release);
                        // SAFETY: `block` is the tail's block for the position just claimed
                        // (it was read after an index in it, and the claim proves the index
                        // did not move); it cannot be retired before this slot is read.
                        unsafe { (*block).next.store(next_block, Ordering::Release) };
                    } else if !next_block.is_null() {
                        // Another thread took the last slot: give the block back.
                        self.keep_spare(next_block);
                    }
                    // SAFETY: as above, `block` is live and slot `offset` is ours alone: the
                    // claim gave this thread the position, and no pop reads it before `WRITE`.
                    unsafe {
                        let slot = &(*block).slots[offset];
                        slot.value
                            .with_mut(|value_ptr| value_ptr.write(MaybeUninit::new(value)));
                        slot.state.fetch_or(WRITE, Ordering::Release);
                    }
                    return Ok(());
                }
                Err(current) => {
                    tail = current;
                    block = self.tail.block.load(Ordering::Acquire);
                    backoff.spin();
                }
            }
        }
    }

    /// Takes the oldest item.
    #[inline]
    pub(crate) fn pop(&self) -> Result<T, Empty> {
        let backoff = Backoff::new();
        let mut head = self.head.index.load(Ordering::Acquire);
        let mut block = self.head.block.load(Ordering::Acquire);
        loop {
            let offset = (head >> SHIFT) % LAP;
            if offset == BLOCK_CAP {
                // The last slot's reader is moving the head to the next block.
                backoff.snooze();
                head = self.head.index.load(Ordering::Acquire);
                block = self.head.block.load(Ordering::Acquire);
                continue;
            }
            let mut new_head = head.wrapping_add(STEP);
            if head & HAS_NEXT == 0 {
                // The fence pairs with the waker's fence (see `ring::wake_getter`): either
                // this read of the tail sees a push, or that push's waker sees our listener.
                fence(Ordering::SeqCst);
                let tail = self.tail.index.load(Ordering::Relaxed);
                if head >> SHIFT == tail >> SHIFT {
                    return Err(if tail & CLOSED != 0 {
                        // As in `push`: a caller that sees the close sees what came before it.
                        fence(Ordering::Acquire);
                        Empty::Closed
                    } else {
                        Empty::Open
                    });
                }
                if (head >> SHIFT) / LAP != (tail >> SHIFT) / LAP {
                    new_head |= HAS_NEXT;
                }
            }
            match self.head.index.compare_exchange_weak(
                head,
                new_head,
                Ordering::SeqCst,
                Ordering::Acquire,
            ) {
                Ok(_) => {
                    // SAFETY: `block` is the head's block for the position just claimed (read
                    // after an index in it; the claim proves the index did not move), and it
                    // is not retired before this slot is read.
                    let value = unsafe {
                        if offset + 1 == BLOCK_CAP {
                            let next = (*block).wait_next();
                            let mut next_index = (new_head & !HAS_NEXT).wrapping_add(STEP);
                            if !(*next).next.load(Ordering::Relaxed).is_null() {
                                next_index |= HAS_NEXT;
                            }
                            self.head.block.store(next, Ordering::Release);
                            self.head.index.store(next_index, Ordering::Release);
                        }
                        let slot = &(*block).slots[offset];
                        slot.wait_write();
                        let value = slot.value.with(|value_ptr| value_ptr.read().assume_init());
                        if offset + 1 == BLOCK_CAP {
                            self.retire(block, 0);
                        } else if slot.state.fetch_or(READ, Ordering::AcqRel) & DESTROY != 0 {
                            self.retire(block, offset + 1);
                        }
                        value
                    };
                    return Ok(value);
                }
                Err(current) => {
                    head = current;
                    block = self.head.block.load(Ordering::Acquire);
                    backoff.spin();
                }
            }
        }
    }

    /// Retires `block` from slot `start` on: marks the first slot still being read with
    /// `DESTROY` and leaves the rest to its reader, or, if every slot is read, keeps the
    /// block as the spare.
    ///
    /// # Safety
    ///
    /// `block` is a block the head has left, every slot before `start` has been read, and
    /// the caller is the reader of the last slot or of slot `start - 1` (who found `DESTROY`).
    unsafe fn retire(&self, block: *mut Block<T>, start: usize) {
        // The last slot needs no mark: its reader began the retirement.
        for i in start..BLOCK_CAP - 1 {
            // SAFETY: the block stays allocated until this function decides otherwise.
            let slot = unsafe { &(*block).slots[i] };
            if slot.state.load(Ordering::Acquire) & READ == 0
                && slot.state.fetch_or(DESTROY, Ordering::AcqRel) & READ == 0
            {
                // That slot's reader sees `DESTROY` and carries on from there.
                return;
            }
        }
        // SAFETY: every slot is read and both ends have left the block: no thread can reach it.
        unsafe { (*block).reset() };
        self.keep_spare(block);
    }

    /// How many pushes ever claimed a position, modulo [`push_modulus`](Self::push_modulus)
    /// (`31 * 2^57` on 64-bit targets), read off the tail as in the ring.
    pub(crate) fn pushes(&self) -> usize {
        slots_before(self.tail.index.load(Ordering::SeqCst))
    }

    /// The modulus of [`pushes`](Self::pushes): the slots of every lap the index can count.
    pub(crate) fn push_modulus(&self) -> usize {
        (usize::MAX / (LAP * STEP) + 1) * BLOCK_CAP
    }

    /// How many positions are claimed by pushes and not yet by pops.
    pub(crate) fn len(&self) -> usize {
        loop {
            let tail = self.tail.index.load(Ordering::SeqCst);
            let head = self.head.index.load(Ordering::SeqCst);
            // A consistent pair: the tail did not move while the head was read.
            if self.tail.index.load(Ordering::SeqCst) == tail {
                let modulus = self.push_modulus();
                return (slots_before(tail) + modulus - slots_before(head)) % modulus;
            }
        }
    }

    /// Refuses plain pushes from now on (see the module docs).
    pub(crate) fn set_slow(&self, on: bool) {
        if on {
            self.tail.index.fetch_or(SLOW, Ordering::SeqCst);
        } else {
            self.tail.index.fetch_and(!SLOW, Ordering::SeqCst);
        }
    }

    /// Refuses every push from now on.
    pub(crate) fn close(&self) {
        self.tail.index.fetch_or(CLOSED, Ordering::SeqCst);
    }
}

impl<T> Drop for BlockList<T> {
    fn drop(&mut self) {
        // `&mut self`: every operation has finished, every link is made, and the positions
        // from head to tail are exactly the written values no pop took.
        let mut head = self.head.index.load(Ordering::Relaxed) & !(STEP - 1);
        let tail = self.tail.index.load(Ordering::Relaxed) & !(STEP - 1);
        let mut block = self.head.block.load(Ordering::Relaxed);
        while head != tail {
            let offset = (head >> SHIFT) % LAP;
            // SAFETY: `block` is the live block of position `head`; values at positions
            // before the tail are written, each is dropped once here, and each block is freed
            // once, after its last slot.
            unsafe {
                if offset < BLOCK_CAP {
                    (*block).slots[offset]
                        .value
                        .with_mut(|value_ptr| (*value_ptr).assume_init_drop());
                } else {
                    let next = (*block).next.load(Ordering::Relaxed);
                    drop(Box::from_raw(block));
                    block = next;
                }
            }
            head = head.wrapping_add(STEP);
        }
        // SAFETY: the block both ends are in, and the spare, are owned by the list alone.
        unsafe {
            if !block.is_null() {
                drop(Box::from_raw(block));
            }
            let spare = self.spare.load(Ordering::Relaxed);
            if !spare.is_null() {
                drop(Box::from_raw(spare));
            }
        }
    }
}
