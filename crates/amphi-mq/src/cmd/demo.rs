//! `amphi-mq demo`: an embedded broker, publishers and subscribers on threads and on tasks,
//! a live progress line, a final table and a graceful shutdown report.

use std::fmt::Write as _;
use std::io::{self, IsTerminal, Write};
use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use std::time::{Duration, Instant};

use amphi_mq::{BlockingClient, Broker, Client, Config, SlowPolicy, StatsHandle};
use amphi_queue::Queue;
use amphi_rt::Runtime;
use amphi_shutdown::{Shutdown as Coordinator, ShutdownToken};

use super::parse_secs;

const TOPIC: &str = "/topic/demo";
const JOBS: &str = "/queue/demo";

/// Arguments of `demo`.
#[derive(Debug, clap::Args)]
pub(crate) struct DemoArgs {
    /// Seconds of publishing before the graceful shutdown.
    #[arg(long, default_value = "5", value_parser = parse_secs)]
    duration: Duration,
    /// Messages per second of each publisher.
    #[arg(long, default_value_t = 10_000)]
    rate: u64,
    /// Payload size of the topic messages, in bytes.
    #[arg(long, default_value_t = 512)]
    size: usize,
    /// Milliseconds the slow subscriber spends on each message.
    #[arg(long, default_value_t = 1)]
    slow_ms: u64,
}

/// One row of the final table.
#[derive(Debug)]
struct Participant {
    name: &'static str,
    runs_on: &'static str,
    role: &'static str,
    channel: &'static str,
    count: AtomicU64,
}

impl Participant {
    fn new(
        name: &'static str,
        runs_on: &'static str,
        role: &'static str,
        channel: &'static str,
    ) -> Arc<Participant> {
        Arc::new(Participant {
            name,
            runs_on,
            role,
            channel,
            count: AtomicU64::new(0),
        })
    }

    fn bump(&self) {
        self.count.fetch_add(1, Relaxed);
    }

    fn get(&self) -> u64 {
        self.count.load(Relaxed)
    }
}

/// A message: who sent it, its number, padding up to `size`.
fn payload(name: &str, n: u64, size: usize) -> Vec<u8> {
    let mut p = format!("{name} #{n} ").into_bytes();
    p.resize(size.max(p.len()), b'.');
    p
}

/// Paces a publisher at `rate` messages per second: how many are due by now. The loops that
/// catch up with it also stop when publishing ends, so a rate the broker cannot keep up
/// with does not keep them going after the demo's duration.
fn due(started: Instant, rate: u64) -> u64 {
    (started.elapsed().as_secs_f64() * rate as f64) as u64
}

