//! The channel registry: name to channel, created on first use, bounded in number.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use amphi_rt::{JoinHandle, Runtime};
use bytes::Bytes;

use crate::channel::Channel;
use crate::config::{SlowPolicy, is_queue_channel};
use crate::stats::{Stats, add};

/// All channels, and their delivery tasks.
#[derive(Debug)]
pub(crate) struct Registry {
    channels: Mutex<HashMap<Bytes, Arc<Channel>>>,
    tasks: Mutex<Vec<JoinHandle<u64>>>,
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
            channels: Mutex::new(HashMap::new()),
            tasks: Mutex::new(Vec::new()),
            rt,
            capacity,
            max_channels,
            policy,
            stats,
        }
    }

    /// The channel named `name`, created (with its task) if missing.
    pub(crate) fn get_or_create(&self, name: &[u8]) -> Result<Arc<Channel>, TooManyChannels> {
        let mut channels = self.channels.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(channel) = channels.get(name) {
            return Ok(Arc::clone(channel));
        }
        if channels.len() >= self.max_channels {
            return Err(TooManyChannels);
        }
        let name = Bytes::copy_from_slice(name);
        let channel = Arc::new(Channel::new(name.clone(), self.capacity));
        channels.insert(name, Arc::clone(&channel));
        add(&self.stats.channels, 1);
        let task = self
            .rt
            .spawn(Arc::clone(&channel).run(self.policy, Arc::clone(&self.stats)));
        let mut tasks = self.tasks.lock().unwrap_or_else(PoisonError::into_inner);
        tasks.retain(|t| !t.is_finished());
        tasks.push(task);
        Ok(channel)
    }

    /// Where a publisher's message to `name` goes: the channel, created if it is a work queue
    /// (which keeps messages for its first subscriber); `None` for a topic nobody follows.
    pub(crate) fn route(&self, name: &[u8]) -> Result<Option<Arc<Channel>>, TooManyChannels> {
        if is_queue_channel(name) {
            return self.get_or_create(name).map(Some);
        }
        let channels = self.channels.lock().unwrap_or_else(PoisonError::into_inner);
        Ok(channels.get(name).cloned())
    }

    /// Closes every channel's queue; their tasks deliver what is left, then end.
    pub(crate) fn close_all(&self) {
        let channels = self.channels.lock().unwrap_or_else(PoisonError::into_inner);
        for channel in channels.values() {
            channel.close();
        }
    }

    /// Messages still waiting in channel queues.
    pub(crate) fn queued(&self) -> usize {
        let channels = self.channels.lock().unwrap_or_else(PoisonError::into_inner);
        channels.values().map(|c| c.queued()).sum()
    }

    /// Takes the channel tasks, to await them: each returns the messages of its work queue
    /// that no worker could take at the close.
    pub(crate) fn take_tasks(&self) -> Vec<JoinHandle<u64>> {
        std::mem::take(&mut *self.tasks.lock().unwrap_or_else(PoisonError::into_inner))
    }
}
