//! [`BytesCodec`]: whatever arrived, as it arrived.

use std::io;

use bytes::{Bytes, BytesMut};

use crate::decoder::Decoder;
use crate::encoder::Encoder;
use crate::write_buf::WriteBuf;
use crate::write_through::WriteThrough;

/// No framing: each frame is whatever the transport delivered since the last one, as
/// [`Bytes`] split off the read buffer (no copy); items are written as they are.
///
/// # Examples
///
/// ```
/// use amphi_codec::{BytesCodec, FramedRead};
/// use futures_lite::StreamExt;
///
/// futures_lite::future::block_on(async {
///     let mut chunks = FramedRead::new(&b"raw bytes"[..], BytesCodec::new());
///     assert_eq!(&chunks.next().await.unwrap().unwrap()[..], b"raw bytes");
/// });
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BytesCodec(());

impl BytesCodec {
    /// The codec.
    pub const fn new() -> Self {
        Self(())
    }
}

impl Decoder for BytesCodec {
    type Item = Bytes;
    type Error = io::Error;

    fn decode(&mut self, src: &mut BytesMut) -> io::Result<Option<Bytes>> {
        if src.is_empty() {
            Ok(None)
        } else {
            Ok(Some(src.split().freeze()))
        }
    }

    fn keeps_buffer_init(&self) -> Option<crate::read_buf::KeepsInit> {
        // It only advances the buffer and freezes what it splits off.
        Some(crate::read_buf::KeepsInit::new())
    }
}

impl Encoder<Bytes> for BytesCodec {
    type Error = io::Error;

    #[inline]
    fn encode(&mut self, item: Bytes, dst: &mut BytesMut) -> io::Result<()> {
        dst.extend_from_slice(&item);
        Ok(())
    }

    /// Queues `item` uncopied from [`MIN_QUEUED_CHUNK`](crate::MIN_QUEUED_CHUNK) bytes up.
    #[inline]
    fn encode_to(&mut self, item: Bytes, dst: &mut WriteBuf) -> io::Result<()> {
        dst.push_chunk(item);
        Ok(())
    }
}

impl<'a> Encoder<&'a [u8]> for BytesCodec {
    type Error = io::Error;

    #[inline]
    fn encode(&mut self, item: &'a [u8], dst: &mut BytesMut) -> io::Result<()> {
        dst.extend_from_slice(item);
        Ok(())
    }

    /// Writes a payload of [`through.min()`](WriteThrough::min) bytes or more through.
    #[inline]
    fn encode_through(
        &mut self,
        item: &'a [u8],
        dst: &mut WriteBuf,
        through: &mut WriteThrough<'_>,
    ) -> io::Result<()> {
        if item.len() < through.min() {
            dst.bytes_mut().extend_from_slice(item);
        } else {
            through.write(dst, item);
        }
        Ok(())
    }
}

impl Encoder<BytesMut> for BytesCodec {
    type Error = io::Error;

    #[inline]
    fn encode(&mut self, item: BytesMut, dst: &mut BytesMut) -> io::Result<()> {
        dst.extend_from_slice(&item);
        Ok(())
    }

    /// Queues `item` uncopied from [`MIN_QUEUED_CHUNK`](crate::MIN_QUEUED_CHUNK) bytes up.
    #[inline]
    fn encode_to(&mut self, item: BytesMut, dst: &mut WriteBuf) -> io::Result<()> {
        dst.push_chunk(item.freeze());
        Ok(())
    }
}
