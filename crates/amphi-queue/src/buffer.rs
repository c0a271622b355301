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

    /// Removes every item, in the order `pop` would have taken them.
    pub(crate) fn drain(&mut self) -> Vec<T> {
        let mut out = Vec::with_capacity(self.len());
        while let Some(item) = self.pop() {
            out.push(item);
        }
        out
    }
}
