//! Who waits, and how they are woken: one `event-listener` event per kind of waiter, a count
//! of listeners per event so that notifiers skip the event while nobody listens, and a
//! version counter that spinning waiters of the locked store watch.

use crate::sync::{Arc, AtomicUsize, Event, EventListener, Ordering, fence};

/// The events waiters listen on.
#[derive(Clone, Copy)]
pub(crate) enum Waiters {
    /// Getters, woken when an item arrives or the queue closes.
    Getters,
    /// Putters and reservers, woken when a slot frees or the queue closes.
    Putters,
    /// Joiners, woken when the unfinished count reaches zero.
    Joiners,
}

/// A registered listener, counted so that notifiers can skip the event entirely while
/// nobody listens (event-listener's `notify` always takes its own lock and a fence).
pub(crate) struct Waiting {
    pub(crate) listener: Option<EventListener>,
    count: Arc<AtomicUsize>,
}

impl Drop for Waiting {
    fn drop(&mut self) {
        self.count.fetch_sub(1, Ordering::SeqCst);
    }
}

/// What a wait keeps between polls: its listener once it has registered one, and how many
/// polls it ended by yielding to the executor instead (see `Shared::wait`).
pub(crate) struct WaitState {
    pub(crate) listener: Option<Waiting>,
    pub(crate) yields: u32,
}

impl WaitState {
    pub(crate) const fn new() -> Self {
        WaitState {
            listener: None,
            yields: 0,
        }
    }

    /// A wait ended: the next one, by a stream or sink that keeps this state, starts with
    /// its whole budget of executor yields again.
    pub(crate) fn reset(&mut self) {
        self.yields = 0;
    }
}

/// The three events, their listener counts and the version counter.
pub(crate) struct Wakers {
    getters: Event,
    putters: Event,
    joiners: Event,
    /// How many listeners each event has (see [`Waiting`]).
    listening: [Arc<AtomicUsize>; 3],
    /// Bumped after every change of the locked store that can unblock a waiter (and on
    /// close and all-done); spinning waiters watch it instead of taking the lock.
    version: AtomicUsize,
}

impl Wakers {
    pub(crate) fn new() -> Self {
        Wakers {
            getters: Event::new(),
            putters: Event::new(),
            joiners: Event::new(),
            listening: [
                Arc::new(AtomicUsize::new(0)),
                Arc::new(AtomicUsize::new(0)),
                Arc::new(AtomicUsize::new(0)),
            ],
            version: AtomicUsize::new(0),
        }
    }

    fn event(&self, waiters: Waiters) -> &Event {
        match waiters {
            Waiters::Getters => &self.getters,
            Waiters::Putters => &self.putters,
            Waiters::Joiners => &self.joiners,
        }
    }

    /// Counts a new listener, then registers it. The caller checks its condition again
    /// afterwards: a notification sent after that check reaches the listener, and a notifier
    /// that read a zero count made its change before the check (the count is raised, then a
    /// full fence; notifiers change, fence or lock, then read the count).
    pub(crate) fn listen(&self, waiters: Waiters) -> Waiting {
        let count = Arc::clone(&self.listening[waiters as usize]);
        count.fetch_add(1, Ordering::SeqCst);
        fence(Ordering::SeqCst);
        Waiting {
            listener: Some(self.event(waiters).listen()),
            count,
        }
    }

    /// Whether anyone listens on `waiters`' event.
    #[inline]
    fn anyone_listening(&self, waiters: Waiters) -> bool {
        self.listening[waiters as usize].load(Ordering::SeqCst) != 0
    }

    /// The version spinning waiters compare against.
    #[inline]
    pub(crate) fn version(&self) -> usize {
        self.version.load(Ordering::Acquire)
    }

    /// Records a change for spinning waiters.
    #[inline]
    fn changed(&self) {
        self.version.fetch_add(1, Ordering::Release);
    }

    /// Wakes one more getter; `spinners` when a put made an empty locked store non-empty
    /// (only then can a getter be spinning on the version). Skipping the version bump
    /// otherwise keeps producer and consumer off a shared cache line on the busy path.
    #[inline]
    pub(crate) fn wake_getter(&self, spinners: bool) {
        if spinners {
            self.changed();
        }
        if self.anyone_listening(Waiters::Getters) {
            self.getters.notify_additional(1);
        }
    }

    /// Wakes one more putter or reserver; `spinners` when a slot was freed in a full
    /// locked store.
    #[inline]
    pub(crate) fn wake_putter(&self, spinners: bool) {
        if spinners {
            self.changed();
        }
        if self.anyone_listening(Waiters::Putters) {
            self.putters.notify_additional(1);
        }
    }

    /// Wakes every getter (the store turned closed-and-drained for them).
    pub(crate) fn wake_all_getters(&self) {
        self.changed();
        self.getters.notify(usize::MAX);
    }

    /// Wakes every getter, putter and reserver: the queue closed.
    pub(crate) fn wake_all_on_close(&self) {
        self.changed();
        self.getters.notify(usize::MAX);
        self.putters.notify(usize::MAX);
    }

    /// Wakes every joiner: the unfinished count reached zero.
    pub(crate) fn wake_joiners(&self) {
        self.changed();
        // The count reached zero by an atomic outside any lock in the ring store: the
        // waiter side fences after raising its count (see `listen`), so fence here too.
        fence(Ordering::SeqCst);
        if self.anyone_listening(Waiters::Joiners) {
            self.joiners.notify(usize::MAX);
        }
    }
}
