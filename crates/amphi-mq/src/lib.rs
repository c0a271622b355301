//! A small pub/sub message broker and its clients, built on amphi.
//!
//! ```
//! use amphi_mq::{Broker, Client, Config};
//! use amphi_rt::Runtime;
//!
//! futures_lite::future::block_on(async {
//!     let broker = Broker::bind(Config::default(), Runtime::global()).await?;
//!     let addr = broker.local_addr();
//!
//!     let mut sub = Client::connect(addr, "/topic/news").await?;
//!     // Wait until the broker has registered the subscription.
//!     while broker.stats().subscribers < 1 {
//!         Runtime::global().sleep(std::time::Duration::from_millis(1)).await;
//!     }
//!     let mut publisher = Client::connect(addr, "/null").await?;
//!     publisher.publish("/topic/news", b"hello").await?;
//!     publisher.flush().await?;
//!     assert_eq!(sub.recv().await?.as_deref(), Some(&b"hello"[..]));
//!
//!     let report = broker.shutdown().await;
//!     assert!(report.in_grace);
//!     Ok::<(), std::io::Error>(())
//! })
//! .unwrap();
//! ```
//!
//! # Protocol
//!
//! Every message on the wire is a frame: a 4-byte big-endian length, then that many bytes.
//! A client's first frame names the channel it subscribes to; after that it sends pairs of
//! frames, a destination channel then a payload. The broker sends each subscriber the payload
//! alone, as one frame. Channels whose name starts with `/queue` deliver each message to one
//! subscriber, round-robin; every other channel delivers to all of its subscribers. A client
//! leaves by closing its connection or by sending a zero-length frame where a channel name is
//! expected.
//!
//! # Design
//!
//! Each connection has a reader task and a writer task. The reader puts each payload into the
//! destination channel's bounded queue (waiting when it is full: backpressure to the
//! publisher). Each channel has a task that takes messages out in batches and offers them to
//! its subscribers' bounded send queues under a [`SlowPolicy`]; each writer task drains its
//! send queue into its socket in batches of up to 256 KiB, one vectored write each (payloads of
//! 1 KiB or more are not copied). Under the default policy
//! ([`SlowPolicy::DropOldest`]) and under [`SlowPolicy::Disconnect`] the channel task never
//! waits for a subscriber, so a slow subscriber never delays a fast one. Every queue is an
//! [`amphi_queue::Queue`], every task is spawned on an [`amphi_rt::Runtime`].
//!
//! # Limits
//!
//! Memory is bounded: frames by [`Config::max_frame`], clients by [`Config::max_clients`],
//! send queues by [`Config::queue_capacity`] and [`Config::max_pending`], channel queues by [`Config::channel_capacity`],
//! channels by [`Config::max_channels`], bytes waiting in channel queues by
//! [`Config::max_channel_bytes`]. A client that sends an oversized length, garbage, a
//! truncated frame, or that stops reading (no write progress within
//! [`Config::write_timeout`]) is dropped with a log line naming the reason.

#![forbid(unsafe_code)]

mod batch;
mod broker;
mod channel;
mod client;
mod config;
mod connection;
mod outbox;
mod registry;
mod stats;
pub mod wire;

pub use broker::{Broker, BrokerReport, StatsHandle};
pub use client::{BlockingClient, Client};
pub use config::{
    Config, DEFAULT_CHANNEL_CAPACITY, DEFAULT_GRACE, DEFAULT_LISTEN, DEFAULT_MAX_CHANNEL_BYTES,
    DEFAULT_MAX_CHANNELS, DEFAULT_MAX_CLIENTS, DEFAULT_MAX_FRAME, DEFAULT_MAX_PENDING,
    DEFAULT_QUEUE_CAPACITY, DEFAULT_WRITE_TIMEOUT, MAX_CHANNEL_NAME, SlowPolicy, is_queue_channel,
};
pub use stats::StatsSnapshot;
