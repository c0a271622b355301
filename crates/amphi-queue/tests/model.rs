//! Property tests: any sequence of non-waiting operations behaves like a simple model
//! (a `VecDeque` for FIFO and LIFO, for priority a `VecDeque` scanned for its smallest item, oldest first among equals).

use std::collections::VecDeque;

use amphi_queue::{GetError, Queue, TryGetError, TryPutError};
use proptest::prelude::*;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Flavor {
    Fifo,
    /// FIFO whose bounded form is `Queue::bounded_on_demand` (the locked buffer).
    FifoOnDemand,
    Lifo,
    Priority,
}

#[derive(Debug, Clone)]
enum Op {
    TryPut(u8),
    ForcePut(u8),
    TryGet,
    TaskDone,
    Close,
    CloseImmediate,
    ReservePut(u8),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        6 => any::<u8>().prop_map(Op::TryPut),
        2 => any::<u8>().prop_map(Op::ForcePut),
        6 => Just(Op::TryGet),
        3 => Just(Op::TaskDone),
        1 => Just(Op::Close),
        1 => Just(Op::CloseImmediate),
        2 => any::<u8>().prop_map(Op::ReservePut),
    ]
}

/// The model: items with their insertion number, in insertion order.
struct Model {
    flavor: Flavor,
    cap: usize,
    items: VecDeque<(u8, u64)>,
    seq: u64,
    closed: bool,
    unfinished: usize,
}

impl Model {
    fn push(&mut self, item: u8) {
        self.items.push_back((item, self.seq));
        self.seq += 1;
        self.unfinished += 1;
    }

    /// Index of the next item to get.
    fn next_index(&self) -> Option<usize> {
        if self.items.is_empty() {
            return None;
        }
        Some(match self.flavor {
            Flavor::Fifo | Flavor::FifoOnDemand => 0,
            Flavor::Lifo => self.items.len() - 1,
            Flavor::Priority => {
                let min = self.items.iter().map(|&(v, s)| (v, s)).min()?;
                self.items.iter().position(|&x| x == min)?
            }
        })
    }

    fn pop(&mut self) -> Option<u8> {
        let i = self.next_index()?;
        self.items.remove(i).map(|(v, _)| v)
    }

    fn evict(&mut self) -> Option<u8> {
        match self.flavor {
            Flavor::Fifo | Flavor::FifoOnDemand | Flavor::Lifo => {
                self.items.pop_front().map(|(v, _)| v)
            }
            Flavor::Priority => {
                let max = self.items.iter().copied().max()?;
                let i = self.items.iter().position(|&x| x == max)?;
                self.items.remove(i).map(|(v, _)| v)
            }
        }
    }
}

fn check(flavor: Flavor, cap: Option<usize>, ops: Vec<Op>) -> Result<(), TestCaseError> {
    let queue = match (flavor, cap) {
        (Flavor::Fifo, Some(c)) => Queue::bounded(c),
        (Flavor::FifoOnDemand, Some(c)) => Queue::bounded_on_demand(c),
        (Flavor::Fifo | Flavor::FifoOnDemand, None) => Queue::unbounded(),
        (Flavor::Lifo, Some(c)) => Queue::lifo(c),
        (Flavor::Lifo, None) => Queue::lifo_unbounded(),
        (Flavor::Priority, Some(c)) => Queue::priority(c),
        (Flavor::Priority, None) => Queue::priority_unbounded(),
    };
    let mut model = Model {
        flavor,
        cap: cap.unwrap_or(usize::MAX),
        items: VecDeque::new(),
        seq: 0,
        closed: false,
        unfinished: 0,
    };
    for op in ops {
        match op {
            Op::TryPut(v) => {
                let got = queue.try_put(v);
                if model.closed {
                    prop_assert_eq!(got, Err(TryPutError::Closed(v)));
                } else if model.items.len() >= model.cap {
                    prop_assert_eq!(got, Err(TryPutError::Full(v)));
                } else {
                    prop_assert_eq!(got, Ok(()));
                    model.push(v);
                }
            }
            Op::ForcePut(v) => {
                let got = queue.force_put(v).map_err(|e| e.into_inner());
                if model.closed {
                    prop_assert_eq!(got, Err(v));
                } else {
                    let evicted = if model.items.len() >= model.cap {
                        let e = model.evict();
                        model.unfinished = model.unfinished.saturating_sub(1);
                        e
                    } else {
                        None
                    };
                    model.push(v);
                    prop_assert_eq!(got, Ok(evicted));
                }
            }
            Op::TryGet => {
                let got = queue.try_get();
                match model.pop() {
                    Some(v) => prop_assert_eq!(got, Ok(v)),
                    None if model.closed => prop_assert_eq!(got, Err(TryGetError::Closed)),
                    None => prop_assert_eq!(got, Err(TryGetError::Empty)),
                }
            }
            Op::TaskDone => {
                let got = queue.task_done();
                if model.unfinished == 0 {
                    prop_assert!(got.is_err());
                } else {
                    prop_assert!(got.is_ok());
                    model.unfinished -= 1;
                }
            }
            Op::Close => {
                prop_assert_eq!(queue.close(), !model.closed);
                model.closed = true;
            }
            Op::CloseImmediate => {
                let got = queue.close_immediate();
                let mut expected = Vec::new();
                while let Some(v) = model.pop() {
                    expected.push(v);
                }
                model.unfinished = model.unfinished.saturating_sub(expected.len());
                model.closed = true;
                prop_assert_eq!(got, expected);
            }
            Op::ReservePut(v) => {
                let got = futures_lite::future::block_on(futures_lite::future::poll_once(
                    queue.reserve(),
                ));
                match got {
                    Some(Ok(permit)) => {
                        prop_assert!(!model.closed && model.items.len() < model.cap);
                        permit.put(v);
                        model.push(v);
                    }
                    Some(Err(_)) => prop_assert!(model.closed),
                    None => prop_assert!(!model.closed && model.items.len() >= model.cap),
                }
            }
        }
        prop_assert_eq!(queue.len(), model.items.len());
        prop_assert_eq!(queue.unfinished_tasks(), model.unfinished);
        prop_assert_eq!(queue.is_closed(), model.closed);
    }
    // Draining after close yields exactly the model's remaining items.
    queue.close();
    while let Some(v) = model.pop() {
        prop_assert_eq!(queue.try_get(), Ok(v));
    }
    prop_assert_eq!(futures_lite::future::block_on(queue.get()), Err(GetError));
    Ok(())
}

fn flavor() -> impl Strategy<Value = Flavor> {
    prop_oneof![
        Just(Flavor::Fifo),
        Just(Flavor::FifoOnDemand),
        Just(Flavor::Lifo),
        Just(Flavor::Priority)
    ]
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: if cfg!(miri) { 8 } else { 512 },
        ..ProptestConfig::default()
    })]

    #[test]
    fn matches_the_model(
        flavor in flavor(),
        cap in prop::option::of(1usize..6),
        ops in prop::collection::vec(op(), 0..120),
    ) {
        check(flavor, cap, ops)?;
    }
}
