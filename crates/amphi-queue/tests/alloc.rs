//! Heap allocations per operation, counted by a global allocator on this thread only.
//!
//! Claims checked: on a bounded queue, puts and gets allocate nothing when nobody waits; on
//! an unbounded FIFO queue that does not grow, neither do they (emptied blocks are reused);
//! a wait that ends while it still yields to its executor allocates nothing, and one that
//! registers a listener allocates exactly that one listener; a blocking wait that parks
//! allocates that one listener too.

mod common;

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use amphi_queue::Queue;

struct Counting;

thread_local! {
    static ALLOCATIONS: Cell<usize> = const { Cell::new(0) };
    /// Bytes asked for by allocations and reallocations (their new size).
    static BYTES: Cell<usize> = const { Cell::new(0) };
}

// SAFETY: forwards every call to `System` unchanged; the counter is a thread-local `Cell`,
// which needs no allocation and cannot re-enter the allocator.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let _ = ALLOCATIONS.try_with(|n| n.set(n.get() + 1));
        let _ = BYTES.try_with(|n| n.set(n.get() + layout.size()));
        // SAFETY: same contract as ours, passed through.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: same contract as ours, passed through.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let _ = ALLOCATIONS.try_with(|n| n.set(n.get() + 1));
        let _ = BYTES.try_with(|n| n.set(n.get() + new_size));
        // SAFETY: same contract as ours, passed through.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn allocations_in(f: impl FnOnce()) -> usize {
    let before = ALLOCATIONS.with(Cell::get);
    f();
    ALLOCATIONS.with(Cell::get) - before
}

/// Bytes allocated while `f` runs, and its result.
fn bytes_in<T>(f: impl FnOnce() -> T) -> (usize, T) {
    let before = BYTES.with(Cell::get);
    let value = f();
    (BYTES.with(Cell::get) - before, value)
}

fn poll_once<F: Future + Unpin>(fut: &mut F) -> Poll<F::Output> {
    Pin::new(fut).poll(&mut Context::from_waker(std::task::Waker::noop()))
}

#[test]
fn put_and_get_allocate_nothing_when_nobody_waits() {
    for queue in [Queue::bounded(64), Queue::lifo(64), Queue::priority(64)] {
        // Warm up: event-listener allocates each event's internals on first use, once per
        // queue, as in any running program.
        let (counter, waker) = common::waker();
        let mut get = queue.get();
        assert!(common::poll_until_listening(&mut get, &counter, &waker).is_pending());
        drop(get);
        queue.try_put(0).expect("room");
        queue.try_get().expect("item");
        let n = allocations_in(|| {
            for round in 0..100u64 {
                for i in 0..64 {
                    queue.try_put(round * 64 + i).expect("room");
                }
                for _ in 0..64 {
                    queue.try_get().expect("item");
                }
                for i in 0..32 {
                    assert!(poll_once(&mut queue.put(i)).is_ready());
                }
                for _ in 0..32 {
                    assert!(poll_once(&mut queue.get()).is_ready());
                }
                let permit = match poll_once(&mut queue.reserve()) {
                    Poll::Ready(Ok(permit)) => permit,
                    _ => panic!("room expected"),
                };
                permit.put(7);
                queue.get_blocking().expect("item");
                queue.put_blocking(1).expect("open");
                queue.force_put(2).expect("open");
                queue.get_blocking().expect("item");
                queue.get_blocking().expect("item");
            }
        });
        assert_eq!(n, 0, "{n} allocations in 9,800 operations without waiters");
    }
}

#[test]
fn an_unbounded_queue_reuses_its_blocks() {
    let queue = Queue::unbounded();
    // Warm up: the events (see above), and one block emptied so that it becomes the spare.
    let (counter, waker) = common::waker();
    let mut get = queue.get();
    assert!(common::poll_until_listening(&mut get, &counter, &waker).is_pending());
    drop(get);
    for i in 0..40u64 {
        queue.try_put(i).expect("open");
    }
    while queue.try_get().is_ok() {}
    let n = allocations_in(|| {
        for round in 0..100u64 {
            // 31 items fill one block: each round links one block and empties one.
            for i in 0..31 {
                queue.try_put(round * 31 + i).expect("open");
            }
            for i in 0..31 {
                assert_eq!(queue.try_get().ok(), Some(round * 31 + i));
            }
        }
    });
    assert_eq!(
        n, 0,
        "{n} allocations for 3,100 items through a queue that never grows"
    );
    // A queue that grows does allocate: one block per 31 items beyond the spare.
    let n = allocations_in(|| {
        for i in 0..310u64 {
            queue.try_put(i).expect("open");
        }
    });
    assert!(
        (9..=10).contains(&n),
        "{n} allocations for 310 items held at once"
    );
}

