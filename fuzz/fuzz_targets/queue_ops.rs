//! The queue driven by arbitrary operation sequences through several faces (non-blocking,
//! async futures polled by hand and kept pending across operations, zero-timeout blocking
//! calls, permits), checked step by step against a model.
#![no_main]

use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use amphi_queue::{GetTimeoutError, Permit, Queue, TryGetError, TryPutError};
use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;

#[derive(Arbitrary, Debug, Clone, Copy)]
enum Flavor {
    Fifo,
    Lifo,
    Priority,
}

#[derive(Arbitrary, Debug)]
enum Op {
    TryPut(u8),
    ForcePut(u8),
    TryGet,
    PutTimeoutZero(u8),
    GetTimeoutZero,
    /// Start an async get and poll it once; it stays pending in a slot if not ready.
    StartGet,
    /// Start an async put and poll it once; it stays pending in a slot if not ready.
    StartPut(u8),
    /// Poll the pending future in slot `n % len`.
    PollPending(u8),
    /// Drop (cancel) the pending future in slot `n % len`.
    CancelPending(u8),
    Reserve,
    UsePermit(u8),
    DropPermit,
    TaskDone,
    Close,
    CloseImmediate,
}

#[derive(Arbitrary, Debug)]
struct Input {
    flavor: Flavor,
    capacity: Option<u8>,
    ops: Vec<Op>,
}

