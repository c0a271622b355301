//! The one error type of the xtask: every failure says what it was doing and where.

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};

/// Everything that can go wrong while benchmarking or writing the report.
#[derive(Debug)]
pub(crate) enum Error {
    /// The command line could not be understood.
    Usage(String),
    /// Reading or writing a file or directory failed.
    Io {
        /// What we were doing, e.g. "reading".
        action: &'static str,
        /// The file or directory.
        path: PathBuf,
        /// The underlying error.
        source: io::Error,
    },
    /// A JSON file did not have the expected shape.
    Json {
        /// The file.
        path: PathBuf,
        /// What was wrong with it.
        message: String,
    },
    /// A child process could not be started.
    Spawn {
        /// The command, as the user would type it.
        command: String,
        /// The underlying error.
        source: io::Error,
    },
    /// A child process ran but failed.
    CommandFailed {
        /// The command, as the user would type it.
        command: String,
        /// Its exit status, as printed by the OS.
        status: String,
    },
    /// Some benchmarks failed; the others were measured and reported.
    BenchFailed(String),
    /// The criterion directory holds no usable result.
    NoResults {
        /// The directory that was searched.
        dir: PathBuf,
        /// Why individual results were rejected, if any were.
        rejected: Vec<String>,
    },
    /// Drawing a plot failed.
    Plot {
        /// The SVG being drawn.
        path: PathBuf,
        /// What plotters said.
        message: String,
    },
}

impl Error {
    /// An I/O error on `path`.
    pub(crate) fn io(action: &'static str, path: &Path, source: io::Error) -> Self {
        Self::Io {
            action,
            path: path.to_path_buf(),
            source,
        }
    }

    /// A JSON shape error in `path`.
    pub(crate) fn json(path: &Path, message: impl Into<String>) -> Self {
        Self::Json {
            path: path.to_path_buf(),
            message: message.into(),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Usage(message) => write!(f, "{message} (try `cargo xtask help`)"),
            Self::Io {
                action,
                path,
                source,
            } => write!(f, "{action} {}: {source}", path.display()),
            Self::Json { path, message } => {
                write!(f, "unexpected JSON in {}: {message}", path.display())
            }
            Self::BenchFailed(failure) => write!(
                f,
                "{failure}; the report shows the benchmarks that did run (see the output above \
                 for the failing one)"
            ),
            Self::Spawn { command, source } => write!(f, "could not start `{command}`: {source}"),
            Self::CommandFailed { command, status } => write!(f, "`{command}` failed: {status}"),
            Self::NoResults { dir, rejected } => {
                write!(
                    f,
                    "no criterion results under {}; run `cargo xtask bench` first \
                     or pass --criterion-dir",
                    dir.display()
                )?;
                for reason in rejected {
                    write!(f, "\n  skipped: {reason}")?;
                }
                Ok(())
            }
            Self::Plot { path, message } => {
                write!(f, "drawing {} failed: {message}", path.display())
            }
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Io { source, .. } | Self::Spawn { source, .. } => Some(source),
            _ => None,
        }
    }
}

/// The xtask's result type.
pub(crate) type Result<T, E = Error> = std::result::Result<T, E>;
