//! The harness itself: one body reaches every runtime, and a broken body fails on all of them.

use std::sync::Mutex;
use std::time::Duration;

#[test]
fn a_body_runs_once_on_each_runtime() {
    static SEEN: Mutex<Vec<&'static str>> = Mutex::new(Vec::new());
    amphi_test::run(|rt| async move {
        let name = rt.name();
        let name = rt.spawn(async move { name }).await.expect("task ran");
        SEEN.lock().expect("not poisoned").push(name);
    });
    let seen = SEEN.lock().expect("not poisoned").clone();
    let expected: Vec<&str> = if cfg!(miri) {
        vec!["global"]
    } else {
        vec!["smol", "async-std", "tokio", "global"]
    };
    assert_eq!(seen, expected);
}

#[test]
fn a_broken_body_fails_on_every_runtime() {
    let legs = amphi_test::try_run(
        |rt| async move { panic!("deliberately broken on {}", rt.name()) },
        Duration::from_secs(30),
    );
    assert_eq!(legs.len(), amphi_test::RUNTIMES.len());
    for leg in &legs {
        let err = leg.result.as_ref().expect_err("the body must fail");
        assert!(err.starts_with("deliberately broken on"), "{leg}");
    }
}

#[test]
fn a_hung_body_fails_by_deadline() {
    let legs = amphi_test::try_run(
        |_rt| futures::future::pending::<()>(),
        Duration::from_millis(200),
    );
    assert!(legs.iter().all(|leg| {
        leg.result
            .as_ref()
            .is_err_and(|e| e.contains("did not finish"))
    }));
}

#[test]
#[should_panic(expected = "test body failed on 4 of 4 runtimes")]
fn run_panics_naming_the_failures() {
    amphi_test::run(|_rt| async { panic!("broken") });
}
