//! A channel: its bounded queue, its subscribers, and the task that delivers from one to the other.
//!
//! Publishers put into the channel's queue and go back to reading; the channel's task takes
//! messages out in batches and offers each to the subscribers' send queues under the slow
//! subscriber policy. With the two isolating policies that offer never waits, so a stalled
//! subscriber costs the others nothing.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use amphi_queue::Queue;
use bytes::Bytes;

use crate::config::{SlowPolicy, is_queue_channel};
use crate::outbox::Outbox;
use crate::stats::{Stats, add, sub};

/// The most messages the channel task takes out of its queue per wake-up.
const BATCH: usize = 256;

/// One channel.
#[derive(Debug)]
pub(crate) struct Channel {
    pub(crate) name: Bytes,
    is_queue: bool,
    /// Messages published to this channel, not yet handed to subscribers.
    pub(crate) inbox: Queue<Bytes>,
    subscribers: Mutex<Vec<Arc<Outbox>>>,
    /// Bumped on every change of `subscribers`, so the task re-reads the list only then.
    version: AtomicU64,
    /// Wakes the task of a work-queue channel waiting for its first subscriber.
    wake: Queue<()>,
}

impl Channel {
    pub(crate) fn new(name: Bytes, capacity: usize) -> Channel {
        Channel {
            is_queue: is_queue_channel(&name),
            name,
            inbox: Queue::bounded(capacity.max(1)),
            subscribers: Mutex::new(Vec::new()),
            version: AtomicU64::new(0),
            wake: Queue::bounded(1),
        }
    }

    pub(crate) fn subscribe(&self, outbox: Arc<Outbox>) {
        self.subscribers
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(outbox);
        self.version.fetch_add(1, Ordering::Release);
        // A full wake queue already holds the wake-up; a closed one means shutdown.
        let _ = self.wake.try_put(());
    }

    pub(crate) fn unsubscribe(&self, id: u64) {
        self.subscribers
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .retain(|s| s.id != id);
        self.version.fetch_add(1, Ordering::Release);
    }

    /// Closes the inbox (the task drains it, then ends) and the wake-up queue.
    pub(crate) fn close(&self) {
        self.inbox.close();
        self.wake.close();
    }

    fn refresh(&self, seen: &mut u64, list: &mut Vec<Arc<Outbox>>) {
        let now = self.version.load(Ordering::Acquire);
        if now != *seen {
            let subs = self
                .subscribers
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            list.clear();
            list.extend(subs.iter().cloned());
            *seen = now;
        }
    }

    /// The channel's task: runs until the inbox is closed and drained.
    pub(crate) async fn run(self: Arc<Self>, policy: SlowPolicy, stats: Arc<Stats>) {
        let mut batch = Vec::with_capacity(BATCH);
        let mut subs: Vec<Arc<Outbox>> = Vec::new();
        let mut seen = u64::MAX;
        let mut next = 0usize;
        loop {
            match self.inbox.get().await {
                Ok(msg) => batch.push(msg),
                Err(_) => break,
            }
            while batch.len() < BATCH {
                match self.inbox.try_get() {
                    Ok(msg) => batch.push(msg),
                    Err(_) => break,
                }
            }
            self.refresh(&mut seen, &mut subs);
            // A work queue keeps its messages until somebody comes to take them.
            while self.is_queue && subs.is_empty() {
                if self.wake.get().await.is_err() {
                    break;
                }
                self.refresh(&mut seen, &mut subs);
            }
            for msg in batch.drain(..) {
                // Out of the channel's hands (into send queues, or nowhere).
                sub(&stats.channel_bytes, msg.len() as u64);
                if subs.is_empty() {
                    add(&stats.unrouted, 1);
                } else if self.is_queue {
                    next = round_robin(&subs, next, msg, policy, &stats).await;
                } else {
                    for sub in &subs {
                        sub.offer(msg.clone(), policy, &stats).await;
                    }
                }
            }
        }
        tracing::debug!(channel = %String::from_utf8_lossy(&self.name), "channel closed");
    }
}

/// Gives `msg` to one subscriber, starting at `next` and preferring one with room; returns
/// where the next message starts.
async fn round_robin(
    subs: &[Arc<Outbox>],
    next: usize,
    msg: Bytes,
    policy: SlowPolicy,
    stats: &Stats,
) -> usize {
    let n = subs.len();
    let mut msg = msg;
    for i in 0..n {
        let at = (next + i) % n;
        match subs[at].try_offer(msg) {
            Ok(()) => return (at + 1) % n,
            Err(m) => msg = m,
        }
    }
    // Everyone is full (or gone): the policy decides, for the one whose turn it is.
    let at = next % n;
    subs[at].offer(msg, policy, stats).await;
    (at + 1) % n
}
