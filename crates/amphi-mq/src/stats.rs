//! The broker's counters: what came in, what went out, what the policies did.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

/// Live counters, updated with relaxed atomics on the hot path (one `fetch_add` each).
#[derive(Debug, Default)]
pub(crate) struct Stats {
    pub(crate) clients: AtomicU64,
    pub(crate) clients_total: AtomicU64,
    pub(crate) rejected: AtomicU64,
    pub(crate) bad_clients: AtomicU64,
    pub(crate) subscribers: AtomicU64,
    pub(crate) channels: AtomicU64,
    pub(crate) published: AtomicU64,
    pub(crate) bytes_in: AtomicU64,
    pub(crate) delivered: AtomicU64,
    pub(crate) bytes_out: AtomicU64,
    pub(crate) unrouted: AtomicU64,
    pub(crate) dropped: AtomicU64,
    pub(crate) slow_disconnects: AtomicU64,
    pub(crate) stalled_writes: AtomicU64,
    pub(crate) blocked: AtomicU64,
    pub(crate) undelivered: AtomicU64,
    pub(crate) channel_bytes: AtomicU64,
}

pub(crate) fn add(counter: &AtomicU64, n: u64) {
    counter.fetch_add(n, Relaxed);
}

pub(crate) fn sub(counter: &AtomicU64, n: u64) {
    counter.fetch_sub(n, Relaxed);
}

impl Stats {
    pub(crate) fn snapshot(&self) -> StatsSnapshot {
        StatsSnapshot {
            clients: self.clients.load(Relaxed),
            clients_total: self.clients_total.load(Relaxed),
            rejected: self.rejected.load(Relaxed),
            bad_clients: self.bad_clients.load(Relaxed),
            subscribers: self.subscribers.load(Relaxed),
            channels: self.channels.load(Relaxed),
            published: self.published.load(Relaxed),
            bytes_in: self.bytes_in.load(Relaxed),
            delivered: self.delivered.load(Relaxed),
            bytes_out: self.bytes_out.load(Relaxed),
            unrouted: self.unrouted.load(Relaxed),
            dropped: self.dropped.load(Relaxed),
            slow_disconnects: self.slow_disconnects.load(Relaxed),
            stalled_writes: self.stalled_writes.load(Relaxed),
            blocked: self.blocked.load(Relaxed),
            undelivered: self.undelivered.load(Relaxed),
            channel_bytes: self.channel_bytes.load(Relaxed),
        }
    }
}

/// A copy of the broker's counters at one moment.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StatsSnapshot {
    /// Clients connected now.
    pub clients: u64,
    /// Clients accepted since the start.
    pub clients_total: u64,
    /// Connections refused because `max_clients` were connected.
    pub rejected: u64,
    /// Clients dropped for bad input (oversized, truncated or garbage frames).
    pub bad_clients: u64,
    /// Subscriptions alive now (one per connected client that named its channel).
    pub subscribers: u64,
    /// Channels alive now: a channel is freed once it has no subscriber and holds no message.
    pub channels: u64,
    /// Messages received from publishers.
    pub published: u64,
    /// Payload bytes received from publishers.
    pub bytes_in: u64,
    /// Messages written to subscribers.
    pub delivered: u64,
    /// Payload bytes written to subscribers.
    pub bytes_out: u64,
    /// Messages published to a topic nobody subscribed to.
    pub unrouted: u64,
    /// Messages evicted by the drop-oldest policy.
    pub dropped: u64,
    /// Subscribers disconnected by the disconnect policy.
    pub slow_disconnects: u64,
    /// Clients dropped because a write made no progress within the write timeout.
    pub stalled_writes: u64,
    /// Waits of a channel for a subscriber's room (block policy), and 1 ms sleeps of
    /// publishers waiting for room in the channel queues (`max_channel_bytes`).
    pub blocked: u64,
    /// Messages the broker could not deliver: still queued when a shutdown's grace period
    /// ran out, or queued for a client that went away.
    pub undelivered: u64,
    /// Payload bytes held in channel queues now (bounded by `max_channel_bytes`).
    pub channel_bytes: u64,
}

impl fmt::Display for StatsSnapshot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "clients={} (total {}, rejected {}, bad {}) subs={} channels={} \
             published={} delivered={} unrouted={} dropped={} slow_disconnects={} \
             stalled={} blocked={} undelivered={} channel_bytes={}",
            self.clients,
            self.clients_total,
            self.rejected,
            self.bad_clients,
            self.subscribers,
            self.channels,
            self.published,
            self.delivered,
            self.unrouted,
            self.dropped,
            self.slow_disconnects,
            self.stalled_writes,
            self.blocked,
            self.undelivered,
            self.channel_bytes
        )
    }
}
