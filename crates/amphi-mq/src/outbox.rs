//! One client's bounded send queue, and why a client was dropped.

use std::fmt;
use std::net::Shutdown;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use amphi_queue::Queue;
use async_net::TcpStream;
use bytes::Bytes;

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

/// A client's send queue, shared by the channels it subscribes to and its writer task.
#[derive(Debug)]
pub(crate) struct Outbox {
    pub(crate) id: u64,
    pub(crate) queue: Queue<Bytes>,
    stream: TcpStream,
    reason: Mutex<Option<Reason>>,
}

impl Outbox {
    pub(crate) fn new(id: u64, capacity: usize, stream: TcpStream) -> Outbox {
        Outbox {
            id,
            queue: Queue::bounded(capacity.max(1)),
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

    /// Drops the client now: discards its queue and shuts its socket, which wakes both of its
    /// tasks. Returns how many queued messages were discarded.
    pub(crate) fn kick(&self, reason: Reason) -> usize {
        self.set_reason(reason);
        let discarded = self.queue.close_immediate().len();
        // The socket may be gone already; there is nothing more to do then.
        let _ = self.stream.shutdown(Shutdown::Both);
        discarded
    }
}
