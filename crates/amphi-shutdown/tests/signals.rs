//! Real signals sent to a child process: this test binary re-executes itself with
//! `AMPHI_SHUTDOWN_CHILD=<mode>`, which makes the `child` test below play the program.
#![cfg(unix)]

use std::io::{BufRead, BufReader, Read};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, mpsc};
use std::time::{Duration, Instant};

use amphi_shutdown::{Shutdown, Signal};

const CHILD_ENV: &str = "AMPHI_SHUTDOWN_CHILD";
const LIMIT: Duration = Duration::from_secs(30);

/// The child program; does nothing in a normal test run.
#[test]
fn child() {
    let Ok(mode) = std::env::var(CHILD_ENV) else {
        return;
    };
    let (grace, signals, stubborn) = match mode.as_str() {
        "clean" => (
            Duration::from_secs(10),
            vec![Signal::Interrupt, Signal::Terminate],
            None,
        ),
        "hangup" => (
            Duration::from_secs(10),
            vec![Signal::Interrupt, Signal::Terminate, Signal::Hangup],
            None,
        ),
        "overrun" => (
            Duration::from_millis(200),
            vec![Signal::Terminate],
            Some(Duration::from_secs(20)),
        ),
        "second" | "hook" => (
            Duration::from_secs(20),
            vec![Signal::Interrupt, Signal::Terminate],
            Some(Duration::from_secs(20)),
        ),
        other => panic!("unknown child mode {other}"),
    };
    let release = Arc::new(AtomicBool::new(false));
    let mut builder = Shutdown::builder().grace(grace).signals(signals);
    if mode == "hook" {
        let release = Arc::clone(&release);
        builder = builder.on_second_signal(move |signal| {
            println!("hook: {signal} again, releasing the stubborn work");
            release.store(true, Ordering::Release);
        });
    }
    let shutdown = builder.build();

    let token = shutdown.token();
    shutdown.spawn("acceptor", async move {
        token.cancelled().await;
        println!("acceptor: shutting down");
    });
    let token = shutdown.token();
    shutdown.spawn_blocking("flusher", move || {
        token.cancelled_blocking();
        std::thread::sleep(Duration::from_millis(20));
    });
    if let Some(duration) = stubborn {
        let release = Arc::clone(&release);
        shutdown.spawn_blocking("stubborn", move || {
            let start = Instant::now();
            while start.elapsed() < duration && !release.load(Ordering::Acquire) {
                std::thread::sleep(Duration::from_millis(5));
            }
        });
    }
    shutdown.listen_for_signals().expect("signal handlers");
    println!("ready");
    let report = shutdown.wait_blocking();
    println!("{report}");
    std::process::exit(report.exit_code());
}

struct Outcome {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

/// Starts the child in `mode`, sends `signals` (each after the line before it in `waits`
/// appeared on stdout) and collects what it printed.
fn run_child(mode: &str, steps: &[(&str, i32)]) -> Outcome {
    let exe = std::env::current_exe().expect("test binary path");
    let mut child = Command::new(exe)
        .args(["child", "--exact", "--nocapture", "--test-threads=1"])
        .env(CHILD_ENV, mode)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn child");
    let pid = libc::pid_t::try_from(child.id()).expect("pid");
    let stdout = child.stdout.take().expect("stdout");
    let mut stderr = child.stderr.take().expect("stderr");
    let (line_tx, line_rx) = mpsc::channel::<String>();
    let reader = std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = line_tx.send(line);
        }
    });
    let err_reader = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = stderr.read_to_string(&mut text);
        text
    });

    let mut seen = String::new();
    let start = Instant::now();
    for (wait_for, signal) in steps {
        loop {
            let left = LIMIT.saturating_sub(start.elapsed());
            match line_rx.recv_timeout(left) {
                Ok(line) => {
                    seen.push_str(&line);
                    seen.push('\n');
                    if line.contains(wait_for) {
                        break;
                    }
                }
                Err(_) => {
                    let _ = child.kill();
                    panic!("child never printed {wait_for:?}; got:\n{seen}");
                }
            }
        }
        // SAFETY: `kill` only sends a signal to the child we started and still own.
        let sent = unsafe { libc::kill(pid, *signal) };
        assert_eq!(sent, 0, "kill failed");
    }
    let code = loop {
        match child.try_wait().expect("try_wait") {
            Some(status) => break status.code(),
            None if start.elapsed() > LIMIT => {
                let _ = child.kill();
                panic!("child did not exit; got:\n{seen}");
            }
            None => std::thread::sleep(Duration::from_millis(5)),
        }
    };
    reader.join().expect("reader");
    seen.extend(line_rx.try_iter().map(|line| line + "\n"));
    Outcome {
        code,
        stdout: seen,
        stderr: err_reader.join().expect("stderr reader"),
    }
}

