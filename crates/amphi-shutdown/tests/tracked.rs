//! Tracked work: named tasks and blocking closures, their outcomes, the deadline and the
//! report.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use amphi_shutdown::{Outcome, Shutdown, UnitKind};

#[test]
fn finished_cancelled_timed_out_panicked() {
    amphi_test::run(|rt| async move {
        let shutdown = Shutdown::builder()
            .grace(Duration::from_millis(300))
            .runtime(rt.clone())
            .build();
        let token = shutdown.token();
        shutdown.spawn("graceful", async move {
            token.cancelled().await;
        });
        shutdown.spawn("stuck", std::future::pending::<()>());
        shutdown.spawn("boom", async {
            panic!("boom on purpose");
        });
        let release = Arc::new(AtomicBool::new(false));
        {
            let release = Arc::clone(&release);
            shutdown.spawn_blocking("slow-flush", move || {
                while !release.load(Ordering::Acquire) {
                    std::thread::sleep(Duration::from_millis(2));
                }
                7
            });
        }
        let token = shutdown.token();
        shutdown.spawn_blocking("quick-flush", move || token.cancelled_blocking());

        shutdown.trigger("test over");
        let report = shutdown.wait().await;
        let outcome = |name: &str| report.unit(name).map(|u| u.outcome().clone());
        assert_eq!(outcome("graceful"), Some(Outcome::Finished), "{report}");
        assert_eq!(outcome("quick-flush"), Some(Outcome::Finished), "{report}");
        assert_eq!(outcome("stuck"), Some(Outcome::Cancelled), "{report}");
        assert_eq!(outcome("slow-flush"), Some(Outcome::TimedOut), "{report}");
        assert_eq!(
            outcome("boom"),
            Some(Outcome::Panicked("boom on purpose".to_owned())),
            "{report}"
        );
        assert!(report.deadline_passed());
        assert!(!report.is_clean());
        let overran: Vec<_> = report.overran().map(|u| u.name().to_owned()).collect();
        assert_eq!(overran, ["slow-flush"]);
        assert_eq!(
            report.unit("slow-flush").map(|u| u.kind()),
            Some(UnitKind::Blocking)
        );
        assert!(
            report
                .unit("stuck")
                .is_some_and(|u| u.duration() >= Duration::from_millis(250))
        );
        assert_eq!(report.units().len(), 5);
        assert_eq!(report.count(&Outcome::Finished), 2);
        let table = report.to_string();
        for needle in [
            "test over",
            "slow-flush",
            "still running",
            "cancelled",
            "boom on purpose",
        ] {
            assert!(table.contains(needle), "{needle:?} missing from\n{table}");
        }

        // The caller chooses to wait more for the overrunning closure.
        release.store(true, Ordering::Release);
        let report = shutdown.wait_more(Duration::from_secs(10)).await;
        assert_eq!(report.overran().count(), 0, "{report}");
        let slow = report.unit("slow-flush").expect("listed");
        assert_eq!(slow.outcome(), &Outcome::TimedOut);
        assert!(!slow.is_running());
        assert!(report.to_string().contains("finished late"), "{report}");
    });
}

#[test]
fn units_finished_before_the_trigger_are_counted_not_listed() {
    amphi_test::run(|rt| async move {
        let shutdown = Shutdown::builder().runtime(rt.clone()).build();
        for i in 0..10 {
            shutdown.spawn(format!("early-{i}"), async {});
            shutdown.spawn_blocking(format!("early-blocking-{i}"), || {});
        }
        shutdown.spawn("early-panic", async { panic!("early") });
        // Let them all end.
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while shutdown.report().finished_before() < 20 || shutdown.report().units().is_empty() {
            assert!(
                std::time::Instant::now() < deadline,
                "{}",
                shutdown.report()
            );
            rt.sleep(Duration::from_millis(1)).await;
        }
        shutdown.trigger("late");
        let report = shutdown.wait().await;
        assert_eq!(report.finished_before(), 20, "{report}");
        assert_eq!(report.units().len(), 1, "{report}");
        assert_eq!(
            report.unit("early-panic").map(|u| u.outcome().clone()),
            Some(Outcome::Panicked("early".to_owned()))
        );
    });
}

#[test]
fn early_report_shows_running_units() {
    amphi_test::run(|rt| async move {
        let shutdown = Shutdown::builder().runtime(rt.clone()).build();
        let token = shutdown.token();
        shutdown.spawn("server", async move { token.cancelled().await });
        let report = shutdown.report();
        assert_eq!(report.reason(), None);
        assert_eq!(
            report
                .unit("server")
                .map(|u| (u.outcome().clone(), u.is_running())),
            Some((Outcome::Running, true))
        );
        assert!(
            report.to_string().starts_with("shutdown (not begun)"),
            "{report}"
        );
        shutdown.trigger("end");
        assert!(shutdown.wait().await.is_clean());
    });
}