enum Pending<'a> {
    Get(amphi_queue::Get<'a, u8>),
    Put(amphi_queue::Put<'a, u8>, u8),
}

struct Model {
    flavor: Flavor,
    cap: usize,
    items: VecDeque<(u8, u64)>,
    seq: u64,
    reserved: usize,
    closed: bool,
    unfinished: usize,
}

impl Model {
    fn has_room(&self) -> bool {
        self.items.len() + self.reserved < self.cap
    }

    /// Closed, drained, and no permit left that could still deliver: gets see the end.
    fn ended(&self) -> bool {
        self.closed && self.items.is_empty() && self.reserved == 0
    }
    fn push(&mut self, v: u8) {
        self.items.push_back((v, self.seq));
        self.seq += 1;
        self.unfinished += 1;
    }
    fn pop(&mut self) -> Option<u8> {
        let i = match self.flavor {
            Flavor::Fifo => 0,
            Flavor::Lifo => self.items.len().checked_sub(1)?,
            Flavor::Priority => {
                let min = *self.items.iter().min()?;
                self.items.iter().position(|&x| x == min)?
            }
        };
        self.items.remove(i).map(|(v, _)| v)
    }
    fn evict(&mut self) -> Option<u8> {
        match self.flavor {
            Flavor::Fifo | Flavor::Lifo => self.items.pop_front().map(|(v, _)| v),
            Flavor::Priority => {
                let max = *self.items.iter().max()?;
                let i = self.items.iter().position(|&x| x == max)?;
                self.items.remove(i).map(|(v, _)| v)
            }
        }
    }
}

fn poll<F: Future + Unpin>(fut: &mut F) -> Poll<F::Output> {
    Pin::new(fut).poll(&mut Context::from_waker(std::task::Waker::noop()))
}

fuzz_target!(|input: Input| {
    let cap = input.capacity.map(|c| usize::from(c % 8) + 1);
    let queue: Queue<u8> = match (input.flavor, cap) {
        (Flavor::Fifo, Some(c)) => Queue::bounded(c),
        (Flavor::Fifo, None) => Queue::unbounded(),
        (Flavor::Lifo, Some(c)) => Queue::lifo(c),
        (Flavor::Lifo, None) => Queue::lifo_unbounded(),
        (Flavor::Priority, Some(c)) => Queue::priority(c),
        (Flavor::Priority, None) => Queue::priority_unbounded(),
    };
    let mut model = Model {
        flavor: input.flavor,
        cap: cap.unwrap_or(usize::MAX),
        items: VecDeque::new(),
        seq: 0,
        reserved: 0,
        closed: false,
        unfinished: 0,
    };
    let mut pending: Vec<Pending<'_>> = Vec::new();
    let mut permits: Vec<Permit<'_, u8>> = Vec::new();

    // Polls a pending future and applies its effect to the model when it completes.
    fn settle(p: &mut Pending<'_>, model: &mut Model) -> bool {
        match p {
            Pending::Get(get) => match poll(get) {
                Poll::Ready(Ok(v)) => {
                    assert_eq!(Some(v), model.pop(), "async get took the wrong item");
                    true
                }
                Poll::Ready(Err(_)) => {
                    assert!(model.ended());
                    true
                }
                Poll::Pending => {
                    assert!(
                        model.items.is_empty() && !model.ended(),
                        "get pending with items, or after the end"
                    );
                    false
                }
            },
            Pending::Put(put, v) => match poll(put) {
                Poll::Ready(Ok(())) => {
                    assert!(!model.closed && model.has_room());
                    model.push(*v);
                    true
                }
                Poll::Ready(Err(e)) => {
                    assert!(model.closed);
                    assert_eq!(e.into_inner(), *v);
                    true
                }
                Poll::Pending => {
                    assert!(!model.closed && !model.has_room(), "put pending with room");
                    false
                }
            },
        }
    }

    for op in input.ops.into_iter().take(512) {
        match op {
            Op::TryPut(v) => match queue.try_put(v) {
                Ok(()) => {
                    assert!(!model.closed && model.has_room());
                    model.push(v);
                }
                Err(TryPutError::Full(x)) => assert!(x == v && !model.closed && !model.has_room()),
                Err(TryPutError::Closed(x)) => assert!(x == v && model.closed),
            },
            Op::ForcePut(v) => match queue.force_put(v) {
                Ok(evicted) => {
                    assert!(!model.closed);
                    if model.has_room() {
                        assert_eq!(evicted, None);
                        model.push(v);
                    } else if let Some(e) = model.evict() {
                        model.unfinished = model.unfinished.saturating_sub(1);
                        assert_eq!(evicted, Some(e));
                        model.push(v);
                    } else {
                        // Every slot is promised to a permit: the item comes back.
                        assert_eq!(evicted, Some(v));
                    }
                }
                Err(e) => assert!(model.closed && e.into_inner() == v),
            },
            Op::TryGet => match queue.try_get() {
                Ok(v) => assert_eq!(Some(v), model.pop()),
                Err(TryGetError::Empty) => assert!(model.items.is_empty() && !model.ended()),
                Err(TryGetError::Closed) => assert!(model.ended()),
            },
            Op::PutTimeoutZero(v) => match queue.put_timeout(v, std::time::Duration::ZERO) {
                Ok(()) => {
                    assert!(!model.closed && model.has_room());
                    model.push(v);
                }
                Err(e) => {
                    assert!(model.closed || !model.has_room());
                    assert_eq!(e.into_inner(), v);
                }
            },
            Op::GetTimeoutZero => match queue.get_timeout(std::time::Duration::ZERO) {
                Ok(v) => assert_eq!(Some(v), model.pop()),
                Err(GetTimeoutError::Timeout) => {
                    assert!(model.items.is_empty() && !model.ended())
                }
                Err(GetTimeoutError::Closed) => assert!(model.ended()),
            },
            Op::StartGet => {
                let mut p = Pending::Get(queue.get());
                if !settle(&mut p, &mut model) && pending.len() < 16 {
                    pending.push(p);
                }
            }
            Op::StartPut(v) => {
                let mut p = Pending::Put(queue.put(v), v);
                if !settle(&mut p, &mut model) && pending.len() < 16 {
                    pending.push(p);
                }
            }
            Op::PollPending(n) => {
                if !pending.is_empty() {
                    let i = usize::from(n) % pending.len();
                    if settle(&mut pending[i], &mut model) {
                        pending.remove(i);
                    }
                }
            }
            Op::CancelPending(n) => {
                if !pending.is_empty() {
                    let i = usize::from(n) % pending.len();
                    drop(pending.remove(i)); // a cancelled put drops its item; a get takes nothing
                }
            }
            Op::Reserve => {
                let mut reserve = queue.reserve();
                match poll(&mut reserve) {
                    Poll::Ready(Ok(permit)) => {
                        assert!(!model.closed && model.has_room());
                        model.reserved += 1;
                        permits.push(permit);
                    }
                    Poll::Ready(Err(_)) => assert!(model.closed),
                    Poll::Pending => assert!(!model.closed && !model.has_room()),
                }
            }
            Op::UsePermit(v) => {
                if let Some(permit) = permits.pop() {
                    permit.put(v);
                    model.reserved -= 1;
                    model.push(v);
                }
            }
            Op::DropPermit => {
                if permits.pop().is_some() {
                    model.reserved -= 1;
                }
            }
            Op::TaskDone => match queue.task_done() {
                Ok(()) => model.unfinished -= 1,
                Err(_) => assert_eq!(model.unfinished, 0),
            },
            Op::Close => {
                assert_eq!(queue.close(), !model.closed);
                model.closed = true;
            }
            Op::CloseImmediate => {
                let drained = queue.close_immediate();
                let mut expected = Vec::new();
                while let Some(v) = model.pop() {
                    expected.push(v);
                }
                model.unfinished = model.unfinished.saturating_sub(expected.len());
                model.closed = true;
                assert_eq!(drained, expected);
            }
        }
        assert_eq!(queue.len(), model.items.len());
        assert_eq!(queue.unfinished_tasks(), model.unfinished);
        assert_eq!(queue.is_closed(), model.closed);
    }
    drop(pending);
    drop(permits);
});
