//! The binary under SIGTERM: messages in flight are delivered within the grace period, the
//! process exits 0; a second signal exits at once with a non-zero code.

#![cfg(unix)] // signals, rlimits and process ids

#[path = "common/process.rs"]
mod process;

use std::io::Read;
use std::net::Shutdown;
use std::os::unix::process::ExitStatusExt;
use std::time::{Duration, Instant};

use amphi_mq::BlockingClient;
use process::BrokerProcess;

/// Subscribes to `channel` and returns once the broker has surely registered it: the client
/// publishes a probe to its own channel and waits for it to come back.
fn subscribe(broker: &BrokerProcess, channel: &str) -> BlockingClient {
    let mut client = BlockingClient::connect(broker.addr, channel).expect("connect");
    client.publish(channel, b"probe").expect("probe");
    client.flush().expect("flush");
    assert_eq!(client.recv().expect("recv").as_deref(), Some(&b"probe"[..]));
    client
}

/// Publishes `n` messages of `size` bytes, says goodbye, and waits until the broker has
/// closed the connection: by then it has read every message.
fn publish_all(broker: &BrokerProcess, channel: &str, n: usize, size: usize) {
    let mut publisher = BlockingClient::connect(broker.addr, "/null").expect("connect");
    let mut socket = publisher.socket().expect("socket");
    for i in 0..n {
        let mut payload = format!("{i:08}").into_bytes();
        payload.resize(size, b'.');
        publisher.publish(channel, &payload).expect("publish");
    }
    publisher.goodbye().expect("goodbye");
    socket
        .set_read_timeout(Some(Duration::from_secs(20)))
        .expect("timeout");
    let mut rest = Vec::new();
    socket
        .read_to_end(&mut rest)
        .expect("the broker closes after the goodbye");
}

#[test]
fn sigterm_delivers_messages_in_flight_then_exits_zero() {
    const N: usize = 3000;
    let broker = BrokerProcess::start(&["--grace", "10"]);
    let mut slow = subscribe(&broker, "/topic/inflight");
    // The subscriber reads nothing yet: the messages wait in the broker and in the socket.
    publish_all(&broker, "/topic/inflight", N, 1024);

    broker.signal(libc::SIGTERM);
    let started = Instant::now();
    for i in 0..N {
        let msg = slow
            .recv()
            .expect("recv")
            .unwrap_or_else(|| panic!("connection closed after {i} of {N} messages"));
        assert_eq!(
            &msg[..8],
            format!("{i:08}").as_bytes(),
            "message {i} in order"
        );
    }
    assert_eq!(
        slow.recv().expect("recv"),
        None,
        "then the broker closes the connection"
    );
    let (status, stderr) = broker.wait(Duration::from_secs(15));
    assert!(
        status.success(),
        "exit status {status:?}; stderr:\n{stderr}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "within the grace period"
    );
    assert!(
        stderr.contains("received SIGTERM"),
        "the report names the signal:\n{stderr}"
    );
    assert!(
        stderr.contains("delivered everything queued"),
        "the report says nothing was lost:\n{stderr}"
    );
}

#[test]
fn a_second_signal_exits_at_once_with_a_nonzero_code() {
    let broker = BrokerProcess::start(&["--grace", "60", "--write-timeout", "60"]);
    // A subscriber that never reads keeps the graceful shutdown waiting.
    let stalled = subscribe(&broker, "/topic/stuck");
    publish_all(&broker, "/topic/stuck", 400, 64 * 1024);

    broker.signal(libc::SIGTERM);
    std::thread::sleep(Duration::from_millis(300));
    let second = Instant::now();
    broker.signal(libc::SIGTERM);
    let (status, stderr) = broker.wait(Duration::from_secs(10));
    assert!(second.elapsed() < Duration::from_secs(3), "exits at once");
    assert!(
        !status.success(),
        "a forced exit is not a success:\n{stderr}"
    );
    assert!(
        status.code().is_some_and(|c| c != 0) || status.signal().is_some(),
        "{status:?}"
    );
    let _ = stalled.socket().map(|s| s.shutdown(Shutdown::Both));
}

#[test]
fn a_bad_client_is_logged_with_its_reason() {
    let broker = BrokerProcess::start(&[]);
    let mut raw = std::net::TcpStream::connect(broker.addr).expect("connect");
    std::io::Write::write_all(&mut raw, &u32::MAX.to_be_bytes()).expect("write");
    let mut rest = Vec::new();
    let _ = raw.read_to_end(&mut rest);
    broker.signal(libc::SIGINT);
    let (status, stderr) = broker.wait(Duration::from_secs(15));
    assert!(status.success(), "{status:?}\n{stderr}");
    assert!(
        stderr
            .contains("client dropped: oversized frame: 4294967295 bytes announced, limit 1048576"),
        "the log names the reason:\n{stderr}"
    );
}