pub(crate) fn run(args: DemoArgs) -> io::Result<ExitCode> {
    let rt = Runtime::global();
    let coordinator = Coordinator::builder()
        .grace(Duration::from_secs(4))
        .runtime(rt.clone())
        .build();
    coordinator.listen_for_signals()?;
    let config = Config {
        policy: SlowPolicy::DropOldest,
        queue_capacity: 4096,
        grace: Duration::from_secs(3),
        ..Config::default()
    };
    let broker = async_io::block_on(Broker::bind(config, rt.clone()))?;
    let addr = broker.local_addr();
    let stats = broker.stats_handle();
    println!(
        "amphi-mq demo: broker on {addr}, policy drop-oldest, {:?} of publishing",
        args.duration
    );
    println!(
        "  {TOPIC} fans out to 3 subscribers (one of them slow); {JOBS} deals jobs round-robin to 2 workers"
    );

    let thread_pub = Participant::new("thread-pub", "thread", "publisher", TOPIC);
    let task_pub = Participant::new("task-pub", "task", "publisher", TOPIC);
    let bridge = Participant::new("job-maker", "thread", "put_blocking -> task", JOBS);
    let thread_sub = Participant::new("thread-sub", "thread", "subscriber", TOPIC);
    let task_sub = Participant::new("task-sub", "task", "subscriber", TOPIC);
    let slow_sub = Participant::new("slow-sub", "task", "subscriber, slow", TOPIC);
    let thread_worker = Participant::new("thread-worker", "thread", "worker", JOBS);
    let task_worker = Participant::new("task-worker", "task", "worker", JOBS);

    // Subscribers first; they end when the broker closes their connection at shutdown.
    let token = coordinator.token();
    blocking_subscriber(&coordinator, addr, TOPIC, Arc::clone(&thread_sub))?;
    blocking_subscriber(&coordinator, addr, JOBS, Arc::clone(&thread_worker))?;
    async_subscriber(
        &coordinator,
        addr,
        TOPIC,
        Arc::clone(&task_sub),
        None,
        token.clone(),
    );
    async_subscriber(
        &coordinator,
        addr,
        JOBS,
        Arc::clone(&task_worker),
        None,
        token.clone(),
    );
    let pause = Duration::from_millis(args.slow_ms);
    async_subscriber(
        &coordinator,
        addr,
        TOPIC,
        Arc::clone(&slow_sub),
        Some(pause),
        token,
    );
    wait_for(&stats, 5);

    // Publishers, until `publishing` goes false.
    let publishing = Arc::new(AtomicBool::new(true));
    let mut threads = Vec::new();
    {
        let (me, on) = (Arc::clone(&thread_pub), Arc::clone(&publishing));
        let (rate, size) = (args.rate, args.size);
        threads.push(std::thread::spawn(move || {
            thread_publisher(addr, &me, &on, rate, size)
        }));
    }
    let task = {
        let (me, on, rt2) = (Arc::clone(&task_pub), Arc::clone(&publishing), rt.clone());
        let (rate, size) = (args.rate, args.size);
        rt.spawn(async move { task_publisher(addr, &me, &on, rate, size, &rt2).await })
    };
    // The janus pattern: a thread puts jobs with `put_blocking`, a task gets them and publishes.
    let jobs: Queue<String> = Queue::bounded(256);
    {
        let (me, on, rate, jobs) = (
            Arc::clone(&bridge),
            Arc::clone(&publishing),
            args.rate / 2,
            jobs.clone(),
        );
        threads.push(std::thread::spawn(move || job_maker(&me, &on, rate, &jobs)));
    }
    let forwarder = rt.spawn(job_forwarder(addr, jobs));

    // The live progress line.
    let started = Instant::now();
    let live = io::stderr().is_terminal();
    let mut last_print = Instant::now();
    // A signal (ctrl-c, SIGTERM) ends the publishing early; the shutdown below then runs.
    while started.elapsed() < args.duration && !coordinator.is_triggered() {
        std::thread::sleep(Duration::from_millis(100));
        if live || last_print.elapsed() >= Duration::from_secs(1) {
            let s = stats.snapshot();
            let line = format!(
                "  {:>4.1}s  published {:>9}  delivered {:>9}  dropped {:>7}  clients {}",
                started.elapsed().as_secs_f64(),
                s.published,
                s.delivered,
                s.dropped,
                s.clients
            );
            if live {
                eprint!("\r{line}");
            } else {
                eprintln!("{line}");
            }
            last_print = Instant::now();
        }
    }
    publishing.store(false, Relaxed);
    for t in threads {
        let _ = t.join();
    }
    let _ = async_io::block_on(task);
    let _ = async_io::block_on(forwarder);
    if live {
        eprintln!();
    }

    // Graceful shutdown: the broker delivers what is queued, closes, subscribers end.
    let slot = Arc::new(std::sync::Mutex::new(None));
    {
        let (token, slot) = (coordinator.token(), Arc::clone(&slot));
        coordinator.spawn("broker: drain and close", async move {
            token.cancelled().await;
            let report = broker.shutdown().await;
            if let Ok(mut slot) = slot.lock() {
                *slot = Some(report);
            }
        });
    }
    coordinator.trigger("demo finished");
    let report = async_io::block_on(coordinator.wait());

    let rows = [
        &thread_pub,
        &task_pub,
        &bridge,
        &thread_sub,
        &task_sub,
        &slow_sub,
        &thread_worker,
        &task_worker,
    ];
    let secs = args.duration.as_secs_f64();
    let mut table = String::new();
    let _ = writeln!(
        table,
        "\n  {:<14} {:<7} {:<21} {:<13} {:>9} {:>9}",
        "participant", "runs on", "role", "channel", "messages", "msg/s"
    );
    for p in rows {
        let _ = writeln!(
            table,
            "  {:<14} {:<7} {:<21} {:<13} {:>9} {:>9.0}",
            p.name,
            p.runs_on,
            p.role,
            p.channel,
            p.get(),
            p.get() as f64 / secs
        );
    }
    print!("{table}");
    let topic_sent = thread_pub.get() + task_pub.get();
    let fast_whole = thread_sub.get() == topic_sent && task_sub.get() == topic_sent;
    let jobs_whole = thread_worker.get() + task_worker.get() == bridge.get();
    let end = stats.snapshot();
    println!();
    println!(
        "  fast subscribers got all {topic_sent} topic messages: {}",
        if fast_whole { "yes" } else { "NO" }
    );
    println!(
        "  slow subscriber got {} of them; the broker dropped {} oldest for it (drop-oldest policy)",
        slow_sub.get(),
        end.dropped
    );
    println!(
        "  every job delivered exactly once ({} + {} = {}): {}",
        thread_worker.get(),
        task_worker.get(),
        bridge.get(),
        if jobs_whole { "yes" } else { "NO" }
    );
    println!();
    let broker_report = slot.lock().ok().and_then(|mut slot| slot.take());
    if let Some(broker_report) = broker_report {
        println!("{broker_report}");
    }
    print!("{report}");
    io::stdout().flush()?;
    Ok(if fast_whole && jobs_whole && report.is_clean() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

fn wait_for(stats: &StatsHandle, subscribers: u64) {
    let deadline = Instant::now() + Duration::from_secs(5);
    while stats.snapshot().subscribers < subscribers && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(1));
    }
}

