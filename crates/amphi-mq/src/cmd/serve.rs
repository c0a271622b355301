//! `amphi-mq serve`: the broker, until a signal; then a graceful shutdown and its report.

use std::io::{self, Write};
use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use amphi_mq::{
    Broker, BrokerReport, Config, DEFAULT_CHANNEL_CAPACITY, DEFAULT_MAX_CHANNEL_BYTES,
    DEFAULT_MAX_CHANNELS, DEFAULT_MAX_CLIENTS, DEFAULT_MAX_FRAME, DEFAULT_MAX_PENDING,
    DEFAULT_QUEUE_CAPACITY, SlowPolicy,
};
use amphi_rt::Runtime;
use amphi_shutdown::Shutdown;

use super::parse_secs;

/// Arguments of `serve`.
#[derive(Debug, clap::Args)]
pub(crate) struct ServeArgs {
    /// The address to listen on (loopback by default; use 0.0.0.0:25000 to accept others).
    #[arg(long, default_value_t = crate::default_addr())]
    listen: SocketAddr,
    /// Largest frame accepted, in bytes; a client declaring a longer one is dropped.
    #[arg(long, default_value_t = DEFAULT_MAX_FRAME)]
    max_frame: usize,
    /// Most clients connected at once; more connections are closed at once.
    #[arg(long, default_value_t = DEFAULT_MAX_CLIENTS)]
    max_clients: usize,
    /// Capacity of each client's send queue, in messages. Up to 4096: a ring allocated at
    /// connect (40 bytes a slot), a little faster; above: grows with what is queued.
    #[arg(long, default_value_t = DEFAULT_QUEUE_CAPACITY)]
    queue_capacity: usize,
    /// Most payload bytes queued for one client; past it the policy applies as when full.
    #[arg(long, default_value_t = DEFAULT_MAX_PENDING)]
    max_pending: usize,
    /// Capacity of each channel's queue, in messages (a full one makes publishers wait).
    #[arg(long, default_value_t = DEFAULT_CHANNEL_CAPACITY)]
    channel_capacity: usize,
    /// Most channels alive at once (a channel is freed once it has no subscriber and holds
    /// no message).
    #[arg(long, default_value_t = DEFAULT_MAX_CHANNELS)]
    max_channels: usize,
    /// Most payload bytes waiting in channel queues, all channels together; past it
    /// publishers wait (fills only when messages wait for subscribers that do not take them).
    #[arg(long, default_value_t = DEFAULT_MAX_CHANNEL_BYTES)]
    max_channel_bytes: usize,
    /// What to do with a subscriber whose send queue is full: drop-oldest and disconnect keep
    /// the others unaffected; block makes the channel and its publishers wait (not isolating).
    #[arg(long, value_enum, default_value_t = SlowPolicy::DropOldest)]
    policy: SlowPolicy,
    /// Seconds a shutdown may spend delivering what is queued.
    #[arg(long, default_value = "5", value_parser = parse_secs)]
    grace: Duration,
    /// Seconds a write to a client may make no progress before the client is dropped.
    #[arg(long, default_value = "10", value_parser = parse_secs)]
    write_timeout: Duration,
    /// Print the counters to stderr every this many seconds (0: never).
    #[arg(long, default_value = "0", value_parser = parse_secs)]
    stats_interval: Duration,
}

impl ServeArgs {
    fn config(&self) -> Config {
        Config {
            listen: self.listen,
            max_frame: self.max_frame,
            max_clients: self.max_clients,
            queue_capacity: self.queue_capacity,
            max_pending: self.max_pending,
            channel_capacity: self.channel_capacity,
            max_channels: self.max_channels,
            max_channel_bytes: self.max_channel_bytes,
            policy: self.policy,
            grace: self.grace,
            write_timeout: self.write_timeout,
        }
    }
}

pub(crate) fn run(args: ServeArgs) -> io::Result<ExitCode> {
    let rt = Runtime::global();
    let config = args.config();
    // The coordinator's own deadline leaves the broker its grace plus time to close.
    let shutdown = Shutdown::builder()
        .grace(config.grace + Duration::from_secs(2))
        .runtime(rt.clone())
        .build();
    shutdown.listen_for_signals()?;
    let broker = async_io::block_on(Broker::bind(config, rt.clone()))?;
    let addr = broker.local_addr();
    {
        let mut out = io::stdout().lock();
        writeln!(out, "amphi-mq listening on {addr} (policy {})", args.policy)?;
        out.flush()?;
    }
    tracing::info!(%addr, config = ?broker.config(), "broker started");

    if !args.stats_interval.is_zero() {
        let token = shutdown.token();
        let interval = args.stats_interval;
        let stats_rt = rt.clone();
        let stats = broker.stats_handle();
        shutdown.spawn("stats printer", async move {
            loop {
                let tick = async {
                    stats_rt.sleep(interval).await;
                    true
                };
                let stop = async {
                    token.cancelled().await;
                    false
                };
                if !futures_lite::future::or(tick, stop).await {
                    break;
                }
                eprintln!("stats: {}", stats.snapshot());
            }
        });
    }

    let broker_report: Arc<Mutex<Option<BrokerReport>>> = Arc::new(Mutex::new(None));
    let slot = Arc::clone(&broker_report);
    let token = shutdown.token();
    shutdown.spawn("broker: drain and close", async move {
        token.cancelled().await;
        let report = broker.shutdown().await;
        *slot.lock().unwrap_or_else(PoisonError::into_inner) = Some(report);
    });

    let report = async_io::block_on(shutdown.wait());
    eprintln!();
    if let Some(broker) = broker_report
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .take()
    {
        eprintln!("{broker}");
    }
    eprint!("{report}");
    Ok(if report.is_clean() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
