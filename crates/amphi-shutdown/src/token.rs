//! [`ShutdownToken`]: the cancellation flag that work checks or waits on, with child tokens.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Weak};
use std::task::{Context, Poll};
use std::time::Instant;

use event_listener::{Event, EventListener};
use event_listener_strategy::{EventListenerFuture, FutureWrapper, Strategy};

use crate::Reason;
use crate::sync::{AtomicBool, Mutex, Ordering, lock};

/// One token in the tree: a flag, the event its waiters listen on, and what only changes under
/// the lock (reason, time, children).
struct Node {
    /// Set once, under `meta`'s lock, never cleared. Read without the lock.
    cancelled: AtomicBool,
    /// Notified (all listeners) right after `cancelled` is set.
    event: Event,
    meta: Mutex<Meta>,
}

struct Meta {
    reason: Option<Reason>,
    at: Option<Instant>,
    /// Children still to cancel with this node. Dropped children leave dead entries (each
    /// keeps its node's allocation alive through the `Weak`), pruned whenever the vector
    /// would grow, so a parent that outlives many short-lived children holds at most about
    /// twice as many entries as it ever had children alive at once.
    children: Vec<Weak<Node>>,
}

impl Node {
    fn new(cancelled: Option<(Reason, Instant)>) -> Node {
        let is_cancelled = cancelled.is_some();
        let (reason, at) = cancelled.map_or((None, None), |(reason, at)| (Some(reason), Some(at)));
        Node {
            cancelled: AtomicBool::new(is_cancelled),
            event: Event::new(),
            meta: Mutex::new(Meta {
                reason,
                at,
                children: Vec::new(),
            }),
        }
    }

    /// Cancels this node, then its live descendants (iteratively: a deep chain of children
    /// cannot overflow the stack). Returns whether this call cancelled `self`.
    fn cancel(self: &Arc<Node>, reason: Reason) -> bool {
        let mut pending = vec![Arc::clone(self)];
        let mut first = true;
        let mut did_it = false;
        while let Some(node) = pending.pop() {
            let children = {
                let mut meta = lock(&node.meta);
                if meta.reason.is_some() {
                    if first {
                        return false;
                    }
                    continue;
                }
                meta.reason = Some(reason.clone());
                meta.at = Some(Instant::now());
                // Release: what the canceller did before is visible to whoever sees the flag.
                node.cancelled.store(true, Ordering::Release);
                std::mem::take(&mut meta.children)
            };
            node.event.notify(usize::MAX);
            pending.extend(children.iter().filter_map(Weak::upgrade));
            did_it |= first;
            first = false;
        }
        did_it
    }

    fn child(self: &Arc<Node>) -> Arc<Node> {
        let mut meta = lock(&self.meta);
        if let (Some(reason), Some(at)) = (&meta.reason, meta.at) {
            // Born cancelled: the parent already is.
            return Arc::new(Node::new(Some((reason.clone(), at))));
        }
        let child = Arc::new(Node::new(None));
        if meta.children.len() == meta.children.capacity() {
            meta.children.retain(|weak| weak.strong_count() > 0);
        }
        meta.children.push(Arc::downgrade(&child));
        child
    }
}

/// A cancellation flag shared by everything that should stop when the shutdown (or this
/// token alone) is cancelled.
///
/// Get one from [`Shutdown::token`](crate::Shutdown::token), make a standalone one with
/// [`ShutdownToken::new`], or derive a [`child`](ShutdownToken::child) that can be cancelled
/// on its own. Cloning is one `Arc` increment; clones share the flag.
///
/// Check it with [`is_cancelled`](ShutdownToken::is_cancelled) (one atomic load), wait for it
/// with [`cancelled`](ShutdownToken::cancelled) in async code or
/// [`cancelled_blocking`](ShutdownToken::cancelled_blocking) on a thread.
///
/// # Examples
///
/// ```
/// use amphi_shutdown::ShutdownToken;
///
/// let token = ShutdownToken::new();
/// let child = token.child();
/// let worker = std::thread::spawn(move || {
///     child.cancelled_blocking();
///     "stopped"
/// });
/// token.cancel();
/// assert_eq!(worker.join().ok(), Some("stopped"));
/// ```
#[derive(Clone)]
pub struct ShutdownToken {
    node: Arc<Node>,
}

impl ShutdownToken {
    /// A new token, not cancelled, with no parent.
    pub fn new() -> ShutdownToken {
        ShutdownToken {
            node: Arc::new(Node::new(None)),
        }
    }

    /// Whether the token has been cancelled.
    ///
    /// Cost: one atomic load (`Acquire`); no lock, no allocation.
    #[inline]
    pub fn is_cancelled(&self) -> bool {
        self.node.cancelled.load(Ordering::Acquire)
    }

