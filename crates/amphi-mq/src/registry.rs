//! The channel registry: name to channel, created on first use, freed when idle, bounded in
//! number.
//!
//! A channel is freed (retired) once it has no subscriber and holds no message: its task
//! notices, and asks the registry to take it out of the map under the map's lock, where no
//! subscriber can join it meanwhile. A publisher that still holds the retired channel finds
//! its queue closed and routes again; a message that slipped into the queue between the
//! task's look and the close goes on to a new channel of the same name (a work queue) or is
//! counted unrouted (a topic nobody follows).

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use amphi_rt::{JoinHandle, Runtime};
use bytes::Bytes;

use crate::channel::{Channel, Ended};
use crate::config::{SlowPolicy, is_queue_channel};
use crate::outbox::Outbox;
use crate::stats::{Stats, add, sub};

type Channels = HashMap<Bytes, Arc<Channel>>;

/// All channels, and their delivery tasks.
#[derive(Debug)]
pub(crate) struct Registry {
    inner: Arc<Inner>,
}

/// What the registry and every channel task share.
#[derive(Debug)]
struct Inner {
    channels: Mutex<Channels>,
    tasks: Mutex<Vec<JoinHandle<u64>>>,
    /// Set (under the map's lock) by [`Registry::close_all`]: no channel retires after it,
    /// and one created after it is created closed.
    closing: AtomicBool,
    rt: Runtime,
    capacity: usize,
    max_channels: usize,
    policy: SlowPolicy,
    stats: Arc<Stats>,
}

/// The registry holds `max_channels` channels already.
#[derive(Debug)]
pub(crate) struct TooManyChannels;

impl Registry {
    pub(crate) fn new(
        rt: Runtime,
        capacity: usize,
        max_channels: usize,
        policy: SlowPolicy,
        stats: Arc<Stats>,
    ) -> Registry {
        Registry {
            inner: Arc::new(Inner {
                channels: Mutex::new(HashMap::new()),
                tasks: Mutex::new(Vec::new()),
                closing: AtomicBool::new(false),
                rt,
                capacity,
                max_channels,
                policy,
                stats,
            }),
        }
    }

    /// Subscribes `outbox` to the channel named `name`, created if missing. Under the map's
    /// lock, so the channel cannot retire between its lookup and the subscription.
    pub(crate) fn subscribe(
        &self,
        name: &[u8],
        outbox: Arc<Outbox>,
    ) -> Result<Arc<Channel>, TooManyChannels> {
        let mut channels = self.inner.lock();
        let channel = self.inner.get_or_create(&mut channels, name)?;
        channel.subscribe(outbox);
        Ok(channel)
    }

    /// Where a publisher's message to `name` goes: the channel, created if it is a work queue
    /// (which keeps messages for its first subscriber); `None` for a topic nobody follows.
    pub(crate) fn route(&self, name: &[u8]) -> Result<Option<Arc<Channel>>, TooManyChannels> {
        let mut channels = self.inner.lock();
        if is_queue_channel(name) {
            return self.inner.get_or_create(&mut channels, name).map(Some);
        }
        Ok(channels.get(name).cloned())
    }

    /// Closes every channel's queue; their tasks deliver what is left, then end.
    pub(crate) fn close_all(&self) {
        let channels = self.inner.lock();
        self.inner.closing.store(true, Ordering::Release);
        for channel in channels.values() {
            channel.close();
        }
    }

    /// Messages still waiting in channel queues.
    pub(crate) fn queued(&self) -> usize {
        self.inner.lock().values().map(|c| c.queued()).sum()
    }

    /// Takes the channel tasks, to await them: each returns the messages of its work queue
    /// that no worker could take at the close.
    pub(crate) fn take_tasks(&self) -> Vec<JoinHandle<u64>> {
        std::mem::take(
            &mut *self
                .inner
                .tasks
                .lock()
                .unwrap_or_else(PoisonError::into_inner),
        )
    }
}

impl Inner {
    fn lock(&self) -> MutexGuard<'_, Channels> {
        self.channels.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The channel named `name`, created (with its task) if missing.
    fn get_or_create(
        self: &Arc<Self>,
        channels: &mut Channels,
        name: &[u8],
    ) -> Result<Arc<Channel>, TooManyChannels> {
        if let Some(channel) = channels.get(name) {
            return Ok(Arc::clone(channel));
        }
        if channels.len() >= self.max_channels {
            return Err(TooManyChannels);
        }
        Ok(self.create(channels, Bytes::copy_from_slice(name)))
    }

    /// A new channel in the map, and its task.
    fn create(self: &Arc<Self>, channels: &mut Channels, name: Bytes) -> Arc<Channel> {
        let channel = Arc::new(Channel::new(name.clone(), self.capacity));
        if self.closing.load(Ordering::Acquire) {
            // Created during shutdown (a reader still finishing): its task drains and ends.
            channel.close();
        }
        channels.insert(name, Arc::clone(&channel));
        add(&self.stats.channels, 1);
        let task = self.rt.spawn(Arc::clone(self).serve(Arc::clone(&channel)));
        let mut tasks = self.tasks.lock().unwrap_or_else(PoisonError::into_inner);
        tasks.retain(|t| !t.is_finished());
        tasks.push(task);
        channel
    }

