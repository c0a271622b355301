//! [`FramedWrite`]: a writer as a sink of items.

use std::fmt;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::BytesMut;
use futures_io::AsyncWrite;
use futures_sink::Sink;

use crate::encoder::Encoder;
use crate::parts::FramedParts;
use crate::state::WriteHalf;
use crate::write_buf::WriteBuf;

/// A writer as a [`Sink`] of items: the write half of [`Framed`](crate::Framed).
///
/// [`Sink::poll_ready`] writes until the buffer holds less than the
/// [high-water mark](FramedWrite::set_high_water_mark), so a fast sender waits for a slow
/// transport instead of growing the buffer; `poll_flush` and `poll_close` write everything.
///
/// Cost per item: one [`Encoder::encode_to`] call, which copies a borrowed or short item
/// into the buffer and queues an owned payload of [`MIN_QUEUED_CHUNK`](crate::MIN_QUEUED_CHUNK)
/// bytes or more uncopied (see [`WriteBuf`]); the buffer is written when it reaches the
/// mark, or on flush, vectored while payloads are queued.
///
/// Long borrowed payloads: while items are long (those sent since `poll_ready` or
/// `poll_flush` last wrote the buffer averaged at least the mark, and 8 KiB, or did a few
/// rounds ago), a `&[u8]` payload that long is written from `start_send` itself, right
/// after a `poll_ready`, behind what the buffer holds, for as long as the transport takes
/// it without waiting ([`Encoder::encode_through`]); the rest is copied into the buffer.
/// A write that has to wait registers the waker of that `poll_ready`. `start_send` does
/// not report a write error: every byte not yet written stays buffered, and the next
/// write retries it (and reports the error if it recurs). A writer that writes only the
/// first slice of a vectored write gets the payload copied, as before, when bytes are
/// buffered ahead of it. Nothing is lost or reordered.
///
/// # Cancel safety
///
/// Dropping a `send()` future may drop the item if it was not yet encoded; an encoded item
/// stays in the buffer and the next `flush` writes it. `flush` and `close` can be retried.
///
/// # Examples
///
/// ```
/// use amphi_codec::{FramedWrite, LinesCodec};
/// use futures::SinkExt;
///
/// futures_lite::future::block_on(async {
///     let mut out = FramedWrite::new(Vec::new(), LinesCodec::new());
///     out.send("hello").await.unwrap();
///     assert_eq!(out.get_ref(), b"hello\n");
/// });
/// ```
pub struct FramedWrite<W, E> {
    io: W,
    codec: E,
    write: WriteHalf,
}

// The codec and buffer are never pinned; only `W` must not move.
impl<W: Unpin, E> Unpin for FramedWrite<W, E> {}

impl<W, E> FramedWrite<W, E> {
    /// Frames `io` with `codec`; the buffer starts empty.
    pub fn new(io: W, codec: E) -> Self {
        Self::from_parts(FramedParts::new(io, codec))
    }

    /// Rebuilds from parts, keeping `write_buf` (written before any new item). `read_buf`
    /// is dropped.
    pub fn from_parts(parts: FramedParts<W, E>) -> Self {
        Self {
            io: parts.io,
            codec: parts.codec,
            write: WriteHalf::new(WriteBuf::from(parts.write_buf)),
        }
    }

    /// Takes the writer apart, keeping the bytes encoded but not written (queued payloads
    /// are copied into `write_buf`).
    pub fn into_parts(self) -> FramedParts<W, E> {
        FramedParts::new_with_buffers(
            self.io,
            self.codec,
            BytesMut::new(),
            self.write.buf.into_bytes_mut(),
        )
    }

    /// Returns the writer. Bytes encoded but not written are dropped: flush first, or use
    /// [`into_parts`](FramedWrite::into_parts).
    pub fn into_inner(self) -> W {
        self.io
    }

    /// The writer.
    pub fn get_ref(&self) -> &W {
        &self.io
    }

    /// The writer. Writing it directly skips the buffer.
    pub fn get_mut(&mut self) -> &mut W {
        &mut self.io
    }

    /// The codec.
    pub fn codec(&self) -> &E {
        &self.codec
    }

    /// The codec, to change its settings.
    pub fn codec_mut(&mut self) -> &mut E {
        &mut self.codec
    }

    /// Replaces the codec, keeping the writer and the buffered bytes.
    pub fn map_codec<E2, F>(self, map: F) -> FramedWrite<W, E2>
    where
        F: FnOnce(E) -> E2,
    {
        FramedWrite {
            io: self.io,
            codec: map(self.codec),
            write: self.write,
        }
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

    /// The high-water mark, [`DEFAULT_HIGH_WATER_MARK`](crate::DEFAULT_HIGH_WATER_MARK)
    /// unless set.
    pub fn high_water_mark(&self) -> usize {
        self.write.high_water
    }

    /// Sets the high-water mark: `poll_ready` writes until the buffer holds fewer bytes
    /// than `mark`. `0` is taken as `1` (and [`high_water_mark`](Self::high_water_mark) then
    /// says `1`).
    pub fn set_high_water_mark(&mut self, mark: usize) {
        self.write.set_high_water(mark);
    }
}

impl<W, E, I> Sink<I> for FramedWrite<W, E>
where
    W: AsyncWrite + Unpin,
    E: Encoder<I>,
{
    type Error = E::Error;

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

impl<W: fmt::Debug, E: fmt::Debug> fmt::Debug for FramedWrite<W, E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FramedWrite")
            .field("io", &self.io)
            .field("codec", &self.codec)
            .field("write_buffered", &self.write.buf.len())
            .field("high_water_mark", &self.write.high_water)
            .finish()
    }
}
