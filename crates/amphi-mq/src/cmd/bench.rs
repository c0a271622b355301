//! `amphi-mq bench`: N publishers, M subscribers, one channel; throughput and latency.
//!
//! Clients are threads on blocking sockets, so that the same client code measures our broker
//! and nats-server. Each payload starts with its send time, for the latency histogram.

use std::io;
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Barrier, mpsc};
use std::thread;
use std::time::{Duration, Instant};

use amphi_mq::{
    BlockingClient, Broker, Config, DEFAULT_MAX_FRAME, DEFAULT_MAX_PENDING, DEFAULT_QUEUE_CAPACITY,
    SlowPolicy, is_queue_channel,
};
use amphi_rt::Runtime;

use super::histogram::Histogram;
use super::nats::{NatsClient, subject};
use super::parse_secs;

/// Arguments of `bench`.
#[derive(Debug, Clone, clap::Args)]
pub(crate) struct BenchArgs {
    /// Measure an amphi-mq broker already running there (default: start one in this process).
    #[arg(long, conflicts_with = "nats")]
    addr: Option<SocketAddr>,
    /// Measure a nats-server there instead (speaks NATS's text protocol: PUB/SUB/MSG).
    #[arg(long, value_name = "ADDR")]
    nats: Option<String>,
    /// Number of publishers.
    #[arg(short = 'p', long, default_value_t = 1)]
    publishers: usize,
    /// Number of subscribers.
    #[arg(short = 's', long, default_value_t = 1)]
    subscribers: usize,
    /// Payload size in bytes (at least 8: the send time).
    #[arg(long, default_value_t = 128)]
    size: usize,
    /// How long the publishers publish, in seconds.
    #[arg(long, default_value = "5", value_parser = parse_secs)]
    duration: Duration,
    /// Messages per second per publisher (default: as fast as possible).
    #[arg(long)]
    rate: Option<u64>,
    /// The channel (a `/queue...` one delivers round-robin; with --nats a queue group).
    #[arg(long, default_value = "/topic/bench")]
    channel: String,
    /// Slow-subscriber policy of the embedded broker.
    #[arg(long, value_enum, default_value_t = SlowPolicy::DropOldest)]
    policy: SlowPolicy,
    /// Send queue capacity of the embedded broker.
    #[arg(long, default_value_t = DEFAULT_QUEUE_CAPACITY)]
    queue_capacity: usize,
    /// Byte budget of each send queue of the embedded broker.
    #[arg(long, default_value_t = DEFAULT_MAX_PENDING)]
    max_pending: usize,
    /// How long to wait for stragglers once publishers stop, in seconds.
    #[arg(long, default_value = "3", value_parser = parse_secs)]
    drain: Duration,
    /// Largest frame, in bytes: the embedded broker's, and what the subscribers accept (give
    /// an amphi-mq broker's `--max-frame` with `--addr`).
    #[arg(long, default_value_t = DEFAULT_MAX_FRAME)]
    max_frame: usize,
}

#[derive(Debug, Clone)]
pub(crate) enum Target {
    Amphi(SocketAddr),
    Nats(String),
}

enum Sub {
    Amphi(BlockingClient),
    Nats(NatsClient),
}

enum Pub {
    Amphi(BlockingClient, String),
    Nats(NatsClient, String),
}

impl Pub {
    fn connect(target: &Target, channel: &str) -> io::Result<Pub> {
        Ok(match target {
            Target::Amphi(addr) => {
                Pub::Amphi(BlockingClient::connect(*addr, "/null")?, channel.to_owned())
            }
            Target::Nats(addr) => Pub::Nats(NatsClient::connect(addr)?, subject(channel)),
        })
    }

    fn publish(&mut self, payload: &[u8]) -> io::Result<()> {
        match self {
            Pub::Amphi(c, ch) => c.publish(ch, payload),
            Pub::Nats(c, subj) => c.publish(subj, payload),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Pub::Amphi(c, _) => c.flush(),
            Pub::Nats(c, _) => c.flush(),
        }
    }

    fn close(self) {
        match self {
            Pub::Amphi(c, _) => {
                let _ = c.goodbye();
            }
            Pub::Nats(mut c, _) => {
                // PING/PONG: the server has processed every PUB before we hang up.
                let _ = c.sync();
                c.close();
            }
        }
    }
}

