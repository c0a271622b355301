//! One error type per operation. Failed puts hand the item back.

use std::fmt;

/// A put failed because the queue is closed; the item is handed back.
#[derive(PartialEq, Eq, Clone, Copy)]
pub struct PutError<T>(pub T);

impl<T> PutError<T> {
    /// The item that was not put.
    pub fn into_inner(self) -> T {
        self.0
    }
}

/// A get failed because the queue is closed and drained.
#[derive(Debug, PartialEq, Eq, Clone, Copy)]
pub struct GetError;

/// Why [`try_put`](crate::Queue::try_put) did not put; the item is handed back.
#[derive(PartialEq, Eq, Clone, Copy)]
pub enum TryPutError<T> {
    /// The queue is at capacity.
    Full(T),
    /// The queue is closed.
    Closed(T),
}

impl<T> TryPutError<T> {
    /// The item that was not put.
    pub fn into_inner(self) -> T {
        match self {
            TryPutError::Full(item) | TryPutError::Closed(item) => item,
        }
    }

    /// Whether the queue was full.
    pub fn is_full(&self) -> bool {
        matches!(self, TryPutError::Full(_))
    }

    /// Whether the queue was closed.
    pub fn is_closed(&self) -> bool {
        matches!(self, TryPutError::Closed(_))
    }
}

/// Why [`try_get`](crate::Queue::try_get) returned no item.
#[derive(Debug, PartialEq, Eq, Clone, Copy)]
pub enum TryGetError {
    /// Nothing is buffered right now.
    Empty,
    /// The queue is closed and drained.
    Closed,
}

/// Why [`put_timeout`](crate::Queue::put_timeout) did not put; the item is handed back.
#[derive(PartialEq, Eq, Clone, Copy)]
pub enum PutTimeoutError<T> {
    /// The queue stayed full until the deadline.
    Timeout(T),
    /// The queue is closed.
    Closed(T),
}

impl<T> PutTimeoutError<T> {
    /// The item that was not put.
    pub fn into_inner(self) -> T {
        match self {
            PutTimeoutError::Timeout(item) | PutTimeoutError::Closed(item) => item,
        }
    }
}

/// Why [`get_timeout`](crate::Queue::get_timeout) returned no item.
#[derive(Debug, PartialEq, Eq, Clone, Copy)]
pub enum GetTimeoutError {
    /// Nothing arrived before the deadline.
    Timeout,
    /// The queue is closed and drained.
    Closed,
}

/// [`reserve`](crate::Queue::reserve) failed because the queue is closed.
#[derive(Debug, PartialEq, Eq, Clone, Copy)]
pub struct ReserveError;

/// [`task_done`](crate::Queue::task_done) was called more times than items were put.
#[derive(Debug, PartialEq, Eq, Clone, Copy)]
pub struct TaskDoneError;

// `Debug` for the item-carrying errors does not require `T: Debug`.
impl<T> fmt::Debug for PutError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PutError(..)")
    }
}

impl<T> fmt::Debug for TryPutError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TryPutError::Full(_) => f.write_str("Full(..)"),
            TryPutError::Closed(_) => f.write_str("Closed(..)"),
        }
    }
}

impl<T> fmt::Debug for PutTimeoutError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PutTimeoutError::Timeout(_) => f.write_str("Timeout(..)"),
            PutTimeoutError::Closed(_) => f.write_str("Closed(..)"),
        }
    }
}

impl<T> fmt::Display for PutError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("put on a closed queue; the item is handed back in the error")
    }
}

impl fmt::Display for GetError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("get on a closed and drained queue; no more items will come")
    }
}

impl<T> fmt::Display for TryPutError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TryPutError::Full(_) => f.write_str("queue is full; wait with put() or reserve()"),
            TryPutError::Closed(_) => f.write_str("put on a closed queue"),
        }
    }
}

impl fmt::Display for TryGetError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TryGetError::Empty => f.write_str("queue is empty; wait with get()"),
            TryGetError::Closed => f.write_str("queue is closed and drained"),
        }
    }
}

impl<T> fmt::Display for PutTimeoutError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PutTimeoutError::Timeout(_) => f.write_str("queue stayed full until the timeout"),
            PutTimeoutError::Closed(_) => f.write_str("put on a closed queue"),
        }
    }
}

impl fmt::Display for GetTimeoutError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            GetTimeoutError::Timeout => f.write_str("no item arrived before the timeout"),
            GetTimeoutError::Closed => f.write_str("queue is closed and drained"),
        }
    }
}

impl fmt::Display for ReserveError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("reserve on a closed queue")
    }
}

impl fmt::Display for TaskDoneError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("task_done called more times than items were put")
    }
}

impl<T> std::error::Error for PutError<T> {}
impl std::error::Error for GetError {}
impl<T> std::error::Error for TryPutError<T> {}
impl std::error::Error for TryGetError {}
impl<T> std::error::Error for PutTimeoutError<T> {}
impl std::error::Error for GetTimeoutError {}
impl std::error::Error for ReserveError {}
impl std::error::Error for TaskDoneError {}
