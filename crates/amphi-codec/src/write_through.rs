//! [`WriteThrough`]: a framed writer's offer to send a long borrowed payload straight to
//! its transport instead of copying it into the write buffer.

use std::fmt;

use crate::write_buf::WriteBuf;

/// Sends a payload after everything a [`WriteBuf`] holds: straight to the transport as far
/// as it takes it without waiting, the rest copied into the buffer. Handed to
/// [`Encoder::encode_through`](crate::Encoder::encode_through).
///
/// A borrowed payload must be copied somewhere before `start_send` returns. Into the
/// buffer, it is copied twice (there, then into the transport); written through, once. A
/// framed writer offers this right after a `poll_ready` while its items are long, for
/// payloads of at least [`min`](WriteThrough::min) bytes (its high-water mark, and at least
/// 8 KiB): shorter ones are better gathered in the buffer into fewer writes.
///
/// ```
/// use amphi_codec::{Encoder, LengthDelimitedCodec, WriteBuf, WriteThrough};
///
/// // A stand-in transport that records what it was given.
/// let mut sent = Vec::new();
/// let mut transport = |buf: &mut WriteBuf, payload: &[u8]| {
///     sent.extend_from_slice(&bytes::Buf::copy_to_bytes(buf, buf.len()));
///     sent.extend_from_slice(payload);
/// };
/// let payload = vec![7u8; 5000];
/// let mut buf = WriteBuf::new();
/// let mut through = WriteThrough::new(1000, &buf, &mut transport);
/// LengthDelimitedCodec::new()
///     .encode_through(&payload[..], &mut buf, &mut through)
///     .unwrap();
/// assert!(buf.is_empty()); // nothing copied into the buffer
/// assert_eq!(sent.len(), 4 + 5000); // the header, then the payload
/// ```
pub struct WriteThrough<'a> {
    min: usize,
    /// The address of the buffer whose bytes go first: a payload for any other buffer is
    /// appended to it instead (its bytes would be written out of order).
    buf: usize,
    write: &'a mut dyn FnMut(&mut WriteBuf, &[u8]),
}

impl<'a> WriteThrough<'a> {
    /// Sends payloads of `min` bytes or more for `buf` with `write`, which must send (or
    /// append to the buffer) everything the buffer holds before the payload, then the
    /// payload.
    pub fn new(min: usize, buf: &WriteBuf, write: &'a mut dyn FnMut(&mut WriteBuf, &[u8])) -> Self {
        Self {
            min,
            buf: std::ptr::from_ref(buf) as usize,
            write,
        }
    }

    /// The shortest payload worth writing through: copy shorter ones into the buffer.
    #[inline]
    pub fn min(&self) -> usize {
        self.min
    }

    /// Sends `payload` after everything `dst` holds, as far as the transport takes it
    /// without waiting; the rest is appended to `dst`. Whatever `dst` holds is written
    /// first, so the stream keeps its order. A `dst` other than the buffer this was made
    /// for (a scratch buffer of a codec that wraps another) gets `payload` appended: its
    /// bytes must not overtake those of the real buffer.
    ///
    /// Cost: one write to the transport (vectored when `dst` holds bytes), more for as long
    /// as it keeps taking part of it, and a copy of what it leaves.
    pub fn write(&mut self, dst: &mut WriteBuf, payload: &[u8]) {
        if std::ptr::from_ref(dst) as usize == self.buf {
            (self.write)(dst, payload);
        } else {
            dst.bytes_mut().extend_from_slice(payload);
        }
    }
}

impl fmt::Debug for WriteThrough<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WriteThrough")
            .field("min", &self.min)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_payload_for_another_buffer_is_appended_to_it_not_written() {
        let mut calls = 0;
        let mut write = |buf: &mut WriteBuf, payload: &[u8]| {
            calls += 1;
            buf.bytes_mut().extend_from_slice(payload);
        };
        let mut framer_buf = WriteBuf::new();
        let mut scratch = WriteBuf::new();
        let mut through = WriteThrough::new(1, &framer_buf, &mut write);
        // A wrapping codec encoding into a scratch buffer: the payload must not overtake
        // the framer's bytes, so it lands in the scratch buffer.
        through.write(&mut scratch, b"scratch");
        through.write(&mut framer_buf, b"framer");
        assert_eq!(calls, 1);
        assert_eq!(&scratch.tail()[..], b"scratch");
        assert_eq!(&framer_buf.tail()[..], b"framer");
    }
}
