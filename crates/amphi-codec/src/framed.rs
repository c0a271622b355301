//! [`Framed`]: one transport, read as a stream of frames and written as a sink of items.

use std::fmt;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::BytesMut;
use futures_core::{FusedStream, Stream};
use futures_io::{AsyncRead, AsyncWrite};
use futures_sink::Sink;

use crate::decoder::Decoder;
use crate::encoder::Encoder;
use crate::parts::FramedParts;
use crate::read_buf::ReadBuf;
use crate::state::{ReadHalf, ReadState, WriteHalf};
use crate::write_buf::WriteBuf;

/// A transport read as a [`Stream`] of frames and written as a [`Sink`] of items, through
/// one codec.
///
/// Works on any `futures-io` [`AsyncRead`] / [`AsyncWrite`]: smol and async-std sockets,
/// `async-net`, or tokio's through `tokio_util::compat`.
///
/// Reading: frames are split off the read buffer without copying. The buffer grows with the
/// bytes actually received (never with a length that a header claims), and with this
/// crate's codecs memory that has been initialised once is not zeroed again. After an
/// error the stream is terminated (see [`ReadState`]) unless the codec says the error is
/// recoverable.
///
/// Writing: [`Sink::poll_ready`] writes until the write buffer holds less than the
/// [high-water mark](Framed::set_high_water_mark); [`Sink::poll_flush`] and
/// [`Sink::poll_close`] write everything. Owned payloads are queued uncopied and long
/// borrowed ones written through from `start_send`, as in [`FramedWrite`](crate::FramedWrite).
///
/// # Cancel safety
///
/// Dropping a `next()` future loses nothing: received bytes stay in the read buffer and the
/// next call decodes them. Dropping a `send()` future before it completes may drop the
/// item if it was not yet encoded; once encoded it stays in the write buffer and the next
/// `flush` or `send` writes it. `flush` and `close` can be retried.
///
/// # Examples
///
/// ```
/// use amphi_codec::{Framed, LengthDelimitedCodec};
/// use bytes::Bytes;
/// use futures::{SinkExt, StreamExt};
///
/// futures_lite::future::block_on(async {
///     let mut framed = Framed::new(futures::io::Cursor::new(Vec::new()), LengthDelimitedCodec::new());
///     framed.send(Bytes::from_static(b"ping")).await.unwrap();
///     assert_eq!(framed.get_ref().get_ref(), b"\x00\x00\x00\x04ping");
/// });
/// ```
pub struct Framed<T, C> {
    io: T,
    codec: C,
    read: ReadHalf,
    write: WriteHalf,
}

// The codec and buffers are never pinned; only `T` must not move.
impl<T: Unpin, C> Unpin for Framed<T, C> {}

impl<T, C> Framed<T, C> {
    /// Frames `io` with `codec`; both buffers start empty.
    pub fn new(io: T, codec: C) -> Self {
        Self::from_parts(FramedParts::new(io, codec))
    }

    /// Rebuilds a framed transport from its parts, buffered bytes included.
    pub fn from_parts(parts: FramedParts<T, C>) -> Self {
        Self {
            io: parts.io,
            codec: parts.codec,
            read: ReadHalf::new(ReadBuf::from_bytes(parts.read_buf)),
            write: WriteHalf::new(WriteBuf::from(parts.write_buf)),
        }
    }

    /// Takes the transport apart, keeping the bytes read but not decoded and the bytes
    /// encoded but not written (queued payloads are copied into `write_buf`).
    pub fn into_parts(self) -> FramedParts<T, C> {
        FramedParts::new_with_buffers(
            self.io,
            self.codec,
            self.read.buf.into_bytes(),
            self.write.buf.into_bytes_mut(),
        )
    }

    /// Returns the transport.
    ///
    /// Buffered bytes are dropped: those read but not decoded and those encoded but not
    /// written. Flush first, or use [`into_parts`](Framed::into_parts) to keep them.
    pub fn into_inner(self) -> T {
        self.io
    }

    /// The transport.
    pub fn get_ref(&self) -> &T {
        &self.io
    }

    /// The transport. Reading or writing it directly interleaves with the buffers.
    pub fn get_mut(&mut self) -> &mut T {
        &mut self.io
    }

