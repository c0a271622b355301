//! The public types can cross threads.

use amphi_mq::wire::{FrameError, FrameReader};
use amphi_mq::{
    BlockingClient, Broker, BrokerReport, Client, Config, SlowPolicy, StatsHandle, StatsSnapshot,
};

fn send_sync<T: Send + Sync>() {}
fn unpin<T: Unpin>() {}

#[test]
fn public_types_are_send_sync_unpin() {
    send_sync::<Broker>();
    send_sync::<BrokerReport>();
    send_sync::<Client>();
    send_sync::<BlockingClient>();
    send_sync::<Config>();
    send_sync::<SlowPolicy>();
    send_sync::<StatsHandle>();
    send_sync::<StatsSnapshot>();
    send_sync::<FrameError>();
    send_sync::<FrameReader<std::net::TcpStream>>();
    unpin::<Broker>();
    unpin::<Client>();
    unpin::<BlockingClient>();
}

#[test]
fn broker_futures_are_send() {
    fn send<T: Send>(_: &T) {}
    let bind = Broker::bind(Config::default(), amphi_rt::Runtime::global());
    send(&bind);
    let connect = Client::connect(std::net::SocketAddr::from(([127, 0, 0, 1], 9)), "/null");
    send(&connect);
}
