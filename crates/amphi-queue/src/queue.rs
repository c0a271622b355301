//! [`Queue`]: the one handle type, with its async, blocking and non-blocking faces.

use std::fmt;
use std::task::Poll;
use std::time::{Duration, Instant};

use crate::buffer::Buffer;
use crate::core::{Shared, Store, Strategy};
use crate::error::{
    GetError, GetTimeoutError, PutError, PutTimeoutError, TaskDoneError, TryGetError, TryPutError,
};
use crate::future::{Get, Join, Put, Reserve};
use crate::locked::Locked;
use crate::ring::Ring;
use crate::stream::{QueueSink, QueueStream};
use crate::sync::Arc;
use crate::wakers::WaitState;

/// How much buffer the locked bounded constructors allocate up front, at most.
const PREALLOCATE_MAX: usize = 1024;

/// The largest FIFO capacity kept in a preallocated lock-free ring; larger FIFO queues use
/// the locked buffer, which grows on demand.
const RING_MAX: usize = 1 << 16;

/// A multi-producer, multi-consumer queue with an async face and a blocking face.
///
/// Every clone is a handle to the same queue; any handle can put, get, close and join, from a
/// thread or a task, on any executor.
///
/// **The queue ends only when [`close`](Queue::close) is called** (or when the last handle
/// is dropped, taking the buffered items with it). Unlike a channel, it does not end when
/// "the producers" go away: there is no sender/receiver split to count. Close it when the
/// last item has been put, and getters drain what is buffered and then see [`GetError`].
///
/// # Examples
///
/// ```
/// use amphi_queue::Queue;
///
/// let queue = Queue::bounded(16);
/// let producer = {
///     let queue = queue.clone();
///     std::thread::spawn(move || {
///         for i in 0..100 {
///             queue.put_blocking(i).expect("open");
///         }
///         queue.close();
///     })
/// };
/// let sum = futures_lite::future::block_on(async {
///     let mut sum = 0;
///     while let Ok(i) = queue.get().await {
///         sum += i;
///     }
///     sum
/// });
/// producer.join().expect("producer finished");
/// assert_eq!(sum, 4950);
/// ```
pub struct Queue<T> {
    pub(crate) shared: Arc<Shared<T>>,
}

impl<T> Clone for Queue<T> {
    fn clone(&self) -> Self {
        Queue {
            shared: Arc::clone(&self.shared),
        }
    }
}

fn check_capacity(cap: usize, unbounded: &str) -> usize {
    assert!(
        cap > 0,
        "a queue capacity of 0 cannot hold an item; use Queue::{unbounded}() for no limit"
    );
    cap
}

impl<T> Queue<T> {
    fn with_buffer(buf: Buffer<T>, cap: usize) -> Self {
        Self::with_store(Store::Locked(Locked::new(buf, cap)), cap)
    }

    fn with_store(store: Store<T>, cap: usize) -> Self {
        Queue {
            shared: Arc::new(Shared::new(store, cap)),
        }
    }

    /// A first-in, first-out queue holding at most `cap` items.
    ///
    /// Up to 65,536 slots, the items live in a lock-free ring allocated up front (about
    /// `cap * (size_of::<T>() + 8)` bytes): a put and a get each claim a position with one
    /// compare-and-swap, and producers and consumers never take turns on a lock. Larger
    /// capacities use the locked buffer, which allocates up to 1024 slots up front and grows
    /// on demand. The ring's puts and gets allocate nothing; the locked buffer's allocate only
    /// while it grows past 1024 items to the most it has held (amortised O(1), and never
    /// again after that).
    ///
    /// # Panics
    ///
    /// If `cap` is 0; use [`Queue::unbounded`] for a queue without a limit.
    pub fn bounded(cap: usize) -> Self {
        let cap = check_capacity(cap, "unbounded");
        if cap <= RING_MAX {
            Self::with_store(Store::Ring(Ring::new(cap)), cap)
        } else {
            Self::with_buffer(Buffer::fifo(PREALLOCATE_MAX), cap)
        }
    }

