//! `amphi-mq sub`: print what a channel receives.

use std::io::{self, Write};
use std::net::SocketAddr;
use std::process::ExitCode;

use amphi_mq::BlockingClient;

/// Arguments of `sub`.
#[derive(Debug, clap::Args)]
pub(crate) struct SubArgs {
    /// The channel to subscribe to, e.g. /topic/news or /queue/jobs.
    channel: String,
    /// The broker's address.
    #[arg(long, default_value_t = crate::default_addr())]
    addr: SocketAddr,
    /// Write payloads as they are, without adding newlines.
    #[arg(long)]
    raw: bool,
    /// Exit after this many messages.
    #[arg(short = 'n', long)]
    count: Option<u64>,
    /// Largest frame accepted from the broker, in bytes: the broker's `--max-frame`.
    #[arg(long, default_value_t = amphi_mq::DEFAULT_MAX_FRAME)]
    max_frame: usize,
}

pub(crate) fn run(args: SubArgs) -> io::Result<ExitCode> {
    let mut client =
        BlockingClient::connect_with_max_frame(args.addr, &args.channel, args.max_frame)?;
    let stdout = io::stdout();
    let mut out = stdout.lock();
    let mut seen = 0u64;
    while args.count.is_none_or(|n| seen < n) {
        let Some(payload) = client.recv()? else {
            break;
        };
        out.write_all(&payload)?;
        if !args.raw {
            out.write_all(b"\n")?;
        }
        out.flush()?;
        seen += 1;
    }
    // The broker may already be gone; leaving is best effort.
    let _ = client.goodbye();
    Ok(ExitCode::SUCCESS)
}
