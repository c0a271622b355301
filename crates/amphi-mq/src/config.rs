//! The broker's limits and policies, each with a default and a command-line flag.

use std::fmt;
use std::net::SocketAddr;
use std::time::Duration;

/// The default address `serve` listens on: loopback only.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:25000";

/// The default largest frame accepted or sent: 1 MiB (NATS's default max payload).
pub const DEFAULT_MAX_FRAME: usize = 1024 * 1024;

/// The default most clients connected at once.
pub const DEFAULT_MAX_CLIENTS: usize = 4096;

/// The default capacity, in messages, of each client's send queue.
pub const DEFAULT_QUEUE_CAPACITY: usize = 65_536;

/// The default most payload bytes queued for one client (NATS allows 64 MiB).
pub const DEFAULT_MAX_PENDING: usize = 8 * 1024 * 1024;

/// The default capacity, in messages, of each channel's queue.
pub const DEFAULT_CHANNEL_CAPACITY: usize = 1024;

/// The default most payload bytes held in channel queues, all channels together.
pub const DEFAULT_MAX_CHANNEL_BYTES: usize = 512 * 1024 * 1024;

/// The default most channels alive at once.
pub const DEFAULT_MAX_CHANNELS: usize = 65_536;

/// The default grace period of a graceful shutdown.
pub const DEFAULT_GRACE: Duration = Duration::from_secs(5);

/// The default time a write to a client may make no progress before the client is dropped.
pub const DEFAULT_WRITE_TIMEOUT: Duration = Duration::from_secs(10);

/// The longest channel name accepted, in bytes; a longer one is taken for garbage.
pub const MAX_CHANNEL_NAME: usize = 1024;

/// What the broker does when a subscriber's send queue is full.
///
/// The two isolating policies (`DropOldest`, `Disconnect`) never make the broker wait for a
/// subscriber, so a slow subscriber never delays a fast one. `Block` does, and is opt-in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum SlowPolicy {
    /// Evict the oldest queued message to make room (counted as `dropped`). The default.
    #[default]
    DropOldest,
    /// Disconnect the subscriber (counted as `slow_disconnects`), as NATS does.
    Disconnect,
    /// Make the channel, and so its publishers, wait for room. Not isolating: one stalled
    /// subscriber holds up every subscriber of that channel and its publishers, until the
    /// write timeout drops it.
    Block,
}

impl SlowPolicy {
    /// The policy's name as the `--policy` flag spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            SlowPolicy::DropOldest => "drop-oldest",
            SlowPolicy::Disconnect => "disconnect",
            SlowPolicy::Block => "block",
        }
    }
}

impl fmt::Display for SlowPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Everything a [`Broker`](crate::Broker) is configured with.
///
/// [`Config::default()`] listens on an ephemeral loopback port; `serve` uses
/// [`DEFAULT_LISTEN`].
#[derive(Debug, Clone)]
pub struct Config {
    /// The address to listen on.
    pub listen: SocketAddr,
    /// The largest frame accepted from a client; a larger declared length drops the client.
    pub max_frame: usize,
    /// The most clients connected at once; further connections are closed at once.
    pub max_clients: usize,
    /// Capacity of each client's send queue, in messages.
    ///
    /// Up to 4096, the queue is a lock-free ring whose slots (40 bytes each) are allocated
    /// when the client connects; above, it grows with what is queued for the client (an
    /// idle connection costs almost nothing), for about 6% of the broker's throughput
    /// (`amphi-mq bench -p 2 -s 2`: 1.63 against 1.74 M messages a second).
    pub queue_capacity: usize,
    /// Most payload bytes queued for one client; past it the slow-subscriber policy applies
    /// as if the queue were full (not under [`SlowPolicy::Block`], which counts messages only).
    pub max_pending: usize,
    /// Capacity of each channel's queue, in messages; a full one makes publishers wait.
    pub channel_capacity: usize,
    /// The most channels alive at once; past it a client naming a new channel is dropped.
    /// A channel is freed once it has no subscriber and holds no message (a work queue keeps
    /// its messages for the next worker, and its channel with them). Each costs a task and
    /// a queue of `channel_capacity` slots (about 46 KiB at the default).
    pub max_channels: usize,
    /// The most payload bytes held in channel queues, all channels together; past it
    /// publishers wait until channels deliver (it fills only when messages wait for a
    /// subscriber: a work queue nobody takes from, or the block policy).
    pub max_channel_bytes: usize,
    /// What to do when a subscriber's send queue is full.
    pub policy: SlowPolicy,
    /// How long a graceful shutdown may spend delivering what is queued.
    pub grace: Duration,
    /// How long a write to a client may make no progress before the client is dropped.
    pub write_timeout: Duration,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            max_frame: DEFAULT_MAX_FRAME,
            max_clients: DEFAULT_MAX_CLIENTS,
            queue_capacity: DEFAULT_QUEUE_CAPACITY,
            max_pending: DEFAULT_MAX_PENDING,
            channel_capacity: DEFAULT_CHANNEL_CAPACITY,
            max_channels: DEFAULT_MAX_CHANNELS,
            max_channel_bytes: DEFAULT_MAX_CHANNEL_BYTES,
            policy: SlowPolicy::DropOldest,
            grace: DEFAULT_GRACE,
            write_timeout: DEFAULT_WRITE_TIMEOUT,
        }
    }
}

/// Whether `name` is a work-queue channel (round-robin) rather than a topic (fan-out).
pub fn is_queue_channel(name: &[u8]) -> bool {
    name.starts_with(b"/queue")
}