    /// A first-in, first-out queue holding at most `cap` items, with no storage allocated
    /// up front: for many queues with high limits that are mostly near empty (one per client
    /// of a server, say), where [`bounded`](Queue::bounded) would allocate `cap` slots for
    /// each when it is made.
    ///
    /// The items live in the locked buffer (as [`bounded`](Queue::bounded)'s above 65,536),
    /// which starts empty and doubles as items arrive, up to the most it has held (it does
    /// not shrink): memory follows what the queue really held. Every put and get takes a short
    /// lock, where the ring's claim a position with a compare-and-swap; a put allocates only
    /// while the buffer grows (amortised O(1)). Same behaviour as `bounded` otherwise.
    ///
    /// # Examples
    ///
    /// ```
    /// use amphi_queue::Queue;
    ///
    /// // 4096 of these cost nothing until items arrive.
    /// let outboxes: Vec<Queue<Vec<u8>>> =
    ///     (0..4096).map(|_| Queue::bounded_on_demand(65_536)).collect();
    /// outboxes[7].try_put(b"hello".to_vec()).unwrap();
    /// assert_eq!(outboxes[7].try_get().unwrap(), b"hello");
    /// assert_eq!(outboxes[7].capacity(), Some(65_536));
    /// ```
    ///
    /// # Panics
    ///
    /// If `cap` is 0; use [`Queue::unbounded`] for a queue without a limit.
    pub fn bounded_on_demand(cap: usize) -> Self {
        let cap = check_capacity(cap, "unbounded");
        Self::with_buffer(Buffer::fifo(0), cap)
    }

    /// A first-in, first-out queue without a limit: puts never wait.
    ///
    /// The items live in a lock-free list of blocks of 31 slots (the design of crossbeam's
    /// `SegQueue`): a put and a get each claim a position with one compare-and-swap, as on a
    /// bounded queue. The first block is allocated here; a block that gets empty is kept as
    /// a spare for the next one needed, so a queue that does not grow allocates nothing per
    /// put or get, and one that grows allocates once per 31 items.
    pub fn unbounded() -> Self {
        Self::with_store(Store::List(Ring::unbounded()), usize::MAX)
    }

    /// A last-in, first-out queue (a stack) holding at most `cap` items.
    ///
    /// # Panics
    ///
    /// If `cap` is 0; use [`Queue::lifo_unbounded`] for a stack without a limit.
    pub fn lifo(cap: usize) -> Self {
        let cap = check_capacity(cap, "lifo_unbounded");
        Self::with_buffer(Buffer::lifo(cap.min(PREALLOCATE_MAX)), cap)
    }

    /// A last-in, first-out queue without a limit.
    pub fn lifo_unbounded() -> Self {
        Self::with_buffer(Buffer::lifo(0), usize::MAX)
    }

    /// A priority queue holding at most `cap` items: gets take the smallest item by `Ord`,
    /// and equal items in the order they were put.
    ///
    /// # Panics
    ///
    /// If `cap` is 0; use [`Queue::priority_unbounded`] for one without a limit.
    pub fn priority(cap: usize) -> Self
    where
        T: Ord,
    {
        let cap = check_capacity(cap, "priority_unbounded");
        Self::with_buffer(Buffer::priority(cap.min(PREALLOCATE_MAX), T::cmp), cap)
    }

    /// A priority queue without a limit; see [`Queue::priority`].
    pub fn priority_unbounded() -> Self
    where
        T: Ord,
    {
        Self::with_buffer(Buffer::priority(0, T::cmp), usize::MAX)
    }

    // ---- async face ----

