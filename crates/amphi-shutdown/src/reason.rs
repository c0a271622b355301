//! [`Reason`] and [`Signal`]: why a shutdown started.

use std::borrow::Cow;
use std::fmt;

/// A signal that can start a shutdown.
///
/// On Unix these are the real signals; on Windows only [`Signal::Interrupt`] exists (ctrl-c).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Signal {
    /// `SIGINT`: ctrl-c in a terminal (and ctrl-c / ctrl-break on Windows).
    Interrupt,
    /// `SIGTERM`: what `kill`, systemd and Kubernetes send to ask for a clean stop.
    Terminate,
    /// `SIGHUP`: the terminal went away. Opt-in, since daemons often use it to reload.
    Hangup,
}

impl Signal {
    /// The conventional name: `"SIGINT"`, `"SIGTERM"` or `"SIGHUP"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Signal::Interrupt => "SIGINT",
            Signal::Terminate => "SIGTERM",
            Signal::Hangup => "SIGHUP",
        }
    }

    /// The signal number on Unix (2, 15, 1).
    pub fn number(self) -> i32 {
        match self {
            Signal::Interrupt => 2,
            Signal::Terminate => 15,
            Signal::Hangup => 1,
        }
    }

    /// The exit code a shell reports for a process killed by this signal: 128 + its number
    /// (130 for `SIGINT`, 143 for `SIGTERM`, 129 for `SIGHUP`).
    pub fn exit_code(self) -> i32 {
        128 + self.number()
    }
}

impl fmt::Display for Signal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a shutdown (or a token's cancellation) started; readable afterwards with
/// [`Shutdown::reason`](crate::Shutdown::reason) and
/// [`ShutdownToken::reason`](crate::ShutdownToken::reason).
///
/// Build one from a string (`"config reload failed"`, or a `String`) or from a [`Signal`].
///
/// # Examples
///
/// ```
/// use amphi_shutdown::{Reason, Signal};
///
/// assert_eq!(Reason::from("maintenance").to_string(), "maintenance");
/// assert_eq!(Reason::from(Signal::Terminate).to_string(), "received SIGTERM");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Reason {
    /// A signal arrived (see [`Shutdown::listen_for_signals`](crate::Shutdown::listen_for_signals)).
    Signal(Signal),
    /// The program asked, with this message.
    Requested(Cow<'static, str>),
}

impl Reason {
    /// The signal, if a signal started the shutdown.
    pub fn signal(&self) -> Option<Signal> {
        match self {
            Reason::Signal(signal) => Some(*signal),
            Reason::Requested(_) => None,
        }
    }
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Reason::Signal(signal) => write!(f, "received {signal}"),
            Reason::Requested(message) => f.write_str(message),
        }
    }
}

impl From<Signal> for Reason {
    fn from(signal: Signal) -> Reason {
        Reason::Signal(signal)
    }
}

impl From<&'static str> for Reason {
    fn from(message: &'static str) -> Reason {
        Reason::Requested(Cow::Borrowed(message))
    }
}

impl From<String> for Reason {
    fn from(message: String) -> Reason {
        Reason::Requested(Cow::Owned(message))
    }
}

impl From<Cow<'static, str>> for Reason {
    fn from(message: Cow<'static, str>) -> Reason {
        Reason::Requested(message)
    }
}
