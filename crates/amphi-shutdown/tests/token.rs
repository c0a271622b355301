//! Tokens: the flag, the waits, children and reasons.

use std::time::Duration;

use amphi_shutdown::{Reason, Shutdown, ShutdownToken, Signal};

#[test]
fn is_cancelled_flips_once() {
    let token = ShutdownToken::new();
    assert!(!token.is_cancelled());
    assert_eq!(token.reason(), None);
    assert_eq!(token.cancelled_at(), None);
    assert!(token.cancel_with("first"));
    assert!(!token.cancel_with("second"));
    assert!(token.is_cancelled());
    assert_eq!(token.reason(), Some(Reason::from("first")));
    assert!(token.cancelled_at().is_some());
}

#[test]
fn cancelled_wakes_every_waiter_on_every_runtime() {
    amphi_test::run(|rt| async move {
        let token = ShutdownToken::new();
        let waiters: Vec<_> = (0..16)
            .map(|i| {
                let token = token.clone();
                rt.spawn(async move {
                    token.cancelled().await;
                    i
                })
            })
            .collect();
        rt.sleep(Duration::from_millis(10)).await;
        assert!(token.cancel());
        let mut sum = 0;
        for waiter in waiters {
            sum += waiter.await.expect("waiter task");
        }
        assert_eq!(sum, (0..16).sum::<i32>(), "on {}", rt.name());
    });
}

#[test]
fn cancelled_is_ready_at_once_when_already_cancelled() {
    amphi_test::run(|_rt| async move {
        let token = ShutdownToken::new();
        token.cancel();
        token.cancelled().await;
        token.child().cancelled().await;
    });
}

#[test]
fn cancelled_future_dropped_early_loses_nothing() {
    amphi_test::run(|rt| async move {
        let token = ShutdownToken::new();
        // Poll once (pending), then drop: the next wait still sees the cancellation.
        let outcome = amphi_rt::timeout(Duration::from_millis(5), token.cancelled()).await;
        assert!(outcome.is_err());
        let waiter = {
            let token = token.clone();
            rt.spawn(async move { token.cancelled().await })
        };
        token.cancel();
        assert!(waiter.await.is_ok());
    });
}

#[test]
fn cancelled_blocking_from_threads() {
    let token = ShutdownToken::new();
    let threads: Vec<_> = (0..8)
        .map(|_| {
            let token = token.child();
            std::thread::spawn(move || {
                token.cancelled_blocking();
                token.reason()
            })
        })
        .collect();
    std::thread::sleep(Duration::from_millis(10));
    token.cancel_with(Signal::Terminate);
    for thread in threads {
        let reason = thread.join().expect("thread");
        assert_eq!(reason, Some(Reason::Signal(Signal::Terminate)));
    }
}

#[test]
fn child_cancels_alone_parent_cancels_all() {
    let root = ShutdownToken::new();
    let a = root.child();
    let a1 = a.child();
    let b = root.child();
    assert!(a.cancel());
    assert!(a.is_cancelled() && a1.is_cancelled());
    assert!(!root.is_cancelled() && !b.is_cancelled());
    assert!(root.cancel_with("stop"));
    assert!(b.is_cancelled());
    assert_eq!(b.reason(), Some(Reason::from("stop")));
    // a kept its own reason.
    assert_eq!(a.reason(), Some(Reason::from("token cancelled")));
    // Born cancelled.
    let late = root.child();
    assert!(late.is_cancelled());
    assert_eq!(late.reason(), Some(Reason::from("stop")));
}

#[test]
fn deep_chain_of_children_does_not_overflow() {
    let root = ShutdownToken::new();
    let mut tokens = vec![root.clone()];
    for _ in 0..if cfg!(miri) { 100 } else { 100_000 } {
        let next = tokens.last().map(ShutdownToken::child).expect("non-empty");
        tokens.push(next);
    }
    root.cancel();
    assert!(tokens.iter().all(ShutdownToken::is_cancelled));
}

#[test]
fn live_children_are_cancelled_among_many_dropped_ones() {
    let root = ShutdownToken::new();
    let keep: Vec<_> = (0..10).map(|_| root.child()).collect();
    for _ in 0..10_000 {
        drop(root.child());
    }
    root.cancel();
    assert!(keep.iter().all(ShutdownToken::is_cancelled));
}

#[test]
fn shutdown_token_is_the_trigger() {
    let shutdown = Shutdown::new();
    let token = shutdown.token();
    assert!(token.same_token(&shutdown.token()));
    assert!(!shutdown.is_triggered());
    assert!(token.cancel());
    assert!(shutdown.is_triggered());
    assert!(!shutdown.trigger("too late"));
    assert_eq!(shutdown.reason(), Some(Reason::from("token cancelled")));
}

#[test]
fn reason_display() {
    assert_eq!(
        Reason::from(Signal::Interrupt).to_string(),
        "received SIGINT"
    );
    assert_eq!(Reason::from(String::from("bye")).to_string(), "bye");
    assert_eq!(Reason::from(Signal::Hangup).signal(), Some(Signal::Hangup));
    assert_eq!(Signal::Interrupt.exit_code(), 130);
    assert_eq!(Signal::Terminate.exit_code(), 143);
}

#[test]
fn run_until_cancelled_on_every_runtime() {
    amphi_test::run(|rt| async move {
        let token = ShutdownToken::new();
        assert_eq!(token.run_until_cancelled(async { 1 }).await, Some(1));
        let canceller = {
            let token = token.clone();
            let rt2 = rt.clone();
            rt.spawn(async move {
                rt2.sleep(Duration::from_millis(10)).await;
                token.cancel();
            })
        };
        let waited = token
            .run_until_cancelled(std::future::pending::<()>())
            .await;
        assert_eq!(waited, None);
        assert!(canceller.await.is_ok());
        // Already cancelled: the future is not even polled.
        let polled = std::cell::Cell::new(false);
        let out = token
            .run_until_cancelled(async {
                polled.set(true);
            })
            .await;
        assert_eq!(out, None);
        assert!(!polled.get());
    });
}