    /// Puts `item`, waiting for room while the queue is full.
    ///
    /// Cost: on a FIFO queue (bounded up to 65,536 slots, or unbounded), one
    /// compare-and-swap on the ring's or the list's tail (which also counts the item for
    /// `join`); on the others, one short lock. Plus one atomic load, or one
    /// wake-up if a getter waits. No allocation when the queue has room, nor while the wait
    /// yields to the executor (its first 32 polls); one (the listener) per wait that lasts
    /// longer.
    ///
    /// # Errors
    ///
    /// [`PutError`] with the item if the queue is closed (or closes while waiting).
    ///
    /// # Cancel safety
    ///
    /// Not cancel-safe for the item: if the future is dropped while waiting for room, the
    /// item is dropped with it and never inserted; once the future completes it was inserted
    /// exactly once. To wait for room without risking the item, use [`Queue::reserve`] and
    /// put into the permit.
    #[doc(alias = "send")]
    pub fn put(&self, item: T) -> Put<'_, T> {
        Put {
            queue: self,
            item: Some(item),
            wait: WaitState::new(),
        }
    }

    /// Takes the next item, waiting while the queue is empty.
    ///
    /// Cost: on a FIFO queue (bounded up to 65,536 slots, or unbounded), one
    /// compare-and-swap on the ring's or the list's head; on the others, one short lock.
    /// Plus one atomic load, or one wake-up if a putter waits. No allocation when an item is
    /// buffered, nor while the wait yields to the executor (its first 32 polls); one (the
    /// listener) per wait that lasts longer.
    ///
    /// # Errors
    ///
    /// [`GetError`] once the queue is closed and every buffered item has been taken.
    ///
    /// # Cancel safety
    ///
    /// Cancel-safe: dropping the future loses no item, and a wake-up it received passes to
    /// another waiting getter.
    #[doc(alias = "recv")]
    pub fn get(&self) -> Get<'_, T> {
        Get {
            queue: self,
            wait: WaitState::new(),
        }
    }

    /// Waits for room and reserves one slot, returning a [`Permit`](crate::Permit) whose
    /// `put` cannot fail.
    ///
    /// The cancel-safe way to put: the item is handed over only once room is certain.
    ///
    /// Cost: one short lock to take the slot, and one more when the permit is used or
    /// dropped; while any permit is outstanding, the queue's other puts take that lock too
    /// (see [`Permit`](crate::Permit)). The wait and its allocations are those of
    /// [`put`](Queue::put).
    ///
    /// # Errors
    ///
    /// [`ReserveError`](crate::ReserveError) if the queue is closed.
    ///
    /// # Cancel safety
    ///
    /// Cancel-safe: a slot is reserved only when the permit is returned.
    ///
    /// # Examples
    ///
    /// ```
    /// let queue = amphi_queue::Queue::bounded(1);
    /// futures_lite::future::block_on(async {
    ///     let permit = queue.reserve().await.expect("open");
    ///     permit.put("hello");
    ///     assert_eq!(queue.get().await, Ok("hello"));
    /// });
    /// ```
    pub fn reserve(&self) -> Reserve<'_, T> {
        Reserve {
            queue: self,
            wait: WaitState::new(),
        }
    }

    /// Waits until every item ever put has been marked done with [`task_done`](Queue::task_done).
    ///
    /// Returns at once if nothing is unfinished.
    ///
    /// Cost: one atomic load when nothing is unfinished. Otherwise it waits like
    /// [`get`](Queue::get) (a bounded spin, 32 yields to the executor, then one listener
    /// allocation) and is woken once, when the count reaches zero.
    ///
    /// # Cancel safety
    ///
    /// Cancel-safe: waiting changes nothing.
    pub fn join(&self) -> Join<'_, T> {
        Join {
            queue: self,
            wait: WaitState::new(),
        }
    }

    // ---- blocking face ----

    /// Puts `item`, blocking the thread while the queue is full.
    ///
    /// # Errors
    ///
    /// [`PutError`] with the item if the queue is closed.
    ///
    /// # Blocking
    ///
    /// Parks the calling thread; never call it from async code, where it would stall the
    /// executor thread (it does not panic there, unlike tokio's `blocking_send`: it blocks).
    #[doc(alias = "send_blocking")]
    pub fn put_blocking(&self, item: T) -> Result<(), PutError<T>> {
        // The busy path first: no future, no wait state, when there is room.
        let item = match self.shared.try_put(item) {
            Ok(()) => return Ok(()),
            Err(TryPutError::Closed(item)) => return Err(PutError(item)),
            Err(TryPutError::Full(item)) => item,
        };
        let mut put = self.put(item);
        loop {
            // Without a deadline the blocking wait only returns when done.
            if let Poll::Ready(Some(result)) = put.poll_with(&mut Strategy::Blocking(None)) {
                return result;
            }
        }
    }

    /// Takes the next item, blocking the thread while the queue is empty.
    ///
    /// # Errors
    ///
    /// [`GetError`] once the queue is closed and drained.
    ///
    /// # Blocking
    ///
    /// Parks the calling thread; never call it from async code.
    #[doc(alias = "recv_blocking")]
    pub fn get_blocking(&self) -> Result<T, GetError> {
        // The busy path first, as in `put_blocking`.
        match self.shared.try_get() {
            Ok(item) => return Ok(item),
            Err(TryGetError::Closed) => return Err(GetError),
            Err(TryGetError::Empty) => {}
        }
        let mut get = self.get();
        loop {
            if let Poll::Ready(Some(result)) = get.poll_with(&mut Strategy::Blocking(None)) {
                return result;
            }
        }
    }

    /// Puts `item`, blocking at most `timeout` while the queue is full.
    ///
    /// # Errors
    ///
    /// [`PutTimeoutError::Timeout`] with the item if there was no room in time,
    /// [`PutTimeoutError::Closed`] if the queue is closed.
    ///
    /// # Blocking
    ///
    /// Parks the calling thread; never call it from async code.
    pub fn put_timeout(&self, item: T, timeout: Duration) -> Result<(), PutTimeoutError<T>> {
        let deadline = Instant::now().checked_add(timeout);
        let mut put = self.put(item);
        loop {
            match put.poll_with(&mut Strategy::Blocking(deadline)) {
                Poll::Ready(Some(Ok(()))) => return Ok(()),
                Poll::Ready(Some(Err(PutError(item)))) => {
                    return Err(PutTimeoutError::Closed(item));
                }
                Poll::Ready(None) => {
                    if let Some(item) = put.take_item() {
                        return Err(PutTimeoutError::Timeout(item));
                    }
                }
                Poll::Pending => {}
            }
        }
    }

    /// Takes the next item, blocking at most `timeout` while the queue is empty.
    ///
    /// # Errors
    ///
    /// [`GetTimeoutError::Timeout`] if nothing arrived in time, [`GetTimeoutError::Closed`]
    /// once the queue is closed and drained.
    ///
    /// # Blocking
    ///
    /// Parks the calling thread; never call it from async code.
    pub fn get_timeout(&self, timeout: Duration) -> Result<T, GetTimeoutError> {
        let deadline = Instant::now().checked_add(timeout);
        let mut get = self.get();
        loop {
            match get.poll_with(&mut Strategy::Blocking(deadline)) {
                Poll::Ready(Some(Ok(item))) => return Ok(item),
                Poll::Ready(Some(Err(GetError))) => return Err(GetTimeoutError::Closed),
                Poll::Ready(None) => return Err(GetTimeoutError::Timeout),
                Poll::Pending => {}
            }
        }
    }

    /// Blocks until every item ever put has been marked done.
    ///
    /// # Blocking
    ///
    /// Parks the calling thread; never call it from async code.
    pub fn join_blocking(&self) {
        let mut join = self.join();
        while !matches!(
            join.poll_with(&mut Strategy::Blocking(None)),
            Poll::Ready(Some(()))
        ) {}
    }

    // ---- non-blocking face ----

    /// Puts `item` if there is room right now.
    ///
    /// Cost: as for [`put`](Queue::put) without the wait. Never allocates on a bounded queue.
    ///
    /// # Errors
    ///
    /// [`TryPutError::Full`] or [`TryPutError::Closed`], with the item.
    #[doc(alias = "try_send")]
    pub fn try_put(&self, item: T) -> Result<(), TryPutError<T>> {
        self.shared.try_put(item)
    }

    /// Takes the next item if one is buffered right now.
    ///
    /// Cost: as for [`get`](Queue::get) without the wait.
    ///
    /// # Errors
    ///
    /// [`TryGetError::Empty`], or [`TryGetError::Closed`] once closed and drained.
    #[doc(alias = "try_recv")]
    pub fn try_get(&self) -> Result<T, TryGetError> {
        self.shared.try_get()
    }

    /// Puts `item` now, evicting one buffered item if the queue is full, and returns the
    /// evicted item.
    ///
    /// The drop-oldest policy: FIFO and LIFO queues evict their oldest item; a priority
    /// queue evicts the item it would hand out last (O(n)). The evicted item counts as done
    /// for [`join`](Queue::join). If every slot is promised to an unused permit there is
    /// nothing to evict: the queue stays within its capacity and `item` itself comes back as
    /// `Ok(Some(item))`, not counted for `join`.
    ///
    /// Cost: a put when there is room; otherwise (and while permits are outstanding) one
    /// short lock around the eviction and the put.
    ///
    /// # Errors
    ///
    /// [`PutError`] with the item if the queue is closed.
    pub fn force_put(&self, item: T) -> Result<Option<T>, PutError<T>> {
        self.shared.force_put(item).map_err(PutError)
    }

    // ---- lifecycle ----

    /// Closes the queue; returns `true` if this call closed it.
    ///
    /// Puts fail from now on, handing the item back; gets drain what is buffered and then
    /// fail. Every waiting putter and getter wakes. `join` is unaffected.
    pub fn close(&self) -> bool {
        self.shared.close()
    }

    /// Closes the queue, takes every buffered item out (in get order) and counts them as done
    /// for `join` (Python's `shutdown(immediate=True)`).
    ///
    /// Items already taken by getters and not yet marked done still hold `join` back.
    ///
    /// Cost: O(n) for FIFO and LIFO; for a priority queue O(n log n) comparisons, made
    /// after the items have left the queue: an `Ord` that panics there leaves the queue
    /// closed, empty and its `join` count exact, and the panic drops the items taken.
    pub fn close_immediate(&self) -> Vec<T> {
        self.shared.close_immediate()
    }

    /// Whether the queue is closed.
    pub fn is_closed(&self) -> bool {
        self.shared.is_closed()
    }

    /// Marks one item taken earlier as processed, for [`join`](Queue::join).
    ///
    /// As in Python's `Queue.task_done`, the count is against the items put, not the items
    /// taken: a call for an item nobody has taken yet is accepted, and lets `join` return
    /// while that item still waits. Call it once per item, after processing it.
    ///
    /// # Errors
    ///
    /// [`TaskDoneError`] if called more times than items were put.
    pub fn task_done(&self) -> Result<(), TaskDoneError> {
        self.shared.task_done()
    }

    /// How many items were put and not yet marked done.
    pub fn unfinished_tasks(&self) -> usize {
        self.shared.unfinished()
    }

    /// How many items are buffered.
    pub fn len(&self) -> usize {
        self.shared.len()
    }

    /// Whether no item is buffered.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether the queue is at capacity (buffered items plus reserved slots).
    pub fn is_full(&self) -> bool {
        self.shared.is_full()
    }

    /// The most items the queue holds, or `None` if unbounded.
    pub fn capacity(&self) -> Option<usize> {
        self.shared.capacity()
    }

    /// A [`Stream`](futures_core::Stream) of items taken from this queue; it ends once the
    /// queue is closed and drained.
    pub fn stream(&self) -> QueueStream<T> {
        QueueStream::new(self.clone())
    }

    /// A [`Sink`](futures_sink::Sink) that puts into this queue; `poll_ready` reserves a
    /// slot, so `start_send` never fails for lack of room.
    pub fn sink(&self) -> QueueSink<T> {
        QueueSink::new(self.clone())
    }
}

impl<T> fmt::Debug for Queue<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Queue")
            .field("len", &self.shared.len())
            .field("capacity", &self.shared.capacity())
            .field("closed", &self.shared.is_closed())
            .field("unfinished", &self.shared.unfinished())
            .finish()
    }
}
