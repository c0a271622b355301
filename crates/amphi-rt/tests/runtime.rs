//! amphi-rt on every adapter, through the shared harness.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use amphi_rt::{JoinError, Runtime, Spawn, SpawnBlocking, Timer};

#[test]
fn spawn_and_join() {
    amphi_test::run(|rt| async move {
        let handles: Vec<_> = (0..32u64).map(|i| rt.spawn(async move { i * i })).collect();
        let mut sum = 0;
        for handle in handles {
            sum += handle.await.expect("task completes");
        }
        assert_eq!(sum, (0..32u64).map(|i| i * i).sum::<u64>());
    });
}

#[test]
fn dropping_a_handle_detaches() {
    amphi_test::run(|rt| async move {
        let ran = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&ran);
        let timer = rt.clone();
        drop(rt.spawn(async move {
            timer.sleep(Duration::from_millis(10)).await;
            flag.store(true, Ordering::SeqCst);
        }));
        let deadline = Instant::now() + Duration::from_secs(10);
        while !ran.load(Ordering::SeqCst) {
            assert!(
                Instant::now() < deadline,
                "detached task never ran on {}",
                rt.name()
            );
            rt.sleep(Duration::from_millis(5)).await;
        }
    });
}

#[test]
fn blocking_work_returns_its_result() {
    amphi_test::run(|rt| async move {
        let caller = std::thread::current().id();
        let (value, thread) = rt
            .spawn_blocking(move || {
                std::thread::sleep(Duration::from_millis(5));
                (7, std::thread::current().id())
            })
            .await
            .expect("closure completes");
        assert_eq!(value, 7);
        assert_ne!(
            thread, caller,
            "blocking work must leave the caller's thread"
        );
    });
}

#[test]
fn sleep_waits_at_least_its_duration_and_not_much_longer() {
    amphi_test::run(|rt| async move {
        let start = Instant::now();
        rt.sleep(Duration::from_millis(30)).await;
        let took = start.elapsed();
        assert!(took >= Duration::from_millis(30), "woke early: {took:?}");
        assert!(took < Duration::from_secs(2), "woke far too late: {took:?}");
        let start = Instant::now();
        rt.sleep_until(start - Duration::from_millis(1)).await;
        assert!(
            start.elapsed() < Duration::from_secs(1),
            "a past deadline fires at once"
        );
    });
}

#[test]
fn timeout_cuts_off_a_slow_future() {
    amphi_test::run(|rt| async move {
        let slow = rt.sleep(Duration::from_secs(30));
        let err = amphi_rt::timeout(Duration::from_millis(10), slow)
            .await
            .expect_err("must time out");
        assert_eq!(err.after, Duration::from_millis(10));
        let fast = amphi_rt::timeout(Duration::from_secs(10), async { 5 }).await;
        assert_eq!(fast, Ok(5));
    });
}

#[test]
fn a_duration_past_what_instant_holds_never_fires_and_never_panics() {
    amphi_test::run(|rt| async move {
        let forever = rt.sleep(Duration::MAX);
        assert!(forever.deadline() > Instant::now() + Duration::from_secs(3600));
        let cut = amphi_rt::timeout(Duration::from_millis(10), forever).await;
        assert!(cut.is_err(), "a sleep of Duration::MAX fired");
        let never = amphi_rt::Sleep::after(Duration::MAX);
        assert!(
            amphi_rt::timeout(Duration::from_millis(10), never)
                .await
                .is_err()
        );
        let unlimited = amphi_rt::timeout(Duration::MAX, async { 7 }).await;
        assert_eq!(unlimited, Ok(7));
    });
}

#[test]
fn a_panicking_task_is_an_error_not_an_abort() {
    amphi_test::run(|rt| async move {
        let err = rt
            .spawn(async { panic!("task exploded") as () })
            .await
            .expect_err("must be an error");
        assert!(err.is_panic(), "{err:?}");
        assert_eq!(err.panic_message(), Some("task exploded"));
        assert_eq!(err.to_string(), "task panicked: task exploded");
        // The runtime still works afterwards.
        assert_eq!(rt.spawn(async { 1 }).await.ok(), Some(1));
    });
}

#[test]
fn a_panicking_blocking_closure_is_an_error() {
    amphi_test::run(|rt| async move {
        let err = rt
            .spawn_blocking(|| -> u8 { panic!("closure exploded {}", 42) })
            .await
            .expect_err("must be an error");
        assert_eq!(err.panic_message(), Some("closure exploded 42"));
    });
}