    /// The codec.
    pub fn codec(&self) -> &C {
        &self.codec
    }

    /// The codec, to change its settings. The next poll decodes the buffered bytes
    /// with them before it reads more.
    pub fn codec_mut(&mut self) -> &mut C {
        self.read.mark_edited();
        &mut self.codec
    }

    /// Replaces the codec, keeping the transport and both buffers. The next poll decodes
    /// the buffered bytes with the new codec before it reads more.
    pub fn map_codec<C2, F>(self, map: F) -> Framed<T, C2>
    where
        F: FnOnce(C) -> C2,
    {
        let mut read = self.read;
        read.mark_edited();
        Framed {
            io: self.io,
            codec: map(self.codec),
            read,
            write: self.write,
        }
    }

    /// Bytes read and not yet decoded.
    pub fn read_buffer(&self) -> &BytesMut {
        self.read.buf.data()
    }

    /// Bytes read and not yet decoded, to edit.
    ///
    /// The next poll decodes what the buffer then holds before it reads more, after
    /// telling the codec ([`Decoder::buffer_edited`](crate::Decoder::buffer_edited)), so
    /// bytes put here are framed even if the transport sends nothing more. After an edit,
    /// the next growth of the buffer zeroes again the memory it reuses (once; the codecs
    /// of this crate then reuse it without zeroing).
    pub fn read_buffer_mut(&mut self) -> &mut BytesMut {
        self.read.mark_edited();
        self.read.buf.data_mut()
    }

    /// Bytes encoded and not yet written, queued chunks included.
    pub fn write_buffer(&self) -> &WriteBuf {
        &self.write.buf
    }

    /// Bytes encoded and not yet written, to append to or edit
    /// ([`WriteBuf::bytes_mut`] holds those after the last queued chunk).
    pub fn write_buffer_mut(&mut self) -> &mut WriteBuf {
        &mut self.write.buf
    }

    /// Where the read side stands: open, cleanly ended, or ended by an error.
    pub fn read_state(&self) -> ReadState {
        self.read.state()
    }

    /// The write high-water mark, [`DEFAULT_HIGH_WATER_MARK`](crate::DEFAULT_HIGH_WATER_MARK)
    /// unless set.
    pub fn high_water_mark(&self) -> usize {
        self.write.high_water
    }

    /// Sets the write high-water mark: `poll_ready` writes until the write buffer holds
    /// fewer bytes than `mark`. `0` is taken as `1` (write everything before the next item;
    /// [`high_water_mark`](Self::high_water_mark) then says `1`).
    pub fn set_high_water_mark(&mut self, mark: usize) {
        self.write.set_high_water(mark);
    }
}

impl<T, C> Stream for Framed<T, C>
where
    T: AsyncRead + Unpin,
    C: Decoder,
{
    type Item = Result<C::Item, C::Error>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        this.read.poll_next(cx, &mut this.io, &mut this.codec)
    }
}

impl<T, C> FusedStream for Framed<T, C>
where
    T: AsyncRead + Unpin,
    C: Decoder,
{
    fn is_terminated(&self) -> bool {
        self.read.is_terminated()
    }
}

impl<T, C, I> Sink<I> for Framed<T, C>
where
    T: AsyncWrite + Unpin,
    C: Encoder<I>,
{
    type Error = C::Error;

    #[inline]
    fn poll_ready(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        let this = self.get_mut();
        this.write.poll_ready(cx, &mut this.io).map_err(Into::into)
    }

    #[inline(always)]
    fn start_send(self: Pin<&mut Self>, item: I) -> Result<(), Self::Error> {
        let this = self.get_mut();
        this.write.start_send(&mut this.codec, item, &mut this.io)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        let this = self.get_mut();
        this.write.poll_flush(cx, &mut this.io).map_err(Into::into)
    }

    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        let this = self.get_mut();
        this.write.poll_close(cx, &mut this.io).map_err(Into::into)
    }
}

impl<T: fmt::Debug, C: fmt::Debug> fmt::Debug for Framed<T, C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Framed")
            .field("io", &self.io)
            .field("codec", &self.codec)
            .field("read_state", &self.read.state())
            .field("read_buffered", &self.read.buf.data().len())
            .field("write_buffered", &self.write.buf.len())
            .finish()
    }
}
