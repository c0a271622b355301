//! One client's bounded send queue, and why a client was dropped.

use std::fmt;
use std::net::Shutdown;
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use amphi_queue::{Queue, TryPutError};
use async_net::TcpStream;
use bytes::Bytes;

use crate::config::SlowPolicy;
use crate::stats::{Stats, add};

/// Why the broker let go of a client. Logged, one line per client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Reason {
    /// The client closed its connection between messages.
    Closed,
    /// The client sent a zero-length frame where a channel name was expected.
    Goodbye,
    /// The client declared a frame longer than the limit.
    FrameTooLarge(String),
    /// The connection ended in the middle of a frame.
    Truncated,
    /// The connection ended between a channel name and its payload.
    MissingPayload,
    /// A channel name longer than the limit (garbage on the wire).
    BadChannel(usize),
    /// Too many channels exist already.
    TooManyChannels,
    /// Its send queue was full under the disconnect policy.
    SlowConsumer(usize),
    /// A write made no progress within the write timeout.
    WriteStalled(Duration),
    /// Reading or writing failed.
    Io(String),
    /// The broker shut down.
    Shutdown,
}

impl Reason {
    /// Whether the client behaved (a clean goodbye or close, or the broker's own shutdown).
    pub(crate) fn is_clean(&self) -> bool {
        matches!(self, Reason::Closed | Reason::Goodbye | Reason::Shutdown)
    }
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Reason::Closed => f.write_str("closed the connection"),
            Reason::Goodbye => f.write_str("said goodbye (zero-length frame)"),
            Reason::FrameTooLarge(why) => write!(f, "oversized frame: {why}"),
            Reason::Truncated => f.write_str("disconnected in the middle of a frame"),
            Reason::MissingPayload => {
                f.write_str("disconnected after a channel name, before its payload")
            }
            Reason::BadChannel(len) => write!(f, "garbage: a {len}-byte channel name"),
            Reason::TooManyChannels => f.write_str("too many channels"),
            Reason::SlowConsumer(cap) => {
                write!(f, "slow consumer: send queue full ({cap} messages)")
            }
            Reason::WriteStalled(t) => write!(f, "not reading: no write progress for {t:?}"),
            Reason::Io(err) => write!(f, "i/o error: {err}"),
            Reason::Shutdown => f.write_str("broker shutting down"),
        }
    }
}

/// The largest send queue kept in a preallocated ring (160 KiB a connection); larger ones
/// allocate as messages are queued.
pub(crate) const RING_MAX_SLOTS: usize = 4096;

/// A client's send queue, shared by the channels it subscribes to and its writer task.
#[derive(Debug)]
pub(crate) struct Outbox {
    pub(crate) id: u64,
    pub(crate) queue: Queue<Bytes>,
    /// Payload bytes in `queue`: added before a put, taken off after a get.
    pending: AtomicUsize,
    budget: usize,
    stream: TcpStream,
    reason: Mutex<Option<Reason>>,
}

impl Outbox {
    pub(crate) fn new(id: u64, capacity: usize, budget: usize, stream: TcpStream) -> Outbox {
        Outbox {
            id,
            // A ring allocates every slot at connect, before the client sends a byte (40
            // bytes a slot: 2.5 MiB at the default capacity); above `RING_MAX_SLOTS` the
            // queue grows with what is queued instead, for about 5% of throughput.
            queue: if capacity <= RING_MAX_SLOTS {
                Queue::bounded(capacity.max(1))
            } else {
                Queue::bounded_on_demand(capacity)
            },
            pending: AtomicUsize::new(0),
            budget,
            stream,
            reason: Mutex::new(None),
        }
    }

    /// Records `reason` unless one is recorded already; returns whether it was the first.
    pub(crate) fn set_reason(&self, reason: Reason) -> bool {
        let mut slot = self.reason.lock().unwrap_or_else(PoisonError::into_inner);
        if slot.is_none() {
            *slot = Some(reason);
            true
        } else {
            false
        }
    }