impl Sub {
    fn connect(target: &Target, channel: &str, max_frame: usize) -> io::Result<Sub> {
        Ok(match target {
            Target::Amphi(addr) => Sub::Amphi(BlockingClient::connect_with_max_frame(
                *addr, channel, max_frame,
            )?),
            Target::Nats(addr) => {
                let mut c = NatsClient::connect(addr)?;
                let group = is_queue_channel(channel.as_bytes()).then_some("bench");
                c.subscribe(&subject(channel), group)?;
                Sub::Nats(c)
            }
        })
    }

    fn socket(&self) -> io::Result<TcpStream> {
        match self {
            Sub::Amphi(c) => c.socket(),
            Sub::Nats(c) => c.socket(),
        }
    }

    /// Runs until the connection ends; returns the latency histogram.
    fn receive(self, epoch: Instant, received: &AtomicU64, last: &AtomicU64) -> Histogram {
        let mut hist = Histogram::new();
        let mut on_payload = |payload: &[u8]| {
            let now = epoch.elapsed().as_nanos() as u64;
            if let Some(sent) = payload.first_chunk::<8>() {
                hist.record(now.saturating_sub(u64::from_le_bytes(*sent)));
            }
            received.fetch_add(1, Relaxed);
            last.store(now, Relaxed);
        };
        match self {
            Sub::Amphi(mut c) => {
                while let Ok(Some(payload)) = c.recv() {
                    on_payload(&payload);
                }
            }
            Sub::Nats(mut c) => {
                let mut payload = Vec::new();
                while let Ok(Some(())) = c.next_message(&mut payload) {
                    on_payload(&payload);
                }
                c.close();
            }
        }
        hist
    }
}

/// What one run measured.
#[derive(Debug, Clone)]
pub(crate) struct Outcome {
    pub(crate) sent: u64,
    pub(crate) expected: u64,
    pub(crate) received: u64,
    pub(crate) publish_secs: f64,
    pub(crate) deliver_secs: f64,
    pub(crate) hist: Histogram,
}

impl Outcome {
    pub(crate) fn delivered_rate(&self) -> f64 {
        self.received as f64 / self.deliver_secs.max(1e-9)
    }
}

pub(crate) fn run(args: BenchArgs) -> io::Result<ExitCode> {
    let mut embedded = None;
    let target = match (&args.nats, args.addr) {
        (Some(nats), _) => Target::Nats(nats.clone()),
        (None, Some(addr)) => Target::Amphi(addr),
        (None, None) => {
            let config = Config {
                policy: args.policy,
                queue_capacity: args.queue_capacity,
                max_pending: args.max_pending,
                max_frame: args.max_frame,
                ..Config::default()
            };
            let broker = futures_lite::future::block_on(Broker::bind(config, Runtime::global()))?;
            let addr = broker.local_addr();
            embedded = Some(broker);
            Target::Amphi(addr)
        }
    };
    let name = match (&target, &embedded) {
        (Target::Nats(addr), _) => format!("nats-server at {addr}"),
        (Target::Amphi(_), Some(_)) => format!("amphi-mq (embedded, policy {})", args.policy),
        (Target::Amphi(addr), None) => format!("amphi-mq at {addr}"),
    };
    let outcome = measure(&args, &target, embedded.as_ref())?;
    println!(
        "{name}: {}x{} {} B, {:.1?} publishing{}",
        args.publishers,
        args.subscribers,
        args.size,
        args.duration,
        args.rate
            .map(|r| format!(", {r} msg/s per publisher"))
            .unwrap_or_default()
    );
    println!(
        "  sent      {:>12} msgs  {:>12.0} msg/s",
        outcome.sent,
        outcome.sent as f64 / outcome.publish_secs.max(1e-9)
    );
    println!(
        "  delivered {:>12} msgs  {:>12.0} msg/s  ({:.1} MiB/s)",
        outcome.received,
        outcome.delivered_rate(),
        outcome.delivered_rate() * args.size as f64 / (1024.0 * 1024.0)
    );
    println!(
        "  lost      {:>12} of {} expected",
        outcome.expected.saturating_sub(outcome.received),
        outcome.expected
    );
    println!(
        "  latency   p50 {:.1?}  p99 {:.1?}  p99.9 {:.1?}",
        outcome.hist.quantile(0.5),
        outcome.hist.quantile(0.99),
        outcome.hist.quantile(0.999)
    );
    if let Some(broker) = embedded {
        let report = futures_lite::future::block_on(broker.shutdown());
        println!("  broker    {}", report.stats);
    }
    Ok(ExitCode::SUCCESS)
}