/// A subscriber on a blocking-pool thread, tracked by the coordinator.
fn blocking_subscriber(
    coordinator: &Coordinator,
    addr: SocketAddr,
    channel: &'static str,
    me: Arc<Participant>,
) -> io::Result<()> {
    let mut client = BlockingClient::connect(addr, channel)?;
    coordinator.spawn_blocking(me.name, move || {
        while let Ok(Some(_)) = client.recv() {
            me.bump();
        }
    });
    Ok(())
}

/// A subscriber task, tracked by the coordinator; with `pause`, a slow one that catches up
/// once the shutdown begins.
fn async_subscriber(
    coordinator: &Coordinator,
    addr: SocketAddr,
    channel: &'static str,
    me: Arc<Participant>,
    pause: Option<Duration>,
    token: ShutdownToken,
) {
    let rt = coordinator.runtime().clone();
    coordinator.spawn(me.name, async move {
        let Ok(mut client) = Client::connect(addr, channel).await else {
            return;
        };
        while let Ok(Some(_)) = client.recv().await {
            me.bump();
            if let Some(pause) = pause.filter(|_| !token.is_cancelled()) {
                rt.sleep(pause).await;
            }
        }
    });
}

/// A publisher thread on a blocking socket.
fn thread_publisher(addr: SocketAddr, me: &Participant, on: &AtomicBool, rate: u64, size: usize) {
    let Ok(mut client) = BlockingClient::connect(addr, "/null") else {
        return;
    };
    let started = Instant::now();
    let mut sent = 0;
    while on.load(Relaxed) {
        while sent < due(started, rate) && on.load(Relaxed) {
            if client
                .publish(TOPIC, &payload(me.name, sent, size))
                .is_err()
            {
                return;
            }
            sent += 1;
            me.bump();
        }
        if client.flush().is_err() {
            return;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    let _ = client.goodbye_and_wait();
}

/// A publisher task on an async socket.
async fn task_publisher(
    addr: SocketAddr,
    me: &Participant,
    on: &AtomicBool,
    rate: u64,
    size: usize,
    rt: &Runtime,
) {
    let Ok(mut client) = Client::connect(addr, "/null").await else {
        return;
    };
    let started = Instant::now();
    let mut sent = 0;
    while on.load(Relaxed) {
        while sent < due(started, rate) && on.load(Relaxed) {
            if client
                .publish(TOPIC, &payload(me.name, sent, size))
                .await
                .is_err()
            {
                return;
            }
            sent += 1;
            me.bump();
        }
        if client.flush().await.is_err() {
            return;
        }
        rt.sleep(Duration::from_millis(5)).await;
    }
    let _ = client.goodbye_and_wait().await;
}

/// A thread that makes jobs and hands them over with `put_blocking`.
fn job_maker(me: &Participant, on: &AtomicBool, rate: u64, jobs: &Queue<String>) {
    let started = Instant::now();
    let mut made = 0;
    while on.load(Relaxed) {
        while made < due(started, rate) && on.load(Relaxed) {
            if jobs.put_blocking(format!("job #{made}")).is_err() {
                return;
            }
            made += 1;
            me.bump();
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    jobs.close();
}

/// A task that gets the jobs (`get().await`) and publishes them to the work queue.
async fn job_forwarder(addr: SocketAddr, jobs: Queue<String>) {
    let Ok(mut client) = Client::connect(addr, "/null").await else {
        return;
    };
    while let Ok(job) = jobs.get().await {
        if client.publish(JOBS, job.as_bytes()).await.is_err() {
            return;
        }
        if jobs.is_empty() && client.flush().await.is_err() {
            return;
        }
    }
    let _ = client.goodbye_and_wait().await;
}
