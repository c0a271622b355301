//! The broker: accept loop, shared state, graceful shutdown.

use std::collections::HashMap;
use std::fmt;
use std::io;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use amphi_rt::{JoinHandle, Runtime};
use amphi_shutdown::ShutdownToken;
use async_net::TcpListener;
use futures_lite::future;

use crate::config::Config;
use crate::connection;
use crate::outbox::{Outbox, Reason};
use crate::registry::Registry;
use crate::stats::{Stats, StatsSnapshot, add, sub};

/// How long the accept loop backs off after an accept error (e.g. out of file descriptors).
const ACCEPT_BACKOFF: Duration = Duration::from_millis(20);

/// How often shutdown checks whether every client is done.
const POLL: Duration = Duration::from_millis(5);

/// State shared by the accept loop, every connection and every channel.
#[derive(Debug)]
pub(crate) struct Shared {
    pub(crate) rt: Runtime,
    pub(crate) config: Config,
    pub(crate) registry: Registry,
    pub(crate) stats: Arc<Stats>,
    /// Cancelled when the broker stops accepting and reading.
    pub(crate) stop: ShutdownToken,
    /// Connections whose reader is still running.
    pub(crate) readers: AtomicUsize,
    clients: Mutex<HashMap<u64, Arc<Outbox>>>,
}

impl Shared {
    pub(crate) fn add_client(&self, outbox: Arc<Outbox>) {
        self.clients
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(outbox.id, outbox);
    }

    pub(crate) fn remove_client(&self, id: u64) {
        let removed = self
            .clients
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&id);
        if removed.is_some() {
            sub(&self.stats.clients, 1);
        }
    }

    fn outboxes(&self) -> Vec<Arc<Outbox>> {
        let clients = self.clients.lock().unwrap_or_else(PoisonError::into_inner);
        clients.values().cloned().collect()
    }

    fn client_count(&self) -> usize {
        self.clients
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .len()
    }
}

/// A running broker.
///
/// Dropping it without [`shutdown`](Broker::shutdown) leaves it running in the background.
#[derive(Debug)]
pub struct Broker {
    shared: Arc<Shared>,
    addr: SocketAddr,
    accept: Option<JoinHandle<()>>,
}

impl Broker {
    /// Binds `config.listen` and starts accepting clients, spawning its tasks on `rt`.
    ///
    /// # Errors
    ///
    /// When the address cannot be bound.
    pub async fn bind(config: Config, rt: Runtime) -> io::Result<Broker> {
        let listener = TcpListener::bind(config.listen).await?;
        let addr = listener.local_addr()?;
        let stats = Arc::new(Stats::default());
        let registry = Registry::new(
            rt.clone(),
            config.channel_capacity,
            config.max_channels,
            config.policy,
            Arc::clone(&stats),
        );
        let shared = Arc::new(Shared {
            rt: rt.clone(),
            config,
            registry,
            stats,
            stop: ShutdownToken::new(),
            readers: AtomicUsize::new(0),
            clients: Mutex::new(HashMap::new()),
        });
        let accept = rt.spawn(accept_loop(Arc::clone(&shared), listener));
        Ok(Broker {
            shared,
            addr,
            accept: Some(accept),
        })
    }

    /// The address the broker listens on (useful after binding port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// The counters now.
    pub fn stats(&self) -> StatsSnapshot {
        self.shared.stats.snapshot()
    }

    /// A handle that reads the counters, and outlives the broker.
    pub fn stats_handle(&self) -> StatsHandle {
        StatsHandle(Arc::clone(&self.shared.stats))
    }

    /// The configuration the broker runs with.
    pub fn config(&self) -> &Config {
        &self.shared.config
    }

