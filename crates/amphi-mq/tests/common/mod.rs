//! Helpers shared by the integration tests.
#![allow(dead_code, unreachable_pub)] // each test file uses a different part of it

use std::time::{Duration, Instant};

use amphi_mq::{Broker, Client, Config};
use amphi_rt::Runtime;

/// How long any single wait in a test may take before the test fails.
pub const PATIENCE: Duration = Duration::from_secs(20);

/// One frame of the wire format: a 4-byte big-endian length, then `payload`.
pub fn frame(payload: &[u8]) -> Vec<u8> {
    let mut out = (payload.len() as u32).to_be_bytes().to_vec();
    out.extend_from_slice(payload);
    out
}

/// Starts a broker on an ephemeral loopback port.
pub async fn broker(config: Config, rt: &Runtime) -> Broker {
    Broker::bind(config, rt.clone())
        .await
        .expect("bind a loopback port")
}

/// Waits until `cond` holds, or panics naming `what` after [`PATIENCE`].
pub async fn wait_until(rt: &Runtime, what: &str, mut cond: impl FnMut() -> bool) {
    let deadline = Instant::now() + PATIENCE;
    while !cond() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        rt.sleep(Duration::from_millis(2)).await;
    }
}

/// Connects `n` subscribers to `channel` and waits until the broker has registered them all.
pub async fn subscribers(broker: &Broker, rt: &Runtime, channel: &str, n: usize) -> Vec<Client> {
    let before = broker.stats().subscribers;
    let mut subs = Vec::with_capacity(n);
    for _ in 0..n {
        subs.push(
            Client::connect(broker.local_addr(), channel)
                .await
                .expect("connect a subscriber"),
        );
    }
    wait_until(rt, "subscriptions", || {
        broker.stats().subscribers >= before + n as u64
    })
    .await;
    subs
}

/// A publisher (subscribed to `/null`), registered with the broker.
pub async fn publisher(broker: &Broker, rt: &Runtime) -> Client {
    let mut clients = subscribers(broker, rt, "/null", 1).await;
    clients.pop().expect("one client")
}

/// Receives exactly `n` messages, or panics after [`PATIENCE`].
pub async fn recv_n(client: &mut Client, n: usize) -> Vec<Vec<u8>> {
    let mut got = Vec::with_capacity(n);
    let all = async {
        while got.len() < n {
            match client.recv().await {
                Ok(Some(msg)) => got.push(msg.to_vec()),
                Ok(None) => panic!("connection closed after {} of {n} messages", got.len()),
                Err(err) => panic!("recv failed after {} of {n} messages: {err}", got.len()),
            }
        }
    };
    amphi_rt::timeout(PATIENCE, all)
        .await
        .unwrap_or_else(|_| panic!("timed out receiving {n} messages"));
    got
}

/// Asserts that nothing more arrives within `quiet`.
pub async fn assert_quiet(client: &mut Client, quiet: Duration) {
    if let Ok(msg) = amphi_rt::timeout(quiet, client.recv()).await {
        panic!("expected nothing more, got {msg:?}");
    }
}
