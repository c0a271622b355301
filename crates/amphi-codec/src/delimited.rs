//! [`DelimitedCodec`]: frames ended by one byte, and the splitter [`LinesCodec`](crate::LinesCodec) shares.

use std::error::Error;
use std::fmt;
use std::io;

use bytes::{Buf, BufMut, Bytes, BytesMut};

use crate::decoder::Decoder;
use crate::encoder::Encoder;
use crate::scan;
use crate::write_buf::WriteBuf;

/// The default longest frame of [`DelimitedCodec`] and line of
/// [`LinesCodec`](crate::LinesCodec): 64 KiB, asyncio's `StreamReader` limit.
pub const DEFAULT_MAX_LENGTH: usize = 64 * 1024;

/// What the splitter found at the front of the buffer.
pub(crate) enum Split {
    /// A frame at the front of the buffer: `len` bytes without the delimiter, `consume`
    /// bytes with it (equal at end of stream), and the stream offset of its first byte.
    /// The caller takes `consume` bytes off the buffer. `ascii`: this call read every byte
    /// of the frame and each is below `0x80` (`false` says nothing).
    Frame {
        len: usize,
        consume: usize,
        offset: u64,
        ascii: bool,
    },
    /// No delimiter yet.
    NeedMore,
    /// No delimiter within the limit; the frame starting at this offset is being skipped.
    TooLong(u64),
}

/// Finds delimiters with `memchr`, never scanning a byte twice, and skips overlong frames.
#[derive(Debug, Clone)]
pub(crate) struct Splitter {
    delimiter: u8,
    pub(crate) max: usize,
    /// Bytes before this index were scanned and hold no delimiter, if the buffer still
    /// starts at `scanned_at`.
    next_index: usize,
    /// Where the buffer started when `next_index` was set: a buffer that was advanced,
    /// replaced or moved is scanned again from its start.
    scanned_at: usize,
    /// Skipping an overlong frame up to the next delimiter.
    discarding: bool,
    /// Stream offset of the first byte in the buffer.
    consumed: u64,
}

impl Splitter {
    pub(crate) fn new(delimiter: u8, max: usize) -> Self {
        Self {
            delimiter,
            max,
            next_index: 0,
            scanned_at: 0,
            discarding: false,
            consumed: 0,
        }
    }

    /// The frame at the front of `src`, if its delimiter has arrived.
    ///
    /// With `ASCII`, a frame that starts with this call's scan and whose first
    /// [`SHORT`](crate::scan::SHORT) bytes hold its delimiter is read in one pass that also
    /// notes whether it is ASCII ([`Split::Frame`]'s `ascii`). Only bytes read in this call
    /// count: `src` may have been edited between calls.
    #[inline(always)]
    pub(crate) fn split<const ASCII: bool>(&mut self, src: &mut BytesMut) -> Split {
        if self.discarding && !self.discard(src) {
            return Split::NeedMore;
        }
        let read_to = src.len().min(self.max.saturating_add(1));
        let from = self.scanned(src).min(read_to);
        let hay = &src[from..read_to];
        let (found, ascii) = if ASCII && from == 0 {
            let scan = scan::scan_short(self.delimiter, hay);
            match scan.found {
                Some(i) => (Some(i), scan.ascii),
                None if hay.len() > scan::SHORT => (
                    memchr::memchr(self.delimiter, &hay[scan::SHORT..]).map(|i| i + scan::SHORT),
                    false,
                ),
                None => (None, false),
            }
        } else {
            (memchr::memchr(self.delimiter, hay), false)
        };
        match found {
            Some(i) => {
                let end = from + i;
                self.next_index = 0;
                let offset = self.consumed;
                self.consumed += end as u64 + 1;
                Split::Frame {
                    len: end,
                    consume: end + 1,
                    offset,
                    ascii,
                }
            }
            None if src.len() > self.max => {
                self.discarding = true;
                self.remember_scan(src, read_to);
                Split::TooLong(self.consumed)
            }
            None => {
                self.remember_scan(src, read_to);
                Split::NeedMore
            }
        }
    }

    /// How many bytes at the front of `src` are known to hold no delimiter: `next_index`
    /// if `src` still starts where it did then, else none.
    #[inline(always)]
    fn scanned(&self, src: &BytesMut) -> usize {
        if src.as_ptr() as usize == self.scanned_at {
            self.next_index
        } else {
            0
        }
    }

