//! A channel: its bounded queue, its subscribers, and the task that delivers from one to the other.
//!
//! Publishers put into the channel's queue and go back to reading; the channel's task takes
//! messages out in batches and offers each to the subscribers' send queues under the slow
//! subscriber policy. With the two isolating policies that offer never waits, so a stalled
//! subscriber costs the others nothing.

use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use amphi_queue::Queue;
use bytes::Bytes;
use futures_lite::future;

use crate::config::{SlowPolicy, is_queue_channel};
use crate::outbox::Outbox;
use crate::stats::{Stats, add, sub};

/// The most messages the channel task takes out of its queue per wake-up.
const BATCH: usize = 256;

/// One channel.
#[derive(Debug)]
pub(crate) struct Channel {
    pub(crate) name: Bytes,
    pub(crate) is_queue: bool,
    /// Messages published to this channel, not yet handed to subscribers.
    pub(crate) inbox: Queue<Bytes>,
    subscribers: Mutex<Vec<Arc<Outbox>>>,
    /// Bumped on every change of `subscribers`, so the task re-reads the list only then.
    version: AtomicU64,
    /// Wakes the task when the subscribers change: a work queue's waiting for its first
    /// one, and an idle channel's, to see whether the last one left.
    wake: Queue<()>,
    /// Messages the task has taken out of `inbox` and not yet handed on: queued too.
    held: AtomicUsize,
    /// Taken out of the registry: its queue is closed, and a publisher routes again.
    retired: AtomicBool,
}

