//! One queue, a blocking face and an async face: threads and tasks share it on any executor.
//!
//! ```
//! use amphi_queue::Queue;
//!
//! let queue = Queue::bounded(64);
//!
//! // A thread puts with the blocking face...
//! let worker = {
//!     let queue = queue.clone();
//!     std::thread::spawn(move || {
//!         for n in 1..=10u64 {
//!             queue.put_blocking(n).expect("queue is open");
//!         }
//!         queue.close(); // the queue ends only when someone closes it
//!     })
//! };
//!
//! // ...and a task gets with the async face, marking each item done.
//! let total = futures_lite::future::block_on(async {
//!     let mut total = 0;
//!     while let Ok(n) = queue.get().await {
//!         total += n;
//!         queue.task_done().expect("one done per item");
//!     }
//!     queue.join().await; // every item put has been marked done
//!     total
//! });
//! worker.join().expect("worker finished");
//! assert_eq!(total, 55);
//! ```
//!
//! [`Queue`] is Python's `janus` queue done the Rust way: one cloneable handle (no
//! sender/receiver split), usable from threads ([`put_blocking`](Queue::put_blocking),
//! [`get_blocking`](Queue::get_blocking), `*_timeout`) and from tasks on any executor
//! ([`put`](Queue::put), [`get`](Queue::get), [`reserve`](Queue::reserve),
//! [`join`](Queue::join)), in any mix, with several producers and consumers.
//!
//! | constructor | order | limit |
//! |---|---|---|
//! | [`Queue::bounded`] / [`Queue::unbounded`] | first in, first out | `cap` / none |
//! | [`Queue::lifo`] / [`Queue::lifo_unbounded`] | last in, first out | `cap` / none |
//! | [`Queue::priority`] / [`Queue::priority_unbounded`] | smallest first (`Ord`), ties in put order | `cap` / none |
//! | [`Queue::bounded_on_demand`] | first in, first out; storage grows with the items instead of being allocated up front | `cap` |
//!
//! # Ending
//!
//! **A queue ends only by [`Queue::close`]** (or when its last handle is dropped). It does
//! not end when producers go away, as a channel would. After `close`, puts fail and hand the
//! item back; gets drain the buffer and then fail with [`GetError`].
//! [`Queue::close_immediate`] also takes the buffered items out and counts them as done.
//!
//! # `task_done` and `join`
//!
//! As in Python: every put adds one unfinished task, [`Queue::task_done`] removes one, and
//! [`Queue::join`] waits until none is left. Calling `task_done` too often is a
//! [`TaskDoneError`], not a panic.
//!
//! # Cancel safety
//!
//! [`Queue::get`], [`Queue::reserve`] and [`Queue::join`] are cancel-safe. A dropped
//! [`Queue::put`] future has either inserted its item exactly once (if it completed) or drops
//! the item with itself (if it was still waiting); use [`Queue::reserve`] then
//! [`Permit::put`] when the item must survive cancellation.
//!
//! # Costs
//!
//! Bounded FIFO queues (up to 65,536 slots) keep their items in a lock-free ring (Vyukov's
//! array queue, as in crossbeam's `ArrayQueue`): a put is one compare-and-swap on the ring's
//! tail (which also counts it for `join`), a get one compare-and-swap on its head, so
//! producers and consumers never take turns on a lock. While a [`Permit`] is
//! outstanding, or a forced put is evicting, puts take a short lock instead (see
//! [`Permit`]). Unbounded FIFO queues keep their items in a lock-free list of 31-slot blocks
//! (the design of crossbeam's `SegQueue`), with the same one claim per put or get; a block
//! that empties is kept for reuse, so only a growing queue allocates (once per 31 items).
//! LIFO and priority queues take one short spin-then-yield lock per operation (the critical sections are a few instructions; sleeping in the kernel under
//! contention cost more than the work).
//!
//! A put or get that completes wakes at most one waiter on the other side, and costs one
//! atomic load when none waits. On a bounded queue, puts and gets allocate nothing when
//! nobody waits (the ring, or up to 1024 slots of the locked buffer, is allocated up front;
//! a locked buffer of more than 1024 slots allocates while it grows to the most it has
//! held, and never again); a wait allocates at most one listener (see below). FIFO and LIFO
//! operations are O(1), priority ones O(log n). Waiting uses `event-listener`. A blocking
//! wait first spins a few `spin_loop` hints (as many as the capacity, at most 128, then 6
//! more; 127 at capacity 1) and then yields at most 64 times, looking at the store again (or
//! watching a version counter of the locked store), before it parks. An async wait spins at
//! most 63 hints per poll (128 from capacity 32; one or two microseconds), and for its
//! first 32 polls it then yields to its executor (wakes its own task and returns `Pending`,
//! holding nothing) instead of registering a waker, after one `std::thread::yield_now`
//! each, so that a thread sharing the core (perhaps the other side) runs first: other tasks
//! and threads run meanwhile, and a wait that ends within those polls allocates nothing.
//! Only then does it register a listener (one allocation) and sleep until woken. Both sides
//! staying awake that long is what keeps a capacity-1 queue between two async tasks from
//! paying two executor wake-ups per item.
//!
//! # Migrating
//!
//! | you used | amphi |
//! |---|---|
//! | janus `q.sync_q.put(x)` / `await q.async_q.get()` | `q.put_blocking(x)` / `q.get().await` |
//! | janus `q.close(); await q.wait_closed()` | `q.close()` |
//! | flume `bounded(n)` → `(tx, rx)` | `Queue::bounded(n)` cloned to both sides; `close()` to end |
//! | flume `tx.send_async(x).await` | `q.put(x).await` (or `q.reserve().await?.put(x)`) |
//! | flume `rx.recv()` → `Err(Disconnected)` | `q.get_blocking()` → `Err(GetError)` after `close()` |
//! | tokio `mpsc::channel(n)` | `Queue::bounded(n)` |
//! | tokio `tx.reserve().await?.send(x)` | `q.reserve().await?.put(x)` |
//! | tokio `tx.blocking_send(x)` (panics in async context) | `q.put_blocking(x)` (blocks, never panics) |
//! | tokio `rx.recv().await` → `None` | `q.get().await` → `Err(GetError)` |
//! | Python `Queue.shutdown(immediate=True)` | `q.close_immediate()` |

// Unsafe code lives only in `sync/spin_mutex.rs`, `sync/array_ring.rs` and
// `sync/block_list.rs`, each block with its `// SAFETY:` argument.
#![deny(unsafe_code)]
#![warn(clippy::unwrap_used)]

mod buffer;
mod core;
mod error;
mod future;
mod locked;
mod priority;
mod queue;
mod ring;
mod stream;
mod sync;
mod wakers;

#[cfg(all(test, amphi_loom))]
mod loom_models;
#[cfg(all(test, not(amphi_loom)))]
mod unit_tests;

pub use error::{
    GetError, GetTimeoutError, PutError, PutTimeoutError, ReserveError, TaskDoneError, TryGetError,
    TryPutError,
};
pub use future::{Get, Join, Permit, Put, Reserve};
pub use queue::Queue;
pub use stream::{QueueSink, QueueStream};
