//! `Send`, `Sync` and `Unpin` of every public type and future.

use std::rc::Rc;

use amphi_queue::*;

fn send<T: Send>() {}
fn sync<T: Sync>() {}
fn unpin<T: Unpin>() {}

#[test]
fn handles_and_futures_are_send_sync_unpin_for_send_items() {
    send::<Queue<u8>>();
    sync::<Queue<u8>>();
    unpin::<Queue<u8>>();
    send::<Put<'static, u8>>();
    sync::<Put<'static, u8>>();
    send::<Get<'static, u8>>();
    sync::<Get<'static, u8>>();
    send::<Reserve<'static, u8>>();
    send::<Join<'static, u8>>();
    send::<Permit<'static, u8>>();
    sync::<Permit<'static, u8>>();
    send::<QueueStream<u8>>();
    sync::<QueueStream<u8>>();
    send::<QueueSink<u8>>();
    sync::<QueueSink<u8>>();
    unpin::<Put<'static, std::marker::PhantomPinned>>();
    unpin::<Get<'static, u8>>();
    unpin::<Reserve<'static, u8>>();
    unpin::<Join<'static, u8>>();
    unpin::<QueueStream<std::marker::PhantomPinned>>();
    unpin::<QueueSink<std::marker::PhantomPinned>>();
    // Errors hand items back, so they are as Send/Sync as the item.
    send::<PutError<u8>>();
    sync::<TryPutError<u8>>();
    send::<GetError>();
}

/// Resolves only when the type is *not* `Send`: with a `Send` type both impls apply and the
/// `_` below would be ambiguous, failing to compile.
trait AmbiguousIfSend<A> {
    fn not_send() -> bool {
        true
    }
}
impl<T: ?Sized> AmbiguousIfSend<()> for T {}
struct IsSend;
impl<T: ?Sized + Send> AmbiguousIfSend<IsSend> for T {}

#[test]
fn a_queue_of_non_send_items_is_neither_send_nor_its_futures() {
    assert!(<Queue<Rc<u8>> as AmbiguousIfSend<_>>::not_send());
    assert!(<Get<'static, Rc<u8>> as AmbiguousIfSend<_>>::not_send());
}