/// Why [`Channel::run`] returned.
#[derive(Debug)]
pub(crate) enum Ended {
    /// The inbox closed (shutdown) and is drained: the messages of a work queue that no
    /// worker could take.
    Closed { stranded: u64 },
    /// The last subscriber left and nothing is queued: the registry may free the channel.
    Idle,
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
            held: AtomicUsize::new(0),
            retired: AtomicBool::new(false),
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
        let mut subs = self
            .subscribers
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        subs.retain(|s| s.id != id);
        let nobody = subs.is_empty();
        drop(subs);
        self.version.fetch_add(1, Ordering::Release);
        if nobody {
            // The task looks whether the channel is idle, and may retire it.
            let _ = self.wake.try_put(());
        }
    }

    /// No subscriber, no message: the registry may retire it (checked under its lock).
    pub(crate) fn is_idle(&self) -> bool {
        let subs = self
            .subscribers
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        subs.is_empty() && self.inbox.is_empty() && self.held.load(Ordering::Relaxed) == 0
    }

    /// Whether the registry took the channel out: a publisher holding it routes again.
    pub(crate) fn is_retired(&self) -> bool {
        self.retired.load(Ordering::Acquire)
    }

    /// Marks the channel retired and closes it; returns what publishers put into its queue
    /// since the registry's last look (usually nothing).
    pub(crate) fn retire(&self) -> Vec<Bytes> {
        self.retired.store(true, Ordering::Release);
        self.wake.close();
        self.inbox.close_immediate()
    }

    /// Messages waiting in this channel: in its queue and in its task's hands.
    pub(crate) fn queued(&self) -> usize {
        self.inbox.len() + self.held.load(Ordering::Relaxed)
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

    /// The channel's task: runs until the inbox is closed and drained, returning how many
    /// messages of a work queue it could not hand to anybody at the close (no worker came:
    /// counted `undelivered`, and in the shutdown report), or until the channel is idle
    /// (between batches, so it holds no message).
    pub(crate) async fn run(self: Arc<Self>, policy: SlowPolicy, stats: Arc<Stats>) -> Ended {
        let mut batch = Vec::with_capacity(BATCH);
        let mut subs: Vec<Arc<Outbox>> = Vec::new();
        let mut seen = u64::MAX;
        let mut next = 0usize;
        let mut stranded = 0;
        // Until the wake-up queue closes (shutdown, or retirement).
        let mut watch = true;
        // Woken with nobody subscribed but messages queued: look again once they are out
        // (the wake-up was taken; none comes for them).
        let mut look_again = false;
        loop {
            if look_again && self.inbox.is_empty() {
                look_again = false;
                if self.is_idle() {
                    return Ended::Idle;
                }
            }
            let event = if watch {
                // Both gets are cancel-safe: the one that loses keeps its item.
                future::or(
                    async { Event::Message(self.inbox.get().await.ok()) },
                    async { Event::Changed(self.wake.get().await.is_ok()) },
                )
                .await
            } else {
                Event::Message(self.inbox.get().await.ok())
            };
            match event {
                Event::Message(Some(msg)) => batch.push(msg),
                Event::Message(None) => break,
                Event::Changed(true) => {
                    if self.is_idle() {
                        return Ended::Idle;
                    }
                    look_again = true;
                    continue;
                }
                Event::Changed(false) => {
                    watch = false;
                    continue;
                }
            }
            while batch.len() < BATCH {
                match self.inbox.try_get() {
                    Ok(msg) => batch.push(msg),
                    Err(_) => break,
                }
            }
            self.held.store(batch.len(), Ordering::Relaxed);
            for msg in batch.drain(..) {
                let len = msg.len() as u64;
                if self.is_queue {
                    if self
                        .hand_to_a_worker(msg, &mut subs, &mut seen, &mut next, policy, &stats)
                        .await
                        .is_err()
                    {
                        // Closed with no worker: nobody will take it.
                        add(&stats.undelivered, 1);
                        stranded += 1;
                    }
                } else {
                    self.refresh(&mut seen, &mut subs);
                    if subs.is_empty() {
                        add(&stats.unrouted, 1);
                    }
                    for sub in &subs {
                        if sub.offer(msg.clone(), policy, &stats).await.is_err() {
                            // The subscriber left meanwhile: its copy has nowhere to go.
                            add(&stats.undelivered, 1);
                        }
                    }
                }
                // Out of the channel's hands (into send queues, or counted above).
                sub(&stats.channel_bytes, len);
                self.held.fetch_sub(1, Ordering::Relaxed);
            }
        }
        tracing::debug!(channel = %String::from_utf8_lossy(&self.name), "channel closed");
        Ended::Closed { stranded }
    }

    /// Gives `msg` of a work queue to one worker (round robin). A worker whose send queue
    /// closed meanwhile (it left, or was dropped) is skipped and the message goes to the
    /// next; with no worker it waits for one. `Err` only when the channel closed with no
    /// worker.
    async fn hand_to_a_worker(
        &self,
        msg: Bytes,
        subs: &mut Vec<Arc<Outbox>>,
        seen: &mut u64,
        next: &mut usize,
        policy: SlowPolicy,
        stats: &Stats,
    ) -> Result<(), Bytes> {
        let mut msg = msg;
        loop {
            self.refresh(seen, subs);
            // A worker that left stays listed until its connection has ended.
            subs.retain(|s| !s.queue.is_closed());
            while subs.is_empty() {
                // A work queue keeps its messages until somebody comes to take them.
                if self.wake.get().await.is_err() {
                    return Err(msg);
                }
                self.refresh(seen, subs);
                subs.retain(|s| !s.queue.is_closed());
            }
            match round_robin(subs, *next, msg, policy, stats).await {
                Ok(at) => {
                    *next = at;
                    return Ok(());
                }
                Err(back) => msg = back,
            }
        }
    }
}

/// What woke a channel's task.
enum Event {
    /// A message, or `None` once the inbox is closed and drained.
    Message(Option<Bytes>),
    /// The subscribers changed (`true`), or the wake-up queue closed (`false`).
    Changed(bool),
}

/// Gives `msg` to one subscriber, starting at `next` and preferring one with room; returns
/// where the next message starts, or the message if the one whose turn it was had closed.
async fn round_robin(
    subs: &[Arc<Outbox>],
    next: usize,
    msg: Bytes,
    policy: SlowPolicy,
    stats: &Stats,
) -> Result<usize, Bytes> {
    let n = subs.len();
    let mut msg = msg;
    for i in 0..n {
        let at = (next + i) % n;
        match subs[at].try_offer(msg) {
            Ok(()) => return Ok((at + 1) % n),
            Err(m) => msg = m,
        }
    }
    // Everyone is full (or gone): the policy decides, for the one whose turn it is.
    let at = next % n;
    subs[at].offer(msg, policy, stats).await?;
    Ok((at + 1) % n)
}