#[test]
fn cancel_stops_a_pending_task() {
    amphi_test::run(|rt| async move {
        let dropped = Arc::new(AtomicBool::new(false));
        struct SetOnDrop(Arc<AtomicBool>);
        impl Drop for SetOnDrop {
            fn drop(&mut self) {
                self.0.store(true, Ordering::SeqCst);
            }
        }
        let guard = SetOnDrop(Arc::clone(&dropped));
        let handle = rt.spawn(async move {
            let _guard = guard;
            futures_lite::future::pending::<()>().await;
        });
        rt.sleep(Duration::from_millis(5)).await;
        assert_eq!(handle.cancel().await, None);
        // tokio drops the future on a worker shortly after `cancel` returns.
        let deadline = Instant::now() + Duration::from_secs(5);
        while !dropped.load(Ordering::SeqCst) {
            assert!(
                Instant::now() < deadline,
                "cancelled task's future never dropped"
            );
            rt.sleep(Duration::from_millis(1)).await;
        }
    });
}

#[test]
fn cancel_returns_the_output_of_a_finished_task() {
    amphi_test::run(|rt| async move {
        // async-std cannot say whether a task has finished before its handle is awaited
        // (see `is_finished`), so there is no moment to cancel "after it finished";
        // `a_handle_awaited_is_finished_and_polls_again_as_cancelled` covers it.
        if rt.name() == "async-std" {
            return;
        }
        let handle = rt.spawn(async { 9 });
        while !handle.is_finished() {
            rt.sleep(Duration::from_millis(1)).await;
        }
        assert_eq!(handle.cancel().await, Some(9));
    });
}

#[test]
fn a_handle_awaited_is_finished_and_polls_again_as_cancelled() {
    amphi_test::run(|rt| async move {
        for blocking in [false, true] {
            let mut handle = if blocking {
                rt.spawn_blocking(|| 9)
            } else {
                rt.spawn(async { 9 })
            };
            assert_eq!((&mut handle).await.ok(), Some(9), "on {}", rt.name());
            assert!(handle.is_finished(), "on {}", rt.name());
            // Polled again: the same answer everywhere, no panic.
            let again = (&mut handle).await;
            assert!(
                again.as_ref().is_err_and(JoinError::is_cancelled),
                "on {}: {again:?}",
                rt.name()
            );
        }
    });
}

#[test]
fn abort_makes_the_handle_resolve_cancelled() {
    amphi_test::run(|rt| async move {
        let mut handle = rt.spawn(futures_lite::future::pending::<()>());
        handle.abort();
        match handle.await {
            Err(JoinError::Cancelled) => {}
            other => panic!("expected Cancelled on {}, got {other:?}", rt.name()),
        }
    });
}

#[test]
fn the_traits_are_usable_generically() {
    fn count_on<R: Spawn + SpawnBlocking + Timer>(
        rt: &R,
        hits: Arc<AtomicUsize>,
    ) -> impl Future<Output = usize> + use<R> {
        let a = {
            let hits = Arc::clone(&hits);
            rt.spawn(async move { hits.fetch_add(1, Ordering::SeqCst) })
        };
        let b = {
            let hits = Arc::clone(&hits);
            rt.spawn_blocking(move || hits.fetch_add(1, Ordering::SeqCst))
        };
        let nap = rt.sleep(Duration::from_millis(1));
        async move {
            let _ = a.await;
            let _ = b.await;
            nap.await;
            hits.load(Ordering::SeqCst)
        }
    }
    amphi_test::run(|rt| async move {
        assert_eq!(count_on(&rt, Arc::default()).await, 2);
    });
}

#[test]
fn current_is_tokio_inside_tokio_and_global_elsewhere() {
    assert_eq!(Runtime::current().name(), "global");
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime builds");
    rt.block_on(async { assert_eq!(Runtime::current().name(), "tokio") });
}

#[test]
fn the_global_path_needs_no_runtime() {
    // A plain futures executor, no runtime anywhere: spawn, blocking work and timers all work.
    let rt = Runtime::global();
    let out = futures::executor::block_on(async {
        let task = rt.spawn(async { 2 });
        let work = rt.spawn_blocking(|| 3);
        rt.sleep(Duration::from_millis(2)).await;
        task.await.unwrap_or(0) * work.await.unwrap_or(0)
    });
    assert_eq!(out, 6);
}

#[test]
fn a_smol_executor_of_our_own() {
    let ex = Arc::new(smol::Executor::new());
    let rt = Runtime::smol_with(Arc::clone(&ex));
    let out = smol::block_on(ex.run(async { rt.spawn(async { 40 + 2 }).await }));
    assert_eq!(out.ok(), Some(42));
}

#[test]
fn a_task_dropped_with_its_executor_resolves_cancelled() {
    let ex = Arc::new(smol::Executor::new());
    let rt = Runtime::smol_with(Arc::clone(&ex));
    let handle = rt.spawn(futures_lite::future::pending::<()>());
    drop(rt);
    drop(ex);
    let out = futures_lite::future::block_on(handle);
    assert!(matches!(out, Err(JoinError::Cancelled)), "{out:?}");
}
