//! The priority buffer: a binary min-heap with insertion order breaking ties.
//!
//! The ordering is a function pointer captured where `T: Ord` is known (the priority
//! constructors), so the rest of the queue works for any `T`.

use std::cmp::Ordering;

/// An item and its insertion number (the tie-breaker).
struct Slot<T> {
    seq: u64,
    item: T,
}

/// Every item of a [`PriorityBuffer`], taken out in no order.
pub(crate) struct Unordered<T> {
    slots: Vec<Slot<T>>,
    cmp: fn(&T, &T) -> Ordering,
}

impl<T> Unordered<T> {
    pub(crate) fn len(&self) -> usize {
        self.slots.len()
    }

    /// The items in the order `pop` takes them: by `cmp`, then by insertion. O(n log n).
    pub(crate) fn into_ordered(mut self) -> Vec<T> {
        let cmp = self.cmp;
        self.slots
            .sort_unstable_by(|a, b| cmp(&a.item, &b.item).then(a.seq.cmp(&b.seq)));
        self.slots.into_iter().map(|slot| slot.item).collect()
    }
}

/// A binary min-heap over `cmp`, FIFO among equal items.
pub(crate) struct PriorityBuffer<T> {
    heap: Vec<Slot<T>>,
    next_seq: u64,
    cmp: fn(&T, &T) -> Ordering,
}

impl<T> PriorityBuffer<T> {
    pub(crate) fn new(capacity_hint: usize, cmp: fn(&T, &T) -> Ordering) -> Self {
        PriorityBuffer {
            heap: Vec::with_capacity(capacity_hint),
            next_seq: 0,
            cmp,
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.heap.len()
    }

    /// Whether slot `a` comes out before slot `b`.
    fn before(&self, a: usize, b: usize) -> bool {
        let (a, b) = (&self.heap[a], &self.heap[b]);
        match (self.cmp)(&a.item, &b.item) {
            Ordering::Less => true,
            Ordering::Greater => false,
            Ordering::Equal => a.seq < b.seq,
        }
    }

    /// O(log n).
    pub(crate) fn push(&mut self, item: T) {
        let seq = self.next_seq;
        self.next_seq = self.next_seq.wrapping_add(1);
        self.heap.push(Slot { seq, item });
        self.sift_up(self.heap.len() - 1);
    }

    /// Takes the smallest item. O(log n).
    ///
    /// The item stays in the heap until the heap is mended around it, so an ordering that
    /// panics (a user's `Ord`) loses no item: it only leaves them out of order.
    pub(crate) fn pop(&mut self) -> Option<T> {
        let end = self.heap.len().checked_sub(1)?;
        self.heap.swap(0, end);
        self.sift_down(0, end);
        self.heap.pop().map(|slot| slot.item)
    }

    /// Takes every item out, in no order, without comparing any. O(1).
    pub(crate) fn take_all(&mut self) -> Unordered<T> {
        Unordered {
            slots: std::mem::take(&mut self.heap),
            cmp: self.cmp,
        }
    }

    /// Takes the item that `pop` would return last. O(n): it is among the leaves.
    pub(crate) fn pop_last(&mut self) -> Option<T> {
        let len = self.heap.len();
        if len == 0 {
            return None;
        }
        let mut last = len / 2;
        for i in (len / 2)..len {
            if self.before(last, i) {
                last = i;
            }
        }
        // Leaves have no children, so removing one keeps every parent above its children;
        // only the leaf moved into its place may need to rise. It rises over lower indices
        // only, so the item taken waits at the end until then (as in `pop`).
        let end = len - 1;
        self.heap.swap(last, end);
        if last < end {
            self.sift_up(last);
        }
        self.heap.pop().map(|slot| slot.item)
    }

    /// Moves the slot at `child` up until its parent comes before it.
    fn sift_up(&mut self, mut child: usize) {
        while child > 0 {
            let parent = (child - 1) / 2;
            if !self.before(child, parent) {
                break;
            }
            self.heap.swap(child, parent);
            child = parent;
        }
    }

    /// Moves the slot at `parent` down among the first `len` slots until it comes before
    /// its children.
    fn sift_down(&mut self, mut parent: usize, len: usize) {
        loop {
            let left = 2 * parent + 1;
            if left >= len {
                break;
            }
            let right = left + 1;
            let first = if right < len && self.before(right, left) {
                right
            } else {
                left
            };
            if !self.before(first, parent) {
                break;
            }
            self.heap.swap(parent, first);
            parent = first;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::PriorityBuffer;

    #[test]
    fn pops_smallest_first_and_ties_in_insertion_order() {
        let mut heap = PriorityBuffer::new(0, |a: &(u8, u32), b: &(u8, u32)| a.0.cmp(&b.0));
        let input = [(3, 0), (1, 1), (2, 2), (1, 3), (3, 4), (0, 5), (1, 6)];
        for item in input {
            heap.push(item);
        }
        let mut out = Vec::new();
        while let Some(item) = heap.pop() {
            out.push(item);
        }
        assert_eq!(
            out,
            [(0, 5), (1, 1), (1, 3), (1, 6), (2, 2), (3, 0), (3, 4)]
        );
    }

    /// An ordering that panics while the heap is mended loses no item and duplicates none.
    #[test]
    fn a_panicking_ordering_loses_no_item() {
        use std::cell::Cell;
        use std::panic::{AssertUnwindSafe, catch_unwind};

        thread_local!(static CALLS_LEFT: Cell<u32> = const { Cell::new(u32::MAX) });
        fn cmp(a: &u32, b: &u32) -> std::cmp::Ordering {
            CALLS_LEFT.with(|left| {
                assert!(left.get() > 0, "a user's Ord panicked");
                left.set(left.get() - 1);
            });
            a.cmp(b)
        }
        for panic_after in 0..12 {
            let mut heap = PriorityBuffer::new(0, cmp);
            for x in [5, 9, 1, 7, 3, 9, 2, 8] {
                heap.push(x);
            }
            CALLS_LEFT.with(|left| left.set(panic_after));
            let mut out = Vec::new();
            for take_last in [false, true, false] {
                let taken = catch_unwind(AssertUnwindSafe(|| {
                    if take_last {
                        heap.pop_last()
                    } else {
                        heap.pop()
                    }
                }));
                out.extend(taken.ok().flatten());
            }
            CALLS_LEFT.with(|left| left.set(u32::MAX));
            while let Some(x) = heap.pop() {
                out.push(x);
            }
            out.sort_unstable();
            assert_eq!(
                out,
                [1, 2, 3, 5, 7, 8, 9, 9],
                "panic after {panic_after} comparisons"
            );
        }
    }

    #[test]
    fn pop_last_takes_the_greatest_and_keeps_the_heap() {
        let mut heap = PriorityBuffer::new(0, |a: &u32, b: &u32| a.cmp(b));
        for x in [5, 9, 1, 7, 3, 9, 2] {
            heap.push(x);
        }
        assert_eq!(heap.pop_last(), Some(9));
        assert_eq!(heap.pop_last(), Some(9));
        let mut out = Vec::new();
        while let Some(x) = heap.pop() {
            out.push(x);
        }
        assert_eq!(out, [1, 2, 3, 5, 7]);
    }
}