    pub(crate) fn reason(&self) -> Option<Reason> {
        self.reason
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Stops reading from the client (the reader sees the end of its stream); writing goes on.
    pub(crate) fn stop_reading(&self) {
        // The socket may be gone already; there is nothing more to do then.
        let _ = self.stream.shutdown(Shutdown::Read);
    }

    /// Drops the client now: discards its queue and shuts its socket, which wakes both of its
    /// tasks. Returns how many queued messages were discarded.
    pub(crate) fn kick(&self, reason: Reason) -> usize {
        self.set_reason(reason);
        let discarded = self.queue.close_immediate().len();
        // The socket may be gone already; there is nothing more to do then.
        let _ = self.stream.shutdown(Shutdown::Both);
        discarded
    }

    /// The writer took messages of `bytes` payload bytes out of the queue.
    pub(crate) fn took(&self, bytes: usize) {
        self.pending.fetch_sub(bytes, Relaxed);
    }

    /// Queues `msg` if there is room (in messages and in bytes); hands it back otherwise.
    pub(crate) fn try_offer(&self, msg: Bytes) -> Result<(), Bytes> {
        let len = msg.len();
        if self.pending.fetch_add(len, Relaxed) + len > self.budget {
            self.pending.fetch_sub(len, Relaxed);
            return Err(msg);
        }
        self.queue.try_put(msg).map_err(|err| {
            self.pending.fetch_sub(len, Relaxed);
            err.into_inner()
        })
    }

    /// Queues `msg` under `policy`. Waits only under [`SlowPolicy::Block`]. `Err` hands the
    /// message back when this subscriber's queue is closed (it left, or was dropped): the
    /// caller decides where it goes. A message the policy drops is counted here and is
    /// not handed back.
    pub(crate) async fn offer(
        &self,
        msg: Bytes,
        policy: SlowPolicy,
        stats: &Stats,
    ) -> Result<(), Bytes> {
        let len = msg.len();
        match policy {
            SlowPolicy::DropOldest => {
                let mut pending = self.pending.fetch_add(len, Relaxed) + len;
                match self.queue.force_put(msg) {
                    Err(closed) => {
                        self.pending.fetch_sub(len, Relaxed);
                        return Err(closed.into_inner());
                    }
                    Ok(Some(evicted)) => {
                        pending = self.pending.fetch_sub(evicted.len(), Relaxed) - evicted.len();
                        add(&stats.dropped, 1);
                    }
                    Ok(None) => {}
                }
                // Over the byte budget: evict the oldest until under it.
                while pending > self.budget {
                    let Ok(old) = self.queue.try_get() else {
                        break;
                    };
                    pending = self.pending.fetch_sub(old.len(), Relaxed) - old.len();
                    add(&stats.dropped, 1);
                }
            }
            SlowPolicy::Disconnect => {
                if self.queue.is_closed() {
                    return Err(msg);
                }
                match self.try_offer(msg) {
                    Ok(()) => {}
                    Err(msg) if self.queue.is_closed() => return Err(msg),
                    Err(_dropped) => {
                        let why = Reason::SlowConsumer(self.queue.capacity().unwrap_or(0));
                        if self.set_reason(why.clone()) {
                            add(&stats.slow_disconnects, 1);
                        }
                        add(&stats.dropped, self.kick(why) as u64 + 1);
                    }
                }
            }
            SlowPolicy::Block => {
                self.pending.fetch_add(len, Relaxed);
                match self.queue.try_put(msg) {
                    Ok(()) => {}
                    Err(TryPutError::Closed(msg)) => {
                        self.pending.fetch_sub(len, Relaxed);
                        return Err(msg);
                    }
                    Err(TryPutError::Full(msg)) => {
                        add(&stats.blocked, 1);
                        if let Err(left) = self.queue.put(msg).await {
                            // The subscriber left meanwhile.
                            self.pending.fetch_sub(len, Relaxed);
                            return Err(left.into_inner());
                        }
                    }
                }
            }
        }
        Ok(())
    }
}
