//! `Send`/`Sync`/`Unpin` of every public type and future.

use std::time::Duration;

use amphi_shutdown::{
    Builder, Cancelled, Guard, Outcome, Reason, Shutdown, ShutdownReport, ShutdownToken, Signal,
    UnitKind, UnitReport,
};

fn send_sync_unpin<T: Send + Sync + Unpin>() {}
fn send<T: Send>(_: &T) {}
fn send_sync<T: Send + Sync>(_: &T) {}

#[test]
fn public_types() {
    send_sync_unpin::<Shutdown>();
    send_sync_unpin::<ShutdownToken>();
    send_sync_unpin::<Guard>();
    send_sync_unpin::<Cancelled<'static>>();
    send_sync_unpin::<ShutdownReport>();
    send_sync_unpin::<UnitReport>();
    send_sync_unpin::<Outcome>();
    send_sync_unpin::<UnitKind>();
    send_sync_unpin::<Reason>();
    send_sync_unpin::<Signal>();
    send_sync_unpin::<Builder>();
}

#[test]
fn futures_are_send() {
    let shutdown = Shutdown::new();
    let token = shutdown.token();
    send_sync(&token.cancelled());
    send(&token.run_until_cancelled(async {}));
    send(&shutdown.wait());
    send(&shutdown.wait_more(Duration::ZERO));
}
