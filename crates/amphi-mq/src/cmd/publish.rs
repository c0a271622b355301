//! `amphi-mq pub`: publish the arguments, or stdin's lines.

use std::io::{self, BufRead};
use std::net::SocketAddr;
use std::process::ExitCode;

use amphi_mq::BlockingClient;

/// Arguments of `pub`.
#[derive(Debug, clap::Args)]
pub(crate) struct PubArgs {
    /// The channel to publish to.
    channel: String,
    /// The messages, one per argument; without any, each line of stdin is one message.
    messages: Vec<String>,
    /// The broker's address.
    #[arg(long, default_value_t = crate::default_addr())]
    addr: SocketAddr,
}

pub(crate) fn run(args: PubArgs) -> io::Result<ExitCode> {
    let mut client = BlockingClient::connect(args.addr, "/null")?;
    if args.messages.is_empty() {
        for line in io::stdin().lock().lines() {
            client.publish(&args.channel, line?.as_bytes())?;
            client.flush()?;
        }
    } else {
        for message in &args.messages {
            client.publish(&args.channel, message.as_bytes())?;
        }
    }
    // Returns once the broker has read everything and closed: nothing is cut off at exit.
    client.goodbye_and_wait()?;
    Ok(ExitCode::SUCCESS)
}
