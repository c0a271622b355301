//! Every subcommand has `--help`; `pub` and `sub` talk to `serve`.

#![cfg(unix)] // signals, rlimits and process ids

#[path = "common/process.rs"]
mod process;

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use amphi_mq::BlockingClient;

use process::BrokerProcess;

fn amphi_mq() -> Command {
    Command::new(env!("CARGO_BIN_EXE_amphi-mq"))
}

#[test]
fn every_subcommand_has_help() {
    for sub in [
        None,
        Some("serve"),
        Some("sub"),
        Some("pub"),
        Some("bench"),
        Some("demo"),
    ] {
        let mut cmd = amphi_mq();
        cmd.args(sub).arg("--help");
        let out = cmd.output().expect("run amphi-mq");
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success(), "{sub:?} --help failed");
        assert!(text.contains("Usage:"), "{sub:?} --help:\n{text}");
    }
}

#[test]
fn pub_from_arguments_and_stdin_reaches_sub() {
    let broker = BrokerProcess::start(&[]);
    let addr = broker.addr.to_string();
    let mut sub = amphi_mq()
        .args(["sub", "/topic/cli", "--addr", &addr])
        .stdout(Stdio::piped())
        .spawn()
        .expect("run sub");
    let stdout = sub.stdout.take().expect("stdout");
    let (lines_tx, lines) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if lines_tx.send(line).is_err() {
                break;
            }
        }
    });
    // Probe until the subscription holds.
    let mut probe = BlockingClient::connect(broker.addr, "/null").expect("connect");
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        assert!(Instant::now() < deadline, "sub never subscribed");
        probe.publish("/topic/cli", b"probe").expect("probe");
        probe.flush().expect("flush");
        if lines.recv_timeout(Duration::from_millis(100)).is_ok() {
            break;
        }
    }
    let status = amphi_mq()
        .args(["pub", "/topic/cli", "one", "two", "--addr", &addr])
        .status()
        .expect("run pub");
    assert!(status.success());
    let mut stdin_pub = amphi_mq()
        .args(["pub", "/topic/cli", "--addr", &addr])
        .stdin(Stdio::piped())
        .spawn()
        .expect("run pub");
    {
        let mut stdin = stdin_pub.stdin.take().expect("stdin");
        stdin.write_all(b"three\n").expect("write");
    }
    assert!(stdin_pub.wait().expect("pub").success());
    let mut got = Vec::new();
    while got.last().map(String::as_str) != Some("three") {
        let line = lines
            .recv_timeout(Duration::from_secs(20))
            .expect("sub prints what was published");
        if line != "probe" {
            got.push(line);
        }
    }
    assert_eq!(got, ["one", "two", "three"]);
    let _ = sub.kill();
    let _ = sub.wait();
    broker.signal(libc::SIGTERM);
    let (status, log) = broker.wait(Duration::from_secs(15));
    assert!(status.success(), "{log}");
}
