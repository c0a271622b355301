//! `amphi-mq demo`: to be written.

use std::io;
use std::process::ExitCode;

/// Arguments of `demo`.
#[derive(Debug, clap::Args)]
pub(crate) struct DemoArgs {}

pub(crate) fn run(_args: DemoArgs) -> io::Result<ExitCode> {
    Ok(ExitCode::SUCCESS)
}