fn assert_contains(text: &str, needles: &[&str]) {
    for needle in needles {
        assert!(text.contains(needle), "{needle:?} missing from:\n{text}");
    }
}

#[test]
fn sigterm_shuts_down_cleanly() {
    let out = run_child("clean", &[("ready", libc::SIGTERM)]);
    assert_eq!(out.code, Some(0), "{}\n{}", out.stdout, out.stderr);
    assert_contains(
        &out.stdout,
        &[
            "acceptor: shutting down",
            "shutdown (received SIGTERM)",
            "acceptor",
            "flusher",
            "finished",
        ],
    );
}

#[test]
fn sigint_shuts_down_cleanly() {
    let out = run_child("clean", &[("ready", libc::SIGINT)]);
    assert_eq!(out.code, Some(0), "{}\n{}", out.stdout, out.stderr);
    assert_contains(&out.stdout, &["shutdown (received SIGINT)"]);
}

#[test]
fn sighup_when_opted_in() {
    let out = run_child("hangup", &[("ready", libc::SIGHUP)]);
    assert_eq!(out.code, Some(0), "{}\n{}", out.stdout, out.stderr);
    assert_contains(&out.stdout, &["shutdown (received SIGHUP)"]);
}

#[test]
fn overrun_is_reported_and_exit_code_says_so() {
    let out = run_child("overrun", &[("ready", libc::SIGTERM)]);
    assert_eq!(out.code, Some(1), "{}\n{}", out.stdout, out.stderr);
    assert_contains(
        &out.stdout,
        &[
            "deadline passed",
            "stubborn",
            "timed out",
            "still running",
            "flusher",
        ],
    );
}

#[test]
fn second_signal_forces_exit() {
    let out = run_child(
        "second",
        &[
            ("ready", libc::SIGINT),
            ("acceptor: shutting down", libc::SIGINT),
        ],
    );
    assert_eq!(out.code, Some(130), "{}\n{}", out.stdout, out.stderr);
    assert_contains(
        &out.stderr,
        &[
            "SIGINT received during the shutdown: exiting now (code 130)",
            "stubborn",
            "running",
        ],
    );
    assert!(
        !out.stdout.contains("shutdown (received"),
        "report printed after a forced exit"
    );
}

#[test]
fn second_sigterm_exits_with_143() {
    let out = run_child(
        "second",
        &[
            ("ready", libc::SIGTERM),
            ("acceptor: shutting down", libc::SIGTERM),
        ],
    );
    assert_eq!(out.code, Some(143), "{}\n{}", out.stdout, out.stderr);
}

#[test]
fn second_signal_hook_replaces_the_exit() {
    let out = run_child(
        "hook",
        &[
            ("ready", libc::SIGTERM),
            ("acceptor: shutting down", libc::SIGTERM),
        ],
    );
    assert_eq!(out.code, Some(0), "{}\n{}", out.stdout, out.stderr);
    assert_contains(
        &out.stdout,
        &["hook: SIGTERM again", "stubborn", "finished"],
    );
}
