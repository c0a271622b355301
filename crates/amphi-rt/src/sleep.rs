//! Timers: [`Sleep`] and [`timeout`].

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

/// A future that completes at a deadline; made by [`Timer::sleep`](crate::Timer::sleep).
///
/// Backed by `async-io`'s timer on every runtime, so it works under any executor (tokio's
/// included, whether or not its time driver is enabled) and under a plain `block_on`.
///
/// # Cancel safety
///
/// Dropping it cancels the timer; nothing else is lost.
pub struct Sleep {
    timer: async_io::Timer,
    deadline: Instant,
}

impl Sleep {
    /// A timer that fires at `deadline`.
    pub fn until(deadline: Instant) -> Sleep {
        Sleep {
            timer: async_io::Timer::at(deadline),
            deadline,
        }
    }

    /// A timer that fires after `duration`.
    ///
    /// A duration that reaches past the latest `Instant` the platform can hold (such as
    /// `Duration::MAX`, the usual "no limit") gives a timer that does not fire in practice
    /// (see [`saturating_deadline`]).
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    ///
    /// let forever = amphi_rt::Sleep::after(Duration::MAX);
    /// assert!(forever.deadline() > Instant::now() + Duration::from_secs(3600));
    /// ```
    pub fn after(duration: Duration) -> Sleep {
        Sleep::until(saturating_deadline(Instant::now(), duration))
    }

    /// When this timer fires.
    pub fn deadline(&self) -> Instant {
        self.deadline
    }

    /// Moves the deadline, as if the timer had been created with `deadline`.
    pub fn reset(&mut self, deadline: Instant) {
        self.timer.set_at(deadline);
        self.deadline = deadline;
    }
}

/// `from + after`, or when that lies past the latest `Instant` the platform can hold (an
/// `after` of `Duration::MAX`, the usual "no limit"), the latest of 30 years, a year or a
/// day after `from` that it can hold: a deadline no program waits for. Never panics, where
/// `from + after` does.
///
/// ```
/// use std::time::{Duration, Instant};
///
/// let now = Instant::now();
/// assert_eq!(amphi_rt::saturating_deadline(now, Duration::from_secs(1)), now + Duration::from_secs(1));
/// assert!(amphi_rt::saturating_deadline(now, Duration::MAX) > now + Duration::from_secs(86_400));
/// ```
pub fn saturating_deadline(from: Instant, after: Duration) -> Instant {
    const DAY: u64 = 24 * 60 * 60;
    from.checked_add(after)
        .or_else(|| {
            [30 * 365 * DAY, 365 * DAY, DAY]
                .into_iter()
                .find_map(|secs| from.checked_add(Duration::from_secs(secs)))
        })
        .unwrap_or(from)
}

impl fmt::Debug for Sleep {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sleep")
            .field("deadline", &self.deadline)
            .finish_non_exhaustive()
    }
}

impl Future for Sleep {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        Pin::new(&mut self.get_mut().timer).poll(cx).map(drop)
    }
}

/// The error of [`timeout`]: the deadline passed first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeoutError {
    /// How long the future was given.
    pub after: Duration,
}

impl fmt::Display for TimeoutError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "timed out after {:?}", self.after)
    }
}

impl std::error::Error for TimeoutError {}

/// Runs `future` for at most `duration`.
///
/// # Errors
///
/// [`TimeoutError`] if `duration` passes first; `future` is then dropped.
///
/// # Cancel safety
///
/// As cancel-safe as `future` itself: on timeout, or if this future is dropped, `future` is
/// dropped at its current suspension point.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
///
/// let slow = futures_lite::future::pending::<()>();
/// let result = futures_lite::future::block_on(amphi_rt::timeout(Duration::from_millis(5), slow));
/// assert!(result.is_err());
/// ```
pub async fn timeout<F: Future>(duration: Duration, future: F) -> Result<F::Output, TimeoutError> {
    let deadline = Sleep::after(duration);
    futures_lite::future::or(async { Ok(future.await) }, async {
        deadline.await;
        Err(TimeoutError { after: duration })
    })
    .await
}
