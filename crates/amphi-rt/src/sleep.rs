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
    /// `Duration::MAX`, the usual "no limit") never fires; its
    /// [`deadline`](Self::deadline) is then the latest of 30 years, a year or a day from
    /// now that the platform can hold.
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let forever = amphi_rt::Sleep::after(Duration::MAX);
    /// assert!(forever.deadline() > std::time::Instant::now());
    /// ```
    pub fn after(duration: Duration) -> Sleep {
        let now = Instant::now();
        match now.checked_add(duration) {
            Some(deadline) => Sleep::until(deadline),
            None => Sleep {
                timer: async_io::Timer::never(),
                deadline: far_future(now),
            },
        }
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

/// A deadline no program waits for: 30 years from `now`, or if the platform's `Instant`
/// cannot hold that, a year or a day (`now` itself only if it cannot hold a day either).
fn far_future(now: Instant) -> Instant {
    const DAY: u64 = 24 * 60 * 60;
    [30 * 365 * DAY, 365 * DAY, DAY]
        .into_iter()
        .find_map(|secs| now.checked_add(Duration::from_secs(secs)))
        .unwrap_or(now)
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