    /// Notes that the first `upto` bytes of `src` hold no delimiter.
    #[inline(always)]
    fn remember_scan(&mut self, src: &BytesMut, upto: usize) {
        self.next_index = upto;
        self.scanned_at = src.as_ptr() as usize;
    }

    /// Forgets what was scanned: the buffer may have been edited.
    pub(crate) fn rescan(&mut self) {
        self.next_index = 0;
    }

    /// Drops bytes up to and including the next delimiter; `false` if none arrived yet.
    #[cold]
    fn discard(&mut self, src: &mut BytesMut) -> bool {
        let from = self.scanned(src).min(src.len());
        match memchr::memchr(self.delimiter, &src[from..]) {
            Some(i) => {
                let end = from + i + 1;
                src.advance(end);
                self.consumed += end as u64;
                self.discarding = false;
                self.next_index = 0;
                true
            }
            None => {
                self.consumed += src.len() as u64;
                src.advance(src.len());
                self.next_index = 0;
                false
            }
        }
    }

    /// At end of stream: the last, unterminated frame, if any.
    pub(crate) fn split_eof(&mut self, src: &mut BytesMut) -> Split {
        match self.split::<false>(src) {
            Split::NeedMore if src.is_empty() || self.discarding => {
                self.consumed += src.len() as u64;
                src.advance(src.len());
                self.discarding = false;
                Split::NeedMore
            }
            Split::NeedMore => {
                let offset = self.consumed;
                self.consumed += src.len() as u64;
                self.next_index = 0;
                Split::Frame {
                    len: src.len(),
                    consume: src.len(),
                    offset,
                    ascii: false,
                }
            }
            other => other,
        }
    }
}

/// Frames ended by a delimiter byte (`b'\0'`, `b';'`, ...), yielded as [`Bytes`] without
/// the delimiter.
///
/// Frames are split off the read buffer without copying. A frame longer than the maximum
/// ([`DEFAULT_MAX_LENGTH`] by default) yields [`DelimitedError::FrameTooLong`]; the codec
/// then skips to the next delimiter and the stream goes on (the error is recoverable). At
/// end of stream, bytes after the last delimiter are yielded as a last frame. The encoder
/// appends the delimiter; it does not check that the item is free of it.
///
/// # Examples
///
/// ```
/// use amphi_codec::{DelimitedCodec, FramedRead};
/// use futures_lite::StreamExt;
///
/// futures_lite::future::block_on(async {
///     let mut frames = FramedRead::new(&b"a\0bc\0"[..], DelimitedCodec::new(b'\0'));
///     assert_eq!(&frames.next().await.unwrap().unwrap()[..], b"a");
///     assert_eq!(&frames.next().await.unwrap().unwrap()[..], b"bc");
///     assert!(frames.next().await.is_none());
/// });
/// ```
#[derive(Debug, Clone)]
pub struct DelimitedCodec {
    splitter: Splitter,
}

impl DelimitedCodec {
    /// Frames ended by `delimiter`, at most [`DEFAULT_MAX_LENGTH`] bytes each.
    pub fn new(delimiter: u8) -> Self {
        Self::with_max_length(delimiter, DEFAULT_MAX_LENGTH)
    }

    /// Frames ended by `delimiter`, at most `max` bytes each (delimiter not counted).
    pub fn with_max_length(delimiter: u8, max: usize) -> Self {
        Self {
            splitter: Splitter::new(delimiter, max),
        }
    }

    /// The delimiter.
    pub fn delimiter(&self) -> u8 {
        self.splitter.delimiter
    }

    /// The longest frame accepted, delimiter not counted.
    pub fn max_length(&self) -> usize {
        self.splitter.max
    }
}

impl Decoder for DelimitedCodec {
    type Item = Bytes;
    type Error = DelimitedError;

    #[inline]
    fn decode(&mut self, src: &mut BytesMut) -> Result<Option<Bytes>, DelimitedError> {
        let split = self.splitter.split::<false>(src);
        finish(split, src, self.splitter.max)
    }

    fn decode_eof(&mut self, src: &mut BytesMut) -> Result<Option<Bytes>, DelimitedError> {
        let split = self.splitter.split_eof(src);
        finish(split, src, self.splitter.max)
    }

    fn is_recoverable(&self, error: &DelimitedError) -> bool {
        matches!(error, DelimitedError::FrameTooLong { .. })
    }

    fn buffer_edited(&mut self) {
        self.splitter.rescan();
    }

