//! An asyncio client in Python (standard library only) speaks the protocol to the binary.

#![cfg(unix)] // signals, rlimits and process ids

#[path = "common/process.rs"]
mod process;

use std::process::Command;
use std::time::Duration;

use process::BrokerProcess;

#[test]
fn python_asyncio_client_works_unchanged() {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/python_client.py");
    if Command::new("python3").arg("--version").output().is_err() {
        eprintln!("SKIPPED python_asyncio_client_works_unchanged: no python3 on PATH");
        return;
    }
    let broker = BrokerProcess::start(&[]);
    let output = Command::new("python3")
        .arg(script)
        .arg(broker.addr.ip().to_string())
        .arg(broker.addr.port().to_string())
        .output()
        .expect("run python3");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success() && stdout.trim() == "ok",
        "python client failed ({:?})\nstdout:\n{stdout}\nstderr:\n{stderr}",
        output.status
    );
    broker.signal(libc::SIGTERM);
    let (status, log) = broker.wait(Duration::from_secs(15));
    assert!(status.success(), "{status:?}\n{log}");
    assert!(
        !log.contains("client dropped"),
        "no client was dropped:\n{log}"
    );
}