    /// Waits until the token is cancelled; at once if it already is.
    ///
    /// # Cancel safety
    ///
    /// Cancel-safe: dropping the future only unregisters its listener; nothing is consumed,
    /// and a later call (or `select!` iteration) sees the cancellation all the same.
    ///
    /// # Examples
    ///
    /// ```
    /// use amphi_shutdown::ShutdownToken;
    ///
    /// let token = ShutdownToken::new();
    /// token.cancel();
    /// futures_lite::future::block_on(token.cancelled());
    /// ```
    pub fn cancelled(&self) -> Cancelled<'_> {
        Cancelled {
            inner: FutureWrapper::new(WaitCancelled {
                node: &self.node,
                listener: None,
            }),
        }
    }

    /// Runs `future` until it completes (`Some(output)`) or the token is cancelled (`None`),
    /// whichever comes first; a token already cancelled wins without polling `future`.
    ///
    /// # Cancel safety
    ///
    /// When the token wins, or this future is dropped, `future` is dropped where it stood:
    /// the combination is exactly as cancel-safe as `future` is. The token side loses nothing.
    ///
    /// # Examples
    ///
    /// ```
    /// use amphi_shutdown::ShutdownToken;
    ///
    /// let token = ShutdownToken::new();
    /// futures_lite::future::block_on(async {
    ///     assert_eq!(token.run_until_cancelled(async { 7 }).await, Some(7));
    ///     token.cancel();
    ///     assert_eq!(token.run_until_cancelled(std::future::pending::<u8>()).await, None);
    /// });
    /// ```
    pub async fn run_until_cancelled<F: Future>(&self, future: F) -> Option<F::Output> {
        let cancelled = async {
            self.cancelled().await;
            None
        };
        // `or` polls its receiver first: cancellation wins ties.
        futures_lite::FutureExt::or(cancelled, async { Some(future.await) }).await
    }

    /// Blocks the current thread until the token is cancelled; returns at once if it already
    /// is.
    ///
    /// # Blocking
    ///
    /// Parks the thread. Never call it from async code: it would block an executor thread,
    /// and with it every task scheduled there; use [`cancelled`](ShutdownToken::cancelled).
    pub fn cancelled_blocking(&self) {
        WaitCancelled {
            node: &self.node,
            listener: None,
        }
        .wait();
    }

    /// A token cancelled when this one is, or on its own by its own
    /// [`cancel`](ShutdownToken::cancel), which does not touch this token.
    ///
    /// A child of a cancelled token is born cancelled, with the parent's reason. The parent
    /// holds only a weak reference, so dropping the child frees it.
    pub fn child(&self) -> ShutdownToken {
        ShutdownToken {
            node: self.node.child(),
        }
    }

    /// Cancels this token and all its descendants; returns whether this call did it (`false`
    /// if it was already cancelled). Wakes every waiter.
    ///
    /// The reason recorded is "token cancelled". Cancelling the token of a
    /// [`Shutdown`](crate::Shutdown) is the same as
    /// [`Shutdown::trigger`](crate::Shutdown::trigger) with that reason.
    pub fn cancel(&self) -> bool {
        self.cancel_with("token cancelled")
    }

    /// Like [`cancel`](ShutdownToken::cancel), recording `reason`.
    pub fn cancel_with(&self, reason: impl Into<Reason>) -> bool {
        self.node.cancel(reason.into())
    }

    /// Why the token was cancelled, or `None` while it is not.
    ///
    /// A token cancelled through its parent carries the parent's reason.
    pub fn reason(&self) -> Option<Reason> {
        lock(&self.node.meta).reason.clone()
    }

    /// When the token was cancelled, or `None` while it is not.
    pub fn cancelled_at(&self) -> Option<Instant> {
        lock(&self.node.meta).at
    }

    /// Whether both handles share one token (clones of each other).
    pub fn same_token(&self, other: &ShutdownToken) -> bool {
        Arc::ptr_eq(&self.node, &other.node)
    }
}

impl Default for ShutdownToken {
    fn default() -> ShutdownToken {
        ShutdownToken::new()
    }
}

impl fmt::Debug for ShutdownToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ShutdownToken")
            .field("cancelled", &self.is_cancelled())
            .finish()
    }
}

/// The wait, written once: the async front end polls it, the blocking one parks on it.
struct WaitCancelled<'a> {
    node: &'a Node,
    listener: Option<EventListener>,
}

impl EventListenerFuture for WaitCancelled<'_> {
    type Output = ();

    fn poll_with_strategy<'a, S: Strategy<'a>>(
        mut self: Pin<&mut Self>,
        strategy: &mut S,
        context: &mut S::Context,
    ) -> Poll<()> {
        // Check, listen, check again: the flag is set before `notify`, so a listener made
        // before the second check cannot miss the notification.
        loop {
            if self.node.cancelled.load(Ordering::Acquire) {
                self.listener = None;
                return Poll::Ready(());
            }
            if self.listener.is_some() {
                if strategy.poll(&mut self.listener, context).is_pending() {
                    return Poll::Pending;
                }
            } else {
                self.listener = Some(self.node.event.listen());
            }
        }
    }
}

/// The future of [`ShutdownToken::cancelled`]: completes when the token is cancelled.
///
/// # Cancel safety
///
/// Cancel-safe: dropping it loses nothing.
#[must_use = "futures do nothing unless awaited"]
pub struct Cancelled<'a> {
    inner: FutureWrapper<WaitCancelled<'a>>,
}

impl Future for Cancelled<'_> {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        Pin::new(&mut self.inner).poll(cx)
    }
}

impl fmt::Debug for Cancelled<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Cancelled")
            .field(
                "cancelled",
                &self.inner.get_ref().node.cancelled.load(Ordering::Acquire),
            )
            .finish()
    }
}

#[cfg(all(test, not(amphi_loom)))]
mod tests {
    use super::*;

    #[test]
    fn dropped_children_are_pruned() {
        let root = ShutdownToken::new();
        let live: Vec<_> = (0..10).map(|_| root.child()).collect();
        for _ in 0..10_000 {
            drop(root.child());
        }
        let meta = lock(&root.node.meta);
        let alive = meta
            .children
            .iter()
            .filter(|weak| weak.strong_count() > 0)
            .count();
        assert_eq!(alive, live.len());
        assert!(
            meta.children.capacity() <= 4 * live.len(),
            "{} entries kept for {} live children",
            meta.children.capacity(),
            live.len()
        );
    }
}