    fn keeps_buffer_init(&self) -> Option<crate::read_buf::KeepsInit> {
        // It only advances the buffer and freezes what it splits off.
        Some(crate::read_buf::KeepsInit::new())
    }
}

#[inline]
fn finish(split: Split, src: &mut BytesMut, max: usize) -> Result<Option<Bytes>, DelimitedError> {
    match split {
        Split::Frame { len, consume, .. } => {
            // Zero-copy: the frame and its delimiter leave the buffer together.
            let mut frame = src.split_to(consume).freeze();
            frame.truncate(len);
            Ok(Some(frame))
        }
        Split::NeedMore => Ok(None),
        Split::TooLong(offset) => Err(DelimitedError::FrameTooLong { offset, max }),
    }
}

impl Encoder<Bytes> for DelimitedCodec {
    type Error = DelimitedError;

    #[inline]
    fn encode(&mut self, item: Bytes, dst: &mut BytesMut) -> Result<(), DelimitedError> {
        self.encode(&item[..], dst)
    }

    /// Queues `item` uncopied from [`MIN_QUEUED_CHUNK`](crate::MIN_QUEUED_CHUNK) bytes up,
    /// then the delimiter.
    #[inline]
    fn encode_to(&mut self, item: Bytes, dst: &mut WriteBuf) -> Result<(), DelimitedError> {
        if dst.would_copy(item.len()) {
            // Copied anyway: item and delimiter after one capacity check.
            crate::lines::put_terminated(dst.bytes_mut(), &item, self.splitter.delimiter);
            return Ok(());
        }
        dst.push_chunk(item);
        dst.bytes_mut().put_u8(self.splitter.delimiter);
        Ok(())
    }
}

impl Encoder<&[u8]> for DelimitedCodec {
    type Error = DelimitedError;

    #[inline]
    fn encode(&mut self, item: &[u8], dst: &mut BytesMut) -> Result<(), DelimitedError> {
        crate::lines::put_terminated(dst, item, self.splitter.delimiter);
        Ok(())
    }
}

/// Why a delimited frame could not be decoded.
#[derive(Debug)]
#[non_exhaustive]
pub enum DelimitedError {
    /// No delimiter within `max` bytes of the frame starting at stream offset `offset`.
    /// Recoverable: the codec skips to the next delimiter.
    FrameTooLong {
        /// Stream offset of the frame's first byte.
        offset: u64,
        /// The limit in force.
        max: usize,
    },
    /// The transport failed.
    Io(io::Error),
}

impl fmt::Display for DelimitedError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::FrameTooLong { offset, max } => write!(
                f,
                "frame at stream offset {offset} runs past the maximum of {max} bytes without a \
                 delimiter; it is skipped"
            ),
            Self::Io(err) => write!(f, "transport error: {err}"),
        }
    }
}

impl Error for DelimitedError {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        match self {
            Self::Io(err) => Some(err),
            Self::FrameTooLong { .. } => None,
        }
    }
}

impl From<io::Error> for DelimitedError {
    fn from(err: io::Error) -> Self {
        Self::Io(err)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Everything `buf` holds, in write order.
    fn flatten(mut buf: WriteBuf) -> Vec<u8> {
        let mut out = Vec::new();
        while buf.has_remaining() {
            out.extend_from_slice(buf.chunk());
            let n = buf.chunk().len();
            buf.advance(n);
        }
        out
    }

    #[test]
    fn owned_items_are_copied_short_and_queued_long_each_with_its_delimiter() {
        let long = Bytes::from(vec![b'x'; crate::MIN_QUEUED_CHUNK]);
        for copies in [false, true] {
            let mut codec = DelimitedCodec::new(b';');
            let mut buf = WriteBuf::new();
            if copies {
                buf.copy_chunks_from_now_on();
            }
            codec
                .encode_to(Bytes::from_static(b"ab"), &mut buf)
                .unwrap();
            codec.encode_to(long.clone(), &mut buf).unwrap();
            codec.encode(&b"c"[..], buf.bytes_mut()).unwrap();
            codec.encode_to(Bytes::new(), &mut buf).unwrap();
            // Queued: the bytes before the long item, then the item itself.
            assert_eq!(
                buf.queued_chunks(),
                if copies { 0 } else { 2 },
                "copies {copies}"
            );
            let mut expected = b"ab;".to_vec();
            expected.extend_from_slice(&long);
            expected.extend_from_slice(b";c;;");
            assert_eq!(flatten(buf), expected, "copies {copies}");
        }
    }
}