#[test]
fn spawn_on_another_runtime() {
    amphi_test::run(|rt| async move {
        let shutdown = Shutdown::new();
        let token = shutdown.token();
        shutdown.spawn_on("elsewhere", &rt, async move { token.cancelled().await });
        shutdown.trigger("bye");
        let report = shutdown.wait().await;
        assert_eq!(
            report.unit("elsewhere").map(|u| u.outcome().clone()),
            Some(Outcome::Finished)
        );
    });
}

#[test]
fn work_spawned_after_the_trigger_is_waited_for() {
    amphi_test::run(|rt| async move {
        let shutdown = Shutdown::builder().runtime(rt.clone()).build();
        let guard = shutdown.guard();
        shutdown.trigger("now");
        let inner = shutdown.clone();
        shutdown.spawn("late", async move {
            inner.spawn_blocking("later", || std::thread::sleep(Duration::from_millis(10)));
            drop(guard);
        });
        let report = shutdown.wait().await;
        assert!(report.is_clean(), "{report}");
        assert_eq!(report.units().len(), 2, "{report}");
    });
}

/// A task whose executor goes away before it finishes is dropped with it: the report says
/// cancelled (it said running, forever) and the wait is drained.
#[test]
fn a_task_dropped_by_its_executor_is_reported_cancelled() {
    let executor = Arc::new(smol::Executor::new());
    let elsewhere = amphi_rt::Runtime::smol_with(Arc::clone(&executor));
    let shutdown = Shutdown::new();
    shutdown.spawn_on("orphan", &elsewhere, std::future::pending::<()>());
    drop(elsewhere);
    drop(executor);
    shutdown.trigger("executor gone");
    let report = shutdown.wait_blocking();
    assert_eq!(
        report.unit("orphan").map(|u| u.outcome().clone()),
        Some(Outcome::Cancelled),
        "{report}"
    );
    assert!(!report.deadline_passed(), "{report}");
}

/// A blocking closure that its runtime drops without running it (a tokio runtime shut down
/// before the closure was scheduled) is reported cancelled, not running forever.
#[test]
fn a_blocking_closure_dropped_unrun_is_reported_cancelled() {
    let Ok(tokio_rt) = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .build()
    else {
        panic!("no tokio runtime");
    };
    let handle = tokio_rt.handle().clone();
    drop(tokio_rt);
    let ran = Arc::new(AtomicBool::new(false));
    let shutdown = Shutdown::builder()
        .grace(Duration::from_secs(10))
        .runtime(amphi_rt::Runtime::tokio(handle))
        .build();
    {
        let ran = Arc::clone(&ran);
        shutdown.spawn_blocking("flush", move || ran.store(true, Ordering::SeqCst));
    }
    shutdown.trigger("test over");
    let report = shutdown.wait_blocking();
    assert!(!ran.load(Ordering::SeqCst), "the closure ran after all");
    let flush = report
        .unit("flush")
        .map(|u| (u.outcome().clone(), u.is_running()));
    assert_eq!(flush, Some((Outcome::Cancelled, false)), "{report}");
    assert!(!report.deadline_passed(), "{report}");
    assert_eq!(report.overran().count(), 0, "{report}");
}

/// `wait_more` before the trigger waits for the trigger and cancels nothing before it;
/// `wait_more` during the grace period does not cut it short.
#[test]
fn wait_more_never_ends_the_grace_period_early() {
    amphi_test::run(|rt| async move {
        let shutdown = Shutdown::builder()
            .grace(Duration::from_millis(400))
            .runtime(rt.clone())
            .build();
        let token = shutdown.token();
        shutdown.spawn("server", async move {
            token.cancelled().await;
        });
        // Ignores the token: ends 100 ms after the trigger, inside the grace period.
        let token = shutdown.token();
        let sleeper = rt.clone();
        shutdown.spawn("slow", async move {
            token.cancelled().await;
            sleeper.sleep(Duration::from_millis(100)).await;
        });
        let early = {
            let shutdown = shutdown.clone();
            rt.spawn(async move { shutdown.wait_more(Duration::ZERO).await })
        };
        rt.sleep(Duration::from_millis(150)).await;
        let before = shutdown.report();
        assert!(!before.deadline_passed(), "{before}");
        assert_eq!(before.count(&Outcome::Cancelled), 0, "{before}");
        assert_eq!(before.count(&Outcome::Running), 2, "{before}");

        shutdown.trigger("test over");
        let during = shutdown.wait_more(Duration::ZERO).await;
        let Ok(early) = early.await else {
            panic!("the early wait_more did not finish");
        };
        for report in [during, early] {
            assert!(report.is_clean(), "{report}");
            assert!(!report.deadline_passed(), "{report}");
            assert_eq!(report.count(&Outcome::Finished), 2, "{report}");
        }
    });
}