    /// Shuts down gracefully: stops accepting and reading, delivers what is queued within the
    /// grace period, then closes every connection.
    ///
    /// # Cancel safety
    ///
    /// Not cancel safe: dropping the future part-way leaves the broker stopped but with
    /// connections open. Run it to completion.
    pub async fn shutdown(mut self) -> BrokerReport {
        let started = Instant::now();
        let grace = self.shared.config.grace;
        // Saturating: a grace of `Duration::MAX` means "no limit", not an overflow.
        let deadline = amphi_rt::saturating_deadline(started, grace);
        let shared = Arc::clone(&self.shared);
        shared.stop.cancel();
        if let Some(accept) = self.accept.take() {
            let _ = accept.await;
        }
        for outbox in shared.outboxes() {
            outbox.stop_reading();
        }
        // Readers finish what they have read already (up to half the grace period).
        let readers_deadline = amphi_rt::saturating_deadline(started, grace / 2);
        while shared.readers.load(Ordering::Acquire) > 0 && Instant::now() < readers_deadline {
            shared.rt.sleep(POLL).await;
        }
        let clients_at_stop = shared.client_count();
        let queued_at_stop = shared.registry.queued()
            + shared
                .outboxes()
                .iter()
                .map(|o| o.queue.len())
                .sum::<usize>();

        // Channels first: they hand what they hold to the send queues, then end.
        shared.registry.close_all();
        // A work queue with no worker to take its messages has nowhere to put them.
        let mut stranded = 0;
        for task in shared.registry.take_tasks() {
            let left = deadline.saturating_duration_since(Instant::now());
            if let Ok(Ok(n)) = amphi_rt::timeout(left, task).await {
                stranded += n;
            }
        }
        // Then the send queues: each writer drains its queue and closes its connection.
        for outbox in shared.outboxes() {
            outbox.set_reason(Reason::Shutdown);
            outbox.queue.close();
        }
        while shared.client_count() > 0 && Instant::now() < deadline {
            shared.rt.sleep(POLL).await;
        }
        let in_grace = shared.client_count() == 0;
        let mut discarded = shared.registry.queued() as u64;
        for outbox in shared.outboxes() {
            discarded += outbox.kick(Reason::Shutdown) as u64;
        }
        add(&shared.stats.undelivered, discarded);
        // Counted `undelivered` by their channel tasks already.
        discarded += stranded;
        // Kicked writers end at once; do not wait for a runtime that is itself stopping.
        let hard = Instant::now() + Duration::from_secs(1);
        while shared.client_count() > 0 && Instant::now() < hard {
            shared.rt.sleep(POLL).await;
        }
        BrokerReport {
            clients_at_stop,
            queued_at_stop,
            discarded,
            in_grace,
            grace,
            took: started.elapsed(),
            stats: shared.stats.snapshot(),
        }
    }
}

async fn accept_loop(shared: Arc<Shared>, listener: TcpListener) {
    let next_id = AtomicU64::new(1);
    loop {
        let accepted = future::or(async { Some(listener.accept().await) }, async {
            shared.stop.cancelled().await;
            None
        })
        .await;
        match accepted {
            None => break,
            Some(Ok((stream, peer))) => {
                // `stats.clients` is counted here, at once; the clients map only once each
                // connection's task has started, so a burst of connections got past it.
                if shared.stats.clients.load(Ordering::Acquire) >= shared.config.max_clients as u64
                {
                    add(&shared.stats.rejected, 1);
                    tracing::warn!(%peer, max = shared.config.max_clients, "refused a client: too many clients");
                    drop(stream);
                    continue;
                }
                let id = next_id.fetch_add(1, Ordering::Relaxed);
                add(&shared.stats.clients, 1);
                add(&shared.stats.clients_total, 1);
                tracing::debug!(client = id, %peer, "client connected");
                shared
                    .rt
                    .spawn(connection::serve(Arc::clone(&shared), stream, id, peer))
                    .detach();
            }
            Some(Err(err)) => {
                tracing::warn!("accept failed: {err}");
                shared.rt.sleep(ACCEPT_BACKOFF).await;
            }
        }
    }
    tracing::info!("stopped accepting");
}

/// Reads a broker's counters; cloning is one `Arc` increment.
#[derive(Debug, Clone)]
pub struct StatsHandle(Arc<Stats>);

impl StatsHandle {
    /// The counters now.
    pub fn snapshot(&self) -> StatsSnapshot {
        self.0.snapshot()
    }
}

/// What a graceful [`Broker::shutdown`] did.
#[derive(Debug, Clone)]
pub struct BrokerReport {
    /// Clients connected when the shutdown began.
    pub clients_at_stop: usize,
    /// Messages queued in the broker when the shutdown began.
    pub queued_at_stop: usize,
    /// Messages queued at the stop that reached nobody: discarded when the grace period ran
    /// out, or held by a work queue that no worker came to take them from.
    pub discarded: u64,
    /// Whether everything was delivered and closed within the grace period.
    pub in_grace: bool,
    /// The grace period.
    pub grace: Duration,
    /// How long the shutdown took.
    pub took: Duration,
    /// The counters at the end.
    pub stats: StatsSnapshot,
}

impl fmt::Display for BrokerReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "broker shutdown in {:.1?} (grace {:?})",
            self.took, self.grace
        )?;
        writeln!(
            f,
            "  at stop: {} clients, {} messages queued",
            self.clients_at_stop, self.queued_at_stop
        )?;
        if self.in_grace && self.discarded == 0 {
            writeln!(
                f,
                "  delivered everything queued and closed every connection"
            )?;
        } else if self.in_grace {
            writeln!(
                f,
                "  closed every connection; {} queued messages had no worker to go to",
                self.discarded
            )?;
        } else {
            writeln!(
                f,
                "  grace period ran out: {} queued messages discarded",
                self.discarded
            )?;
        }
        write!(f, "  totals: {}", self.stats)
    }
}
