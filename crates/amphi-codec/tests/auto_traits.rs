//! Every public type is `Send`, `Sync` and `Unpin` when its parts are.

use amphi_codec::*;

fn send_sync_unpin<T: Send + Sync + Unpin>() {}

#[test]
fn public_types_are_send_sync_unpin() {
    type Io = futures::io::Cursor<Vec<u8>>;
    send_sync_unpin::<Framed<Io, LengthDelimitedCodec>>();
    send_sync_unpin::<FramedRead<Io, LinesCodec>>();
    send_sync_unpin::<FramedWrite<Io, DelimitedCodec>>();
    send_sync_unpin::<FramedParts<Io, BytesCodec>>();
    send_sync_unpin::<LengthDelimitedCodec>();
    send_sync_unpin::<LengthDelimitedBuilder>();
    send_sync_unpin::<LengthDelimitedError>();
    send_sync_unpin::<LengthDelimitedEncodeError>();
    send_sync_unpin::<LinesError>();
    send_sync_unpin::<DelimitedError>();
    send_sync_unpin::<TrailingBytes>();
    send_sync_unpin::<ReadState>();
}

#[test]
fn framed_is_unpin_even_with_a_pinned_codec() {
    struct NotUnpin(std::marker::PhantomPinned);
    fn unpin<T: Unpin>() {}
    unpin::<Framed<futures::io::Cursor<Vec<u8>>, NotUnpin>>();
}
