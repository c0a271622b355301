//! The [`Decoder`] trait: bytes in, frames out.

use std::io;

use bytes::BytesMut;

use crate::error::TrailingBytes;

/// Turns the bytes of a read buffer into frames.
///
/// A [`FramedRead`](crate::FramedRead) (or [`Framed`](crate::Framed)) reads from the
/// transport into a [`BytesMut`] and calls [`decode`](Decoder::decode) until it returns
/// `Ok(None)`; then it reads more. At end of stream it calls
/// [`decode_eof`](Decoder::decode_eof) until that returns `Ok(None)`.
///
/// A decoder takes the bytes of a frame off the front of the buffer
/// (`src.split_to(n).freeze()` is zero-copy) and leaves the rest. It should not call
/// `src.reserve`: the driver grows the buffer with the bytes the peer actually sent, so
/// memory follows what was received and never what a header claims.
///
/// The driver zeroes the memory it reuses after a decoder of yours (a `memset` of the
/// bytes read), because safe code holding the `BytesMut` may leave uninitialised bytes in
/// its spare capacity; after the codecs of this crate it reuses memory without zeroing.
///
/// # Errors
///
/// A decoder error ends the stream (see [`ReadState::Errored`](crate::ReadState)) unless
/// [`is_recoverable`](Decoder::is_recoverable) says the decoder can go on.
pub trait Decoder {
    /// The frame this decoder yields.
    type Item;

    /// The error this decoder yields; transport errors convert into it.
    type Error: From<io::Error>;

    /// Takes one frame off the front of `src`, or returns `Ok(None)` when `src` holds no
    /// complete frame yet (consuming nothing, or only bytes it has remembered).
    ///
    /// # Errors
    ///
    /// When the bytes cannot be a valid frame.
    fn decode(&mut self, src: &mut BytesMut) -> Result<Option<Self::Item>, Self::Error>;

    /// Like [`decode`](Decoder::decode), called once the transport reached end of stream.
    ///
    /// The default calls `decode` and treats bytes that remain after the last frame as a
    /// truncated frame.
    ///
    /// # Errors
    ///
    /// By default an [`io::Error`] of kind [`UnexpectedEof`](io::ErrorKind::UnexpectedEof)
    /// wrapping [`TrailingBytes`] when bytes remain that do not form a frame.
    fn decode_eof(&mut self, src: &mut BytesMut) -> Result<Option<Self::Item>, Self::Error> {
        match self.decode(src)? {
            Some(frame) => Ok(Some(frame)),
            None if src.is_empty() => Ok(None),
            None => Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                TrailingBytes {
                    remaining: src.len(),
                },
            )
            .into()),
        }
    }

    /// How many more bytes the decoder needs in `src` before its next step (the rest of a
    /// header, or the rest of a frame), when it knows; `None` by default.
    ///
    /// For large frames the driver ends reads there, so each frame ends where a read ends
    /// and the next one starts at the front of the buffer instead of being moved there
    /// later. It never allocates for it: memory still grows only with the bytes received.
    fn frame_remaining(&self, src: &BytesMut) -> Option<usize> {
        let _ = src;
        None
    }

    /// Called before the next [`decode`](Decoder::decode) when code other than the
    /// decoder may have edited the buffer: after
    /// [`read_buffer_mut`](crate::FramedRead::read_buffer_mut),
    /// [`map_codec`](crate::FramedRead::map_codec) or
    /// [`from_parts`](crate::FramedRead::from_parts). A decoder that remembers how far it
    /// has scanned `src` (as [`LinesCodec`](crate::LinesCodec) does, so that a long line
    /// is not scanned again on every read) starts over. The default does nothing.
    ///
    /// Call it yourself when you use a decoder directly and edit the buffer between calls
    /// other than by appending to it.
    fn buffer_edited(&mut self) {}

    /// Whether the stream can go on after `error`.
    ///
    /// The default, `false`, ends the stream after any error. [`LinesCodec`](crate::LinesCodec)
    /// and [`DelimitedCodec`](crate::DelimitedCodec) return `true` for an overlong line (they
    /// skip to the next delimiter) and for invalid UTF-8 (the line was consumed).
    fn is_recoverable(&self, error: &Self::Error) -> bool {
        let _ = error;
        false
    }

    /// Not part of the API. The crate's own decoders return `Some`, which lets the driver
    /// reuse the memory of the read buffer without zeroing it again; code outside the
    /// crate cannot name the type, so its decoders keep the default and the driver zeroes
    /// the memory it reuses after them (see `read_buf`).
    #[doc(hidden)]
    fn keeps_buffer_init(&self) -> Option<crate::read_buf::KeepsInit> {
        None
    }
}
