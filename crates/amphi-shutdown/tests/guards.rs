//! Guards and the drain wait: from threads and tasks, with and without a deadline.

use std::time::Duration;

use amphi_shutdown::Shutdown;

#[test]
fn wait_waits_for_guards_held_by_tasks_and_threads() {
    amphi_test::run(|rt| async move {
        let shutdown = Shutdown::builder().runtime(rt.clone()).build();
        let token = shutdown.token();
        let task_guard = shutdown.guard();
        let task = rt.spawn(async move {
            token.cancelled().await;
            let _guard = task_guard;
            amphi_rt::Runtime::global()
                .sleep(Duration::from_millis(20))
                .await;
        });
        let thread_guard = shutdown.guard();
        let token = shutdown.token();
        let thread = std::thread::spawn(move || {
            let _guard = thread_guard;
            token.cancelled_blocking();
            std::thread::sleep(Duration::from_millis(20));
        });
        assert!(shutdown.trigger("test"));
        let report = shutdown.wait().await;
        assert!(report.is_clean(), "{report}");
        assert!(!report.deadline_passed());
        assert_eq!(report.guards_held(), 0);
        assert!(report.elapsed() >= Duration::from_millis(15), "{report}");
        assert!(task.await.is_ok());
        assert!(thread.join().is_ok());
    });
}

#[test]
fn wait_returns_at_the_deadline_with_guards_still_held() {
    amphi_test::run(|_rt| async move {
        let shutdown = Shutdown::builder().grace(Duration::from_millis(50)).build();
        let held = shutdown.guard();
        shutdown.trigger("test");
        let report = shutdown.wait().await;
        assert!(report.deadline_passed());
        assert_eq!(report.guards_held(), 1);
        assert!(!report.is_clean());
        assert_eq!(report.exit_code(), 1);
        assert!(
            report.to_string().contains("1 guard still held"),
            "{report}"
        );
        drop(held);
        let report = shutdown.wait_more(Duration::from_secs(5)).await;
        assert_eq!(report.guards_held(), 0);
        assert!(report.is_clean(), "{report}");
    });
}

#[test]
fn wait_before_trigger_waits_for_the_trigger() {
    amphi_test::run(|rt| async move {
        let shutdown = Shutdown::new();
        let waiter = {
            let shutdown = shutdown.clone();
            rt.spawn(async move { shutdown.wait().await })
        };
        rt.sleep(Duration::from_millis(10)).await;
        assert!(!waiter.is_finished());
        shutdown.trigger("now");
        let report = waiter.await.expect("waiter");
        assert_eq!(
            report.reason().map(ToString::to_string).as_deref(),
            Some("now")
        );
    });
}

#[test]
fn wait_blocking_from_a_thread() {
    let shutdown = Shutdown::new();
    let guard = shutdown.guard();
    let waiter = {
        let shutdown = shutdown.clone();
        std::thread::spawn(move || shutdown.wait_blocking())
    };
    shutdown.trigger("done");
    std::thread::sleep(Duration::from_millis(10));
    assert!(!waiter.is_finished(), "returned while a guard was held");
    drop(guard);
    let report = waiter.join().expect("waiter");
    assert!(report.is_clean(), "{report}");
}

#[test]
fn cloned_guards_count_separately() {
    let shutdown = Shutdown::builder().grace(Duration::from_millis(30)).build();
    let a = shutdown.guard();
    let b = a.clone();
    drop(a);
    shutdown.trigger("x");
    assert_eq!(shutdown.wait_blocking().guards_held(), 1);
    drop(b);
    assert_eq!(
        shutdown
            .wait_more_blocking(Duration::from_secs(1))
            .guards_held(),
        0
    );
}
