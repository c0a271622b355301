//! One module per subcommand.

pub(crate) mod bench;
pub(crate) mod demo;
pub(crate) mod histogram;
pub(crate) mod nats;
pub(crate) mod publish;
pub(crate) mod serve;
pub(crate) mod sub;

use std::time::Duration;

/// Parses seconds, fractions allowed (`0.5`, `5`).
pub(crate) fn parse_secs(s: &str) -> Result<Duration, String> {
    let secs: f64 = s
        .parse()
        .map_err(|_| format!("`{s}` is not a number of seconds"))?;
    Duration::try_from_secs_f64(secs).map_err(|_| format!("`{s}` is not a valid duration"))
}
