//! The signal thread: the first handled signal triggers the shutdown, a later one forces the
//! exit path. Handlers come from `signal-hook` (Unix) and `ctrlc` (Windows); the wait runs on
//! a plain thread, so it works with any runtime or none.

use std::io;

use crate::{Shutdown, Signal};

/// What to do with `signal`: begin the shutdown, or force the exit if it has begun.
fn on_signal(shutdown: &Shutdown, signal: Signal) {
    if !shutdown.trigger(signal) {
        shutdown.force(signal);
    }
}

#[cfg(unix)]
pub(crate) fn listen(shutdown: Shutdown, signals: &[Signal]) -> io::Result<()> {
    use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};

    let numbers: Vec<i32> = signals
        .iter()
        .map(|signal| match signal {
            Signal::Interrupt => SIGINT,
            Signal::Terminate => SIGTERM,
            Signal::Hangup => SIGHUP,
        })
        .collect();
    let mut iterator = signal_hook::iterator::Signals::new(&numbers)?;
    std::thread::Builder::new()
        .name("amphi-shutdown-signals".to_owned())
        .spawn(move || {
            for number in iterator.forever() {
                let signal = match number {
                    SIGINT => Signal::Interrupt,
                    SIGTERM => Signal::Terminate,
                    SIGHUP => Signal::Hangup,
                    _ => continue,
                };
                on_signal(&shutdown, signal);
            }
        })?;
    Ok(())
}

#[cfg(windows)]
pub(crate) fn listen(shutdown: Shutdown, signals: &[Signal]) -> io::Result<()> {
    if !signals.contains(&Signal::Interrupt) {
        return Ok(());
    }
    ctrlc::set_handler(move || on_signal(&shutdown, Signal::Interrupt)).map_err(io::Error::other)
}

#[cfg(not(any(unix, windows)))]
pub(crate) fn listen(_shutdown: Shutdown, _signals: &[Signal]) -> io::Result<()> {
    Err(io::Error::new(
        io::ErrorKind::Unsupported,
        "signals are not supported on this platform",
    ))
}
