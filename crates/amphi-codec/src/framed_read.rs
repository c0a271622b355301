//! [`FramedRead`]: a reader as a stream of frames.

use std::fmt;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::BytesMut;
use futures_core::{FusedStream, Stream};
use futures_io::AsyncRead;

use crate::decoder::Decoder;
use crate::parts::FramedParts;
use crate::read_buf::ReadBuf;
use crate::state::{ReadHalf, ReadState};

/// A reader as a [`Stream`] of frames: the read half of [`Framed`](crate::Framed), with the
/// same buffer rules, error states and cancel safety.
///
/// # Cancel safety
///
/// Dropping a `next()` future loses nothing: received bytes stay in the read buffer.
///
/// # Examples
///
/// ```
/// use amphi_codec::{FramedRead, LinesCodec};
/// use futures_lite::StreamExt;
///
/// futures_lite::future::block_on(async {
///     let mut lines = FramedRead::new(&b"one\r\ntwo\n"[..], LinesCodec::new());
///     assert_eq!(lines.next().await.unwrap().unwrap(), "one");
///     assert_eq!(lines.next().await.unwrap().unwrap(), "two");
///     assert!(lines.next().await.is_none());
/// });
/// ```
pub struct FramedRead<R, D> {
    io: R,
    codec: D,
    read: ReadHalf,
}

// The codec and buffer are never pinned; only `R` must not move.
impl<R: Unpin, D> Unpin for FramedRead<R, D> {}

impl<R, D> FramedRead<R, D> {
    /// Frames `io` with `codec`; the buffer starts empty.
    pub fn new(io: R, codec: D) -> Self {
        Self::from_parts(FramedParts::new(io, codec))
    }

    /// Rebuilds from parts, keeping `read_buf` (frames already in it are yielded first).
    /// `write_buf` is dropped.
    pub fn from_parts(parts: FramedParts<R, D>) -> Self {
        Self {
            io: parts.io,
            codec: parts.codec,
            read: ReadHalf::new(ReadBuf::from_bytes(parts.read_buf)),
        }
    }

    /// Takes the reader apart, keeping the bytes read but not decoded.
    pub fn into_parts(self) -> FramedParts<R, D> {
        FramedParts::new_with_buffers(
            self.io,
            self.codec,
            self.read.buf.into_bytes(),
            BytesMut::new(),
        )
    }

    /// Returns the reader. Bytes read but not decoded are dropped; use
    /// [`into_parts`](FramedRead::into_parts) to keep them.
    pub fn into_inner(self) -> R {
        self.io
    }

    /// The reader.
    pub fn get_ref(&self) -> &R {
        &self.io
    }

    /// The reader. Reading it directly skips the buffer.
    pub fn get_mut(&mut self) -> &mut R {
        &mut self.io
    }

    /// The codec.
    pub fn codec(&self) -> &D {
        &self.codec
    }

    /// The codec, to change its settings. The next poll decodes the buffered bytes
    /// with them before it reads more.
    pub fn codec_mut(&mut self) -> &mut D {
        self.read.mark_edited();
        &mut self.codec
    }

    /// Replaces the codec, keeping the reader and the buffered bytes. The next poll
    /// decodes them with the new codec before it reads more.
    pub fn map_codec<D2, F>(self, map: F) -> FramedRead<R, D2>
    where
        F: FnOnce(D) -> D2,
    {
        let mut read = self.read;
        read.mark_edited();
        FramedRead {
            io: self.io,
            codec: map(self.codec),
            read,
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

    /// Where the stream stands: open, cleanly ended, or ended by an error.
    pub fn read_state(&self) -> ReadState {
        self.read.state()
    }
}

impl<R, D> Stream for FramedRead<R, D>
where
    R: AsyncRead + Unpin,
    D: Decoder,
{
    type Item = Result<D::Item, D::Error>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        this.read.poll_next(cx, &mut this.io, &mut this.codec)
    }
}

impl<R, D> FusedStream for FramedRead<R, D>
where
    R: AsyncRead + Unpin,
    D: Decoder,
{
    fn is_terminated(&self) -> bool {
        self.read.is_terminated()
    }
}

impl<R: fmt::Debug, D: fmt::Debug> fmt::Debug for FramedRead<R, D> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FramedRead")
            .field("io", &self.io)
            .field("codec", &self.codec)
            .field("read_state", &self.read.state())
            .field("read_buffered", &self.read.buf.data().len())
            .finish()
    }
}
