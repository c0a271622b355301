//! The [`Encoder`] trait: items in, bytes out.

use std::io;

use bytes::BytesMut;

use crate::write_buf::WriteBuf;

/// Writes items into a write buffer.
///
/// A [`FramedWrite`](crate::FramedWrite) (or [`Framed`](crate::Framed)) calls
/// [`encode_to`](Encoder::encode_to) for every item sent, which by default calls
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
    /// log or count, say) must forward `encode_to` too, or it copies every payload.
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
    ///         dst.push_chunk(item); // no copy from 4 KiB up
    ///         Ok(())
    ///     }
    /// }
    ///
    /// fn short_len(item: &[u8]) -> std::io::Result<u16> {
    ///     u16::try_from(item.len()).map_err(|_| std::io::Error::other("payload over 64 KiB"))
    /// }
    ///
    /// let mut buf = WriteBuf::new();
    /// Short.encode_to(Bytes::from(vec![1; 5000]), &mut buf).unwrap();
    /// assert_eq!(buf.len(), 5002);
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

    /// For a frame that ends with bytes the item only borrows: appends everything before
    /// them (the head) to `dst` and returns them (the payload), if the payload is at least
    /// `min` bytes long. Otherwise appends nothing and returns `Ok(None)`.
    ///
    /// A framed writer calls this first for each item when it could write a long payload
    /// straight to the transport (see [`FramedWrite`](crate::FramedWrite)): the payload is
    /// then copied once, into the transport, instead of into the buffer first. Whatever
    /// the transport does not take at once is copied into the buffer after the head.
    /// When this returns `Ok(None)` the writer calls [`encode_to`](Encoder::encode_to).
    ///
    /// The default returns `Ok(None)`. The codecs of this crate override it for `&[u8]`
    /// items ([`LengthDelimitedCodec`](crate::LengthDelimitedCodec) and
    /// [`BytesCodec`](crate::BytesCodec)); owned items are better queued by `encode_to`.
    ///
    /// ```
    /// use amphi_codec::{Encoder, LengthDelimitedCodec, WriteBuf};
    ///
    /// let mut codec = LengthDelimitedCodec::new();
    /// let payload = vec![7u8; 100];
    /// let item: &[u8] = &payload;
    /// let mut buf = WriteBuf::new();
    ///
    /// // Shorter than `min`: nothing happens, and `encode_to` will encode it all.
    /// assert!(codec.encode_head(&item, 101, &mut buf).unwrap().is_none());
    /// assert!(buf.is_empty());
    ///
    /// let rest = codec.encode_head(&item, 100, &mut buf).unwrap().unwrap();
    /// assert_eq!(&buf.tail()[..], &[0, 0, 0, 100]); // the length header
    /// assert_eq!(rest.len(), 100); // for the writer to send after it
    /// ```
    ///
    /// # Errors
    ///
    /// As [`encode`](Encoder::encode): nothing is appended on error.
    #[inline]
    fn encode_head<'i>(
        &mut self,
        item: &'i Item,
        min: usize,
        dst: &mut WriteBuf,
    ) -> Result<Option<&'i [u8]>, Self::Error> {
        let _ = (item, min, dst);
        Ok(None)
    }
}
