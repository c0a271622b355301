//! Where the items live: one buffer per ordering, behind one small interface.

use std::cmp::Ordering;
use std::collections::VecDeque;

use crate::priority::PriorityBuffer;

/// The items of a queue, in the order its flavour takes them.
pub(crate) enum Buffer<T> {
    /// First in, first out: push at the back, pop at the front.
    Fifo(VecDeque<T>),
    /// Last in, first out: push at the back, pop at the back.
    Lifo(VecDeque<T>),
    /// Smallest first by the ordering captured at construction; ties in insertion order.
    Priority(PriorityBuffer<T>),
}

impl<T> Buffer<T> {
    pub(crate) fn fifo(capacity_hint: usize) -> Self {
        Buffer::Fifo(VecDeque::with_capacity(capacity_hint))
    }

    pub(crate) fn lifo(capacity_hint: usize) -> Self {
        Buffer::Lifo(VecDeque::with_capacity(capacity_hint))
    }

    pub(crate) fn priority(capacity_hint: usize, cmp: fn(&T, &T) -> Ordering) -> Self {
        Buffer::Priority(PriorityBuffer::new(capacity_hint, cmp))
    }

    pub(crate) fn len(&self) -> usize {
        match self {
            Buffer::Fifo(items) | Buffer::Lifo(items) => items.len(),
            Buffer::Priority(heap) => heap.len(),
        }
    }

    /// Adds `item`. O(1) amortised for FIFO and LIFO; O(log n) for priority.
    pub(crate) fn push(&mut self, item: T) {
        match self {
            Buffer::Fifo(items) | Buffer::Lifo(items) => items.push_back(item),
            Buffer::Priority(heap) => heap.push(item),
        }
    }

    /// Takes the next item in this flavour's order. O(1); O(log n) for priority.
    pub(crate) fn pop(&mut self) -> Option<T> {
        match self {
            Buffer::Fifo(items) => items.pop_front(),
            Buffer::Lifo(items) => items.pop_back(),
            Buffer::Priority(heap) => heap.pop(),
        }
    }

    /// Removes the item to sacrifice when a forced put finds the queue full: the oldest for
    /// FIFO and LIFO (O(1)); for priority, the one that would be taken last (O(n)).
    pub(crate) fn evict(&mut self) -> Option<T> {
        match self {
            Buffer::Fifo(items) | Buffer::Lifo(items) => items.pop_front(),
            Buffer::Priority(heap) => heap.pop_last(),
        }
    }

    /// Removes every item without comparing any: O(n) for FIFO and LIFO, O(1) for priority.
    /// [`Taken::into_ordered`] then puts them in the order `pop` would have taken them.
    pub(crate) fn take_all(&mut self) -> Taken<T> {
        match self {
            Buffer::Fifo(items) => Taken::Ordered(items.drain(..).collect()),
            Buffer::Lifo(items) => Taken::Ordered(items.drain(..).rev().collect()),
            Buffer::Priority(heap) => Taken::Priority(heap.take_all()),
        }
    }
}

/// Every item of a buffer, taken out by [`Buffer::take_all`].
pub(crate) enum Taken<T> {
    /// In `pop` order already.
    Ordered(Vec<T>),
    /// In no order yet: ordering them runs the user's `Ord`, which may panic.
    Priority(crate::priority::Unordered<T>),
}

impl<T> Taken<T> {
    pub(crate) fn len(&self) -> usize {
        match self {
            Taken::Ordered(items) => items.len(),
            Taken::Priority(items) => items.len(),
        }
    }

    /// The items in the order `pop` would have taken them. For priority, O(n log n)
    /// comparisons of the user's `Ord`: call it outside the queue's lock.
    pub(crate) fn into_ordered(self) -> Vec<T> {
        match self {
            Taken::Ordered(items) => items,
            Taken::Priority(items) => items.into_ordered(),
        }
    }
}
