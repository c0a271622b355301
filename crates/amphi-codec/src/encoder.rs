//! The [`Encoder`] trait: items in, bytes out.

use std::io;

use bytes::BytesMut;

/// Writes items into a write buffer.
///
/// A [`FramedWrite`](crate::FramedWrite) (or [`Framed`](crate::Framed)) calls
/// [`encode`](Encoder::encode) for every item sent and writes the buffer to the transport.
pub trait Encoder<Item> {
    /// The error this encoder yields; transport errors convert into it.
    type Error: From<io::Error>;

    /// Appends the encoding of `item` to `dst`.
    ///
    /// # Errors
    ///
    /// When `item` cannot be encoded (for example, it is longer than the wire format can
    /// express). Nothing is appended then.
    fn encode(&mut self, item: Item, dst: &mut BytesMut) -> Result<(), Self::Error>;
}
