//! [`FramedParts`]: a framed transport taken apart without losing buffered bytes.

use bytes::BytesMut;

/// The pieces of a [`Framed`](crate::Framed), [`FramedRead`](crate::FramedRead) or
/// [`FramedWrite`](crate::FramedWrite), buffered bytes included.
///
/// [`into_parts`](crate::Framed::into_parts) and [`from_parts`](crate::Framed::from_parts)
/// let a protocol switch codecs mid-stream (a handshake in lines, then length-delimited
/// frames) without dropping the bytes that already arrived after the switch point.
///
/// # Examples
///
/// ```
/// use amphi_codec::{Framed, FramedParts, LengthDelimitedCodec, LinesCodec};
/// use futures_lite::{future::block_on, StreamExt};
///
/// block_on(async {
///     // "hello\n", then a 4-byte length and "abc", all in one read.
///     let wire: &[u8] = b"hello\n\x00\x00\x00\x03abc";
///     let mut lines = Framed::new(wire, LinesCodec::new());
///     assert_eq!(lines.next().await.unwrap().unwrap(), "hello");
///
///     let parts = lines.into_parts();
///     let mut frames = Framed::from_parts(FramedParts::new_with_buffers(
///         parts.io,
///         LengthDelimitedCodec::new(),
///         parts.read_buf,
///         parts.write_buf,
///     ));
///     assert_eq!(&frames.next().await.unwrap().unwrap()[..], b"abc");
/// });
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub struct FramedParts<T, C> {
    /// The transport.
    pub io: T,
    /// The codec.
    pub codec: C,
    /// Bytes read from the transport and not yet decoded.
    pub read_buf: BytesMut,
    /// Bytes encoded and not yet written to the transport.
    pub write_buf: BytesMut,
}

impl<T, C> FramedParts<T, C> {
    /// Parts with empty buffers.
    pub fn new(io: T, codec: C) -> Self {
        Self::new_with_buffers(io, codec, BytesMut::new(), BytesMut::new())
    }

    /// Parts with the given buffers, typically taken from another `FramedParts`.
    pub fn new_with_buffers(io: T, codec: C, read_buf: BytesMut, write_buf: BytesMut) -> Self {
        Self {
            io,
            codec,
            read_buf,
            write_buf,
        }
    }
}
