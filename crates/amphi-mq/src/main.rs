//! The `amphi-mq` command line: run the broker, subscribe, publish, benchmark, demo.

#![forbid(unsafe_code)]

use std::net::SocketAddr;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod cmd;

/// A small pub/sub message broker built on amphi.
///
/// Wire protocol: every message is a frame (4-byte big-endian length, then the bytes). A
/// client's first frame names the channel it subscribes to; then it sends (channel, payload)
/// frame pairs. `/queue...` channels deliver round-robin, every other channel fans out.
#[derive(Debug, Parser)]
#[command(name = "amphi-mq", version, propagate_version = true)]
struct Cli {
    /// More logging: -v info, -vv debug, -vvv trace (RUST_LOG overrides).
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    verbose: u8,

    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the broker until SIGINT or SIGTERM (a second signal exits at once).
    Serve(cmd::serve::ServeArgs),
    /// Subscribe to a channel and print each payload on its own line.
    Sub(cmd::sub::SubArgs),
    /// Publish messages (the arguments, or else each line of stdin) to a channel.
    Pub(cmd::publish::PubArgs),
    /// Measure throughput and latency of a broker (embedded, external, or nats-server).
    Bench(cmd::bench::BenchArgs),
    /// Show the broker at work: threads and tasks publishing and subscribing, then a graceful
    /// shutdown. Finishes by itself.
    Demo(cmd::demo::DemoArgs),
}

/// The default broker address of the clients.
pub(crate) fn default_addr() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 25000))
}

fn init_tracing(verbose: u8) {
    use tracing_subscriber::EnvFilter;
    let level = match verbose {
        0 => "warn",
        1 => "info",
        2 => "debug",
        _ => "trace",
    };
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(level));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .try_init();
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_tracing(cli.verbose);
    let result = match cli.command {
        Command::Serve(args) => cmd::serve::run(args),
        Command::Sub(args) => cmd::sub::run(args),
        Command::Pub(args) => cmd::publish::run(args),
        Command::Bench(args) => cmd::bench::run(args),
        Command::Demo(args) => cmd::demo::run(args),
    };
    match result {
        Ok(code) => code,
        Err(err) => {
            eprintln!("amphi-mq: {err}");
            ExitCode::FAILURE
        }
    }
}