/// Runs one measurement against `target`.
pub(crate) fn measure(
    args: &BenchArgs,
    target: &Target,
    embedded: Option<&Broker>,
) -> io::Result<Outcome> {
    let epoch = Instant::now();
    let received = Arc::new(AtomicU64::new(0));
    let last = Arc::new(AtomicU64::new(0));
    let size = args.size.max(8);

    // Subscribers first, each registered before any publisher starts.
    let mut subs = Vec::new();
    let mut sockets = Vec::new();
    for _ in 0..args.subscribers {
        let sub = Sub::connect(target, &args.channel, args.max_frame)?;
        sockets.push(sub.socket()?);
        let (received, last) = (Arc::clone(&received), Arc::clone(&last));
        subs.push(thread::spawn(move || sub.receive(epoch, &received, &last)));
    }
    let start = Arc::new(Barrier::new(args.publishers + 1));
    let stop = Arc::new(AtomicBool::new(false));
    let (sent_tx, sent_rx) = mpsc::channel::<io::Result<u64>>();
    let mut pubs = Vec::new();
    for _ in 0..args.publishers {
        let mut publisher = Pub::connect(target, &args.channel)?;
        let (start, stop, sent_tx) = (Arc::clone(&start), Arc::clone(&stop), sent_tx.clone());
        let rate = args.rate;
        pubs.push(thread::spawn(move || {
            start.wait();
            let _ = sent_tx.send(publish(&mut publisher, epoch, size, rate, &stop));
            publisher.close();
        }));
    }
    drop(sent_tx);
    wait_registered(target, embedded, args.subscribers + args.publishers);

    start.wait();
    let t0 = Instant::now();
    let t0_ns = epoch.elapsed().as_nanos() as u64;
    thread::sleep(args.duration);
    stop.store(true, Relaxed);
    let publish_secs = t0.elapsed().as_secs_f64();
    let mut sent = 0;
    for result in sent_rx {
        sent += result?;
    }
    for p in pubs {
        let _ = p.join();
    }
    let expected = if is_queue_channel(args.channel.as_bytes()) {
        sent
    } else {
        sent * args.subscribers as u64
    };

    // Wait for the stragglers: until everything arrived or nothing arrived for `drain`.
    let mut seen = received.load(Relaxed);
    let mut idle_since = Instant::now();
    while seen < expected && idle_since.elapsed() < args.drain {
        thread::sleep(Duration::from_millis(10));
        let now = received.load(Relaxed);
        if now != seen {
            seen = now;
            idle_since = Instant::now();
        }
    }
    for socket in &sockets {
        let _ = socket.shutdown(Shutdown::Both);
    }
    let mut hist = Histogram::new();
    for s in subs {
        if let Ok(h) = s.join() {
            hist.merge(&h);
        }
    }
    let deliver_ns = last.load(Relaxed).saturating_sub(t0_ns);
    Ok(Outcome {
        sent,
        expected,
        received: received.load(Relaxed),
        publish_secs,
        deliver_secs: deliver_ns as f64 / 1e9,
        hist,
    })
}

/// Waits until the broker has registered `clients` subscriptions (NATS confirms them itself).
fn wait_registered(target: &Target, embedded: Option<&Broker>, clients: usize) {
    match (target, embedded) {
        (Target::Nats(_), _) => {}
        (Target::Amphi(_), Some(broker)) => {
            let deadline = Instant::now() + Duration::from_secs(5);
            while broker.stats().subscribers < clients as u64 && Instant::now() < deadline {
                thread::sleep(Duration::from_millis(1));
            }
        }
        (Target::Amphi(_), None) => thread::sleep(Duration::from_millis(300)),
    }
}

fn publish(
    publisher: &mut Pub,
    epoch: Instant,
    size: usize,
    rate: Option<u64>,
    stop: &AtomicBool,
) -> io::Result<u64> {
    let mut payload = vec![0x5a_u8; size];
    let started = Instant::now();
    let mut sent = 0u64;
    while !stop.load(Relaxed) {
        if let Some(rate) = rate {
            let due = (started.elapsed().as_secs_f64() * rate as f64) as u64;
            if sent >= due {
                publisher.flush()?;
                thread::sleep(Duration::from_micros(200));
                continue;
            }
        }
        let now = epoch.elapsed().as_nanos() as u64;
        payload[..8].copy_from_slice(&now.to_le_bytes());
        publisher.publish(&payload)?;
        sent += 1;
    }
    publisher.flush()?;
    Ok(sent)
}
