//! The [`Encoder`] trait: items in, bytes out.

use std::io;

use bytes::BytesMut;

use crate::write_buf::WriteBuf;
use crate::write_through::WriteThrough;

/// Writes items into a write buffer.
///
/// A [`FramedWrite`](crate::FramedWrite) (or [`Framed`](crate::Framed)) calls
/// [`encode_to`](Encoder::encode_to) for every item sent (or, while items are long,
/// [`encode_through`](Encoder::encode_through)), which by default calls
/// [`encode`](Encoder::encode), and writes the buffer to the transport.
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

    /// Appends the encoding of `item` to a framed writer's buffer, which can also take owned
    /// chunks to write without copying them ([`WriteBuf::push_chunk`]).
    ///
    /// The default calls [`encode`](Encoder::encode) on
    /// [`dst.bytes_mut()`](WriteBuf::bytes_mut). Override it when `Item` owns bytes that
    /// go to the wire as they are: the codecs of this crate do for `Bytes` (and, except
    /// [`DelimitedCodec`](crate::DelimitedCodec), `BytesMut`) items, so a large payload is
    /// copied once (into the transport) instead of twice. A codec that wraps another (to
    /// log or count, say) must forward `encode_to` (and `encode_through`) too, or it copies
    /// every payload.
    ///
    /// ```
    /// use amphi_codec::{Encoder, WriteBuf};
    /// use bytes::{BufMut, Bytes, BytesMut};
    ///
    /// /// A 2-byte length, then the payload.
    /// struct Short;
    ///
    /// impl Encoder<Bytes> for Short {
    ///     type Error = std::io::Error;
    ///
    ///     fn encode(&mut self, item: Bytes, dst: &mut BytesMut) -> Result<(), Self::Error> {
    ///         dst.put_u16(short_len(&item)?);
    ///         dst.extend_from_slice(&item);
    ///         Ok(())
    ///     }
    ///
    ///     fn encode_to(&mut self, item: Bytes, dst: &mut WriteBuf) -> Result<(), Self::Error> {
    ///         dst.bytes_mut().put_u16(short_len(&item)?);
    ///         dst.push_chunk(item); // no copy from 8 KiB up
    ///         Ok(())
    ///     }
    /// }
    ///
    /// fn short_len(item: &[u8]) -> std::io::Result<u16> {
    ///     u16::try_from(item.len()).map_err(|_| std::io::Error::other("payload over 64 KiB"))
    /// }
    ///
    /// let mut buf = WriteBuf::new();
    /// Short.encode_to(Bytes::from(vec![1; 10_000]), &mut buf).unwrap();
    /// assert_eq!(buf.len(), 10_002);
    /// assert_eq!(buf.queued_chunks(), 2);
    /// ```
    ///
    /// # Errors
    ///
    /// As [`encode`](Encoder::encode): nothing is appended on error.
    #[inline]
    fn encode_to(&mut self, item: Item, dst: &mut WriteBuf) -> Result<(), Self::Error> {
        self.encode(item, dst.bytes_mut())
    }

    /// As [`encode_to`](Encoder::encode_to), for a framed writer that can also send a
    /// long payload borrowed from `item` straight to its transport: a codec whose frame
    /// ends with such a payload appends what comes before it to `dst` and hands the payload
    /// to [`through.write`](WriteThrough::write) when it is at least
    /// [`through.min()`](WriteThrough::min) bytes long. The payload is then copied once,
    /// into the transport, instead of into the buffer first.
    ///
    /// A [`FramedWrite`](crate::FramedWrite) calls this instead of `encode_to` right after
    /// a `poll_ready` while its items are long (see there). The default calls `encode_to`.
    /// The codecs of this crate override it for `&[u8]` items
    /// ([`LengthDelimitedCodec`](crate::LengthDelimitedCodec),
    /// [`BytesCodec`](crate::BytesCodec)); owned items are better queued by `encode_to`.
    /// A codec that wraps another must forward this too, or long payloads are copied; one
    /// that transforms the bytes (compresses, encrypts) must not forward it with a buffer
    /// of its own: [`through.write`](WriteThrough::write) then copies into that buffer
    /// instead of writing. See [`WriteThrough`] for an example.
    ///
    /// `through.write` cannot be undone: check everything that can fail before calling it.
    ///
    /// Cost: as `encode_to` for a payload under `through.min()`; for a longer one, the
    /// head, then the writes that [`WriteThrough::write`] describes.
    ///
    /// # Errors
    ///
    /// As [`encode`](Encoder::encode): nothing is appended or written on error.
    #[inline]
    fn encode_through(
        &mut self,
        item: Item,
        dst: &mut WriteBuf,
        through: &mut WriteThrough<'_>,
    ) -> Result<(), Self::Error> {
        let _ = through;
        self.encode_to(item, dst)
    }
}
