//! `QueueSink` used outside the `Sink` contract: `start_send` without `poll_ready`.

use std::pin::Pin;
use std::task::{Context, Poll};

use amphi_queue::Queue;
use futures::Sink;

fn poll_flush(
    sink: &mut amphi_queue::QueueSink<u32>,
) -> Poll<Result<(), amphi_queue::ReserveError>> {
    let mut cx = Context::from_waker(std::task::Waker::noop());
    Pin::new(sink).poll_flush(&mut cx)
}

/// On a full, open queue the items are held, in order, until room appears: they were
/// dropped, with an error that said the queue was closed.
#[test]
fn start_send_without_poll_ready_on_a_full_queue_holds_items_in_order() {
    let queue = Queue::bounded(1);
    queue.try_put(0).expect("room");
    let mut sink = queue.sink();
    for i in 1..=3 {
        assert!(
            Pin::new(&mut sink).start_send(i).is_ok(),
            "item {i} refused"
        );
    }
    assert!(poll_flush(&mut sink).is_pending(), "nothing can go yet");
    let mut got = Vec::new();
    while got.len() < 4 {
        got.push(queue.try_get().expect("an item"));
        let _ = poll_flush(&mut sink);
    }
    assert_eq!(got, [0, 1, 2, 3]);
    assert!(matches!(poll_flush(&mut sink), Poll::Ready(Ok(()))));
    assert!(queue.is_empty());
}

/// A closed queue refuses, and what the sink held goes.
#[test]
fn start_send_without_poll_ready_on_a_closed_queue_is_refused() {
    let queue = Queue::bounded(1);
    queue.try_put(0).expect("room");
    let mut sink = queue.sink();
    assert!(Pin::new(&mut sink).start_send(1).is_ok());
    queue.close();
    assert!(Pin::new(&mut sink).start_send(2).is_err());
    assert!(matches!(poll_flush(&mut sink), Poll::Ready(Ok(()))));
    assert_eq!(queue.try_get().ok(), Some(0));
    assert!(queue.try_get().is_err());
}