    /// A channel's task: delivers until the channel closes (returning what a work queue
    /// could not hand to anybody) or retires.
    async fn serve(self: Arc<Self>, channel: Arc<Channel>) -> u64 {
        loop {
            match Arc::clone(&channel)
                .run(self.policy, Arc::clone(&self.stats))
                .await
            {
                Ended::Closed { stranded } => return stranded,
                Ended::Idle => {
                    if self.retire(&channel) {
                        return 0;
                    }
                    // Somebody subscribed or published meanwhile: deliver on.
                }
            }
        }
    }

    /// Takes an idle channel out of the map and closes it; `false` (and nothing done) if it
    /// is not idle after all, or the broker is shutting down. Called by the channel's own
    /// task, between batches: it holds no message.
    fn retire(self: &Arc<Self>, channel: &Arc<Channel>) -> bool {
        let mut channels = self.lock();
        if self.closing.load(Ordering::Acquire)
            || !channels
                .get(&channel.name)
                .is_some_and(|c| Arc::ptr_eq(c, channel))
            || !channel.is_idle()
        {
            return false;
        }
        channels.remove(&channel.name);
        sub(&self.stats.channels, 1);
        // A publisher holding the channel may have put a message since the look above.
        let left = channel.retire();
        self.rehome(&mut channels, channel, left);
        true
    }

    /// What publishers put into `retired`'s queue after its last look: a work queue's go to a
    /// new channel of the same name, in order, ahead of anything its publishers put next
    /// (their puts to the retired one fail and route again); a topic's had no subscriber,
    /// and are counted unrouted.
    fn rehome(self: &Arc<Self>, channels: &mut Channels, retired: &Channel, left: Vec<Bytes>) {
        if left.is_empty() {
            return;
        }
        if !retired.is_queue {
            for msg in left {
                sub(&self.stats.channel_bytes, msg.len() as u64);
                add(&self.stats.unrouted, 1);
            }
            return;
        }
        let next = self.create(channels, retired.name.clone());
        for msg in left {
            // It has room (these came out of a queue of the same capacity) and is open
            // (retiring stops once shutdown begins); counted, not lost, if that ever changes.
            if let Err(err) = next.inbox.try_put(msg) {
                sub(&self.stats.channel_bytes, err.into_inner().len() as u64);
                add(&self.stats.undelivered, 1);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A registry whose channel tasks never run (an executor nobody drives), so a test sees
    /// exactly what is in each queue.
    fn registry() -> Registry {
        let idle = Runtime::smol_with(Arc::new(smol::Executor::new()));
        Registry::new(idle, 8, 16, SlowPolicy::DropOldest, Arc::default())
    }

    /// Retires `name` as its task would, with `late` put into its queue after the look.
    fn retire_with_late_puts(registry: &Registry, name: &[u8], late: &[&'static [u8]]) {
        let inner = &registry.inner;
        let mut channels = inner.lock();
        let old = channels.remove(name).expect("the channel exists");
        sub(&inner.stats.channels, 1);
        for msg in late {
            add(&inner.stats.channel_bytes, msg.len() as u64);
            old.inbox.try_put(Bytes::from_static(msg)).expect("room");
        }
        let left = old.retire();
        assert!(old.is_retired() && old.inbox.is_closed());
        inner.rehome(&mut channels, &old, left);
    }

    #[test]
    fn a_work_queues_late_messages_go_to_its_successor_in_order() {
        let registry = registry();
        let old = registry.route(b"/queue/x").unwrap().expect("made");
        retire_with_late_puts(&registry, b"/queue/x", &[b"1", b"22"]);
        let next = registry.route(b"/queue/x").unwrap().expect("made again");
        assert!(!Arc::ptr_eq(&old, &next), "a new channel");
        assert_eq!(next.inbox.try_get().unwrap(), &b"1"[..]);
        assert_eq!(next.inbox.try_get().unwrap(), &b"22"[..]);
        let stats = registry.inner.stats.snapshot();
        assert_eq!((stats.channels, stats.channel_bytes), (1, 3), "{stats}");
        assert_eq!(stats.undelivered + stats.unrouted, 0, "{stats}");
    }

    #[test]
    fn a_topics_late_messages_are_counted_unrouted() {
        let registry = registry();
        let mut channels = registry.inner.lock();
        registry
            .inner
            .get_or_create(&mut channels, b"/topic/t")
            .unwrap();
        drop(channels);
        retire_with_late_puts(&registry, b"/topic/t", &[b"1", b"22"]);
        assert!(registry.route(b"/topic/t").unwrap().is_none(), "freed");
        let stats = registry.inner.stats.snapshot();
        assert_eq!((stats.channels, stats.channel_bytes), (0, 0), "{stats}");
        assert_eq!(stats.unrouted, 2, "{stats}");
    }

    #[test]
    fn nothing_retires_once_shutdown_began() {
        let registry = registry();
        let channel = registry.route(b"/queue/x").unwrap().expect("made");
        registry.close_all();
        assert!(!registry.inner.retire(&channel), "retired during shutdown");
        let late = registry.route(b"/queue/late").unwrap().expect("made");
        assert!(
            late.inbox.is_closed(),
            "a channel made during shutdown is made closed"
        );
    }
}
