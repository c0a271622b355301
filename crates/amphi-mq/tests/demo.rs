//! `amphi-mq demo` runs by itself, loses nothing for its fast subscribers, and exits 0.

use std::process::Command;
use std::time::{Duration, Instant};

#[test]
fn demo_finishes_by_itself_with_a_clean_report() {
    let started = Instant::now();
    let output = Command::new(env!("CARGO_BIN_EXE_amphi-mq"))
        .args(["demo", "--duration", "1"])
        .output()
        .expect("run amphi-mq demo");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "{:?}\n{stdout}\n{stderr}",
        output.status
    );
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "finishes within ~10 s"
    );
    for want in [
        "participant",
        "fast subscribers got all",
        "every job delivered exactly once",
        "delivered everything queued",
        "shutdown (demo finished)",
    ] {
        assert!(stdout.contains(want), "missing {want:?} in:\n{stdout}");
    }
    assert!(stderr.contains("published"), "a progress line:\n{stderr}");
}