#[test]
fn a_wait_allocates_one_listener_once_it_registers_and_none_before() {
    let queue = Queue::bounded(1);
    let (counter, waker) = common::waker();
    // Warm up both events (see above).
    let mut warm = queue.get();
    assert!(common::poll_until_listening(&mut warm, &counter, &waker).is_pending());
    drop(warm);
    queue.try_put(0).expect("room");
    queue.try_get().expect("item");

    for round in 0..10 {
        // A short wait: the item comes while the get still yields to its executor.
        let n = allocations_in(|| {
            let mut get = queue.get();
            assert!(common::poll(&mut get, &waker).is_pending());
            queue.try_put(round).expect("room");
            assert_eq!(common::poll(&mut get, &waker), Poll::Ready(Ok(round)));
        });
        assert_eq!(n, 0, "a wait that ends within its yields allocates nothing");
        // A long wait: the get registers a listener.
        let n = allocations_in(|| {
            let mut get = queue.get();
            assert!(common::poll_until_listening(&mut get, &counter, &waker).is_pending());
            queue.try_put(round).expect("room");
            assert_eq!(common::poll(&mut get, &waker), Poll::Ready(Ok(round)));
        });
        assert_eq!(n, 1, "one listener per registered wait, nothing else");
    }
}

#[test]
fn a_blocking_wait_that_parks_allocates_one_listener() {
    use std::time::Duration;
    let queue = Queue::bounded(1);
    // The other side acts only after a pause far longer than the wait's spin and yields
    // (microseconds), so the wait parks.
    let later = |queue: &Queue<u32>, f: fn(&Queue<u32>)| {
        let queue = queue.clone();
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(20));
            f(&queue);
        })
    };
    // Warm up both events and this thread's parker (event-listener keeps one per thread)
    // with waits that surely park: timed waits that nobody ends.
    let pause = Duration::from_millis(2);
    assert!(queue.get_timeout(pause).is_err(), "nothing was put");
    queue.try_put(0).expect("room");
    assert!(queue.put_timeout(1, pause).is_err(), "the queue is full");
    assert_eq!(queue.try_get(), Ok(0));

    let mut parked = 0;
    for _ in 0..5 {
        // A getter that waits for an item.
        let putter = later(&queue, |q| q.put_blocking(7).expect("open"));
        let n = allocations_in(|| assert_eq!(queue.get_blocking(), Ok(7)));
        putter.join().expect("putter");
        assert!(
            n <= 1,
            "{n} allocations for one blocking get: at most its listener"
        );
        parked += n;
        // A putter that waits for room.
        queue.try_put(1).expect("room");
        let getter = later(&queue, |q| assert_eq!(q.get_blocking(), Ok(1)));
        let n = allocations_in(|| queue.put_blocking(2).expect("open"));
        getter.join().expect("getter");
        assert!(
            n <= 1,
            "{n} allocations for one blocking put: at most its listener"
        );
        parked += n;
        assert_eq!(queue.try_get(), Ok(2));
    }
    // Each wait parks unless this thread was descheduled for the whole pause.
    assert!(parked > 0, "no blocking wait parked in 10 tries");
}

/// `bounded_on_demand` allocates no slots up front, and then only as items arrive; `bounded`
/// allocates its ring of `cap` slots when made.
#[test]
fn bounded_on_demand_allocates_with_the_items_not_the_capacity() {
    const CAP: usize = 65_536;
    let (ring, eager) = bytes_in(|| Queue::<u64>::bounded(CAP));
    assert!(ring >= CAP * 16, "the ring allocated only {ring} bytes");
    let (made, lazy) = bytes_in(|| Queue::<u64>::bounded_on_demand(CAP));
    assert!(
        made < 4096,
        "an on-demand queue allocated {made} bytes when made"
    );
    let (grown, ()) = bytes_in(|| {
        for i in 0..100 {
            lazy.try_put(i).expect("room");
        }
    });
    // Doubling up to 128 slots of 8 bytes: under 2 KiB in all.
    assert!(grown < 2048, "100 items grew it by {grown} bytes");
    let (reused, ()) = bytes_in(|| {
        for _ in 0..100 {
            let _ = lazy.try_get();
        }
        for i in 0..100 {
            lazy.try_put(i).expect("room");
        }
    });
    assert_eq!(reused, 0, "the grown buffer is reused");
    drop(eager);
}
