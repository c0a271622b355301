//! A user's `Ord` that panics inside the queue: the queue stays consistent, and nothing it
//! still holds is lost.

use std::cell::Cell;
use std::cmp::Ordering;
use std::panic::{AssertUnwindSafe, catch_unwind};

use amphi_queue::Queue;

thread_local! {
    /// Comparisons left on this thread before the next one panics (`None`: never). Per
    /// thread, as the tests run in parallel and each compares on its own thread only.
    static FUSE: Cell<Option<usize>> = const { Cell::new(None) };
}

fn arm(comparisons: Option<usize>) {
    FUSE.with(|fuse| fuse.set(comparisons));
}

#[derive(Debug, PartialEq, Eq)]
struct Touchy(u32);

impl PartialOrd for Touchy {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Touchy {
    fn cmp(&self, other: &Self) -> Ordering {
        match FUSE.with(Cell::get) {
            Some(0) => {
                arm(None);
                panic!("Ord panicked on purpose");
            }
            Some(left) => arm(Some(left - 1)),
            None => {}
        }
        self.0.cmp(&other.0)
    }
}

#[test]
fn close_immediate_with_a_panicking_ord_leaves_the_queue_closed_empty_and_joinable() {
    let queue = Queue::priority(16);
    for i in [5, 3, 8, 1, 9] {
        queue.try_put(Touchy(i)).expect("room");
    }
    assert_eq!(queue.unfinished_tasks(), 5);
    // Panic on the third comparison of the ordering.
    arm(Some(2));
    let result = catch_unwind(AssertUnwindSafe(|| queue.close_immediate()));
    arm(None);
    assert!(result.is_err(), "the Ord did not panic");
    assert!(queue.is_closed());
    assert_eq!(queue.len(), 0);
    // Before: one item was dropped and the count stayed at 5, so `join` never returned.
    assert_eq!(queue.unfinished_tasks(), 0);
    queue.join_blocking();
}

#[test]
fn close_immediate_of_a_priority_queue_gives_items_in_get_order() {
    let queue = Queue::priority(16);
    for i in [5, 3, 8, 1, 9, 3] {
        queue.try_put(Touchy(i)).expect("room");
    }
    let taken: Vec<u32> = queue.close_immediate().into_iter().map(|t| t.0).collect();
    assert_eq!(taken, [1, 3, 3, 5, 8, 9]);
    assert_eq!(queue.unfinished_tasks(), 0);
}

#[test]
fn a_get_with_a_panicking_ord_loses_no_item() {
    let queue = Queue::priority(16);
    for i in [5, 3, 8, 1, 9] {
        queue.try_put(Touchy(i)).expect("room");
    }
    arm(Some(0));
    let result = catch_unwind(AssertUnwindSafe(|| queue.try_get()));
    arm(None);
    assert!(result.is_err(), "the Ord did not panic");
    // The item being taken stays in the queue: all five are still there.
    let mut left: Vec<u32> = std::iter::from_fn(|| queue.try_get().ok())
        .map(|t| t.0)
        .collect();
    left.sort_unstable();
    assert_eq!(left, [1, 3, 5, 8, 9]);
}
