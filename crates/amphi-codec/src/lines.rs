//! [`LinesCodec`]: UTF-8 lines ended by `\n` or `\r\n`.

// One of the four modules of the crate with `unsafe` (with `read_buf`, `scan` and
// `length_delimited::plain_frame`): a line the splitter saw to be ASCII skips UTF-8
// validation, and `put_terminated` writes a line and its end into the room it reserved.
#![allow(unsafe_code)]

use std::error::Error;
use std::fmt;
use std::io;

use bytes::{Buf, BytesMut};

use crate::decoder::Decoder;
use crate::delimited::{DEFAULT_MAX_LENGTH, Split, Splitter};
use crate::encoder::Encoder;

/// UTF-8 lines ended by `\n` or `\r\n`, yielded as [`String`]s without the line ending.
///
/// Each line is validated and copied into a new `String` (one allocation per line; use
/// [`DelimitedCodec`](crate::DelimitedCodec) with `b'\n'` for zero-copy [`Bytes`](bytes::Bytes)).
/// Cost per line: one pass to find its end, one allocation, one copy. A line that is
/// already buffered whole when its decode starts, with its `\n` within its first 128
/// bytes, is found and checked in the same pass (16 bytes per step with SSE2 on x86_64),
/// and an ASCII one needs no further UTF-8 validation; other lines are found with `memchr`
/// and then validated. No byte is scanned twice for the `\n`, however the line arrives.
///
/// A line longer than the maximum ([`DEFAULT_MAX_LENGTH`](crate::DEFAULT_MAX_LENGTH), 64 KiB,
/// by default; the `\n` not counted) yields [`LinesError::LineTooLong`] and the codec skips
/// to the next `\n`; a line that is not UTF-8 yields [`LinesError::InvalidUtf8`] and is
/// dropped. Both errors are recoverable: the stream goes on with the next line. At end of
/// stream an unterminated last line is yielded. The encoder appends `\n`; it does not check
/// the line for an embedded `\n`.
///
/// # Examples
///
/// ```
/// use amphi_codec::{Decoder, LinesCodec, LinesError};
/// use bytes::{Buf, BytesMut};
///
/// let mut codec = LinesCodec::with_max_length(8);
/// let mut buf = BytesMut::from(&b"ok\r\nmuch too long\nfine\n"[..]);
/// assert_eq!(codec.decode(&mut buf).unwrap().unwrap(), "ok");
/// assert!(matches!(codec.decode(&mut buf), Err(LinesError::LineTooLong { offset: 4, max: 8 })));
/// assert_eq!(codec.decode(&mut buf).unwrap().unwrap(), "fine");
/// ```
#[derive(Debug, Clone)]
pub struct LinesCodec {
    splitter: Splitter,
}

impl Default for LinesCodec {
    fn default() -> Self {
        Self::new()
    }
}

impl LinesCodec {
    /// Lines of at most [`DEFAULT_MAX_LENGTH`] bytes.
    pub fn new() -> Self {
        Self::with_max_length(DEFAULT_MAX_LENGTH)
    }

    /// Lines of at most `max` bytes, `\n` not counted (a `\r` before it is).
    pub fn with_max_length(max: usize) -> Self {
        Self {
            splitter: Splitter::new(b'\n', max),
        }
    }

    /// The longest line accepted.
    pub fn max_length(&self) -> usize {
        self.splitter.max
    }

    /// Copies the line out of the buffer (no reference-counted split: the `String` is a
    /// copy anyway) and drops it and its line ending from the buffer.
    #[inline(always)]
    fn finish(&self, split: Split, src: &mut BytesMut) -> Result<Option<String>, LinesError> {
        match split {
            Split::Frame {
                len,
                consume,
                offset,
                ascii,
            } => {
                let mut line = &src[..len];
                if let [rest @ .., b'\r'] = line {
                    line = rest;
                }
                let checked = if ascii {
                    // SAFETY: `ascii` says the splitter read each of the first `len` bytes
                    // of `src` in this same call (so nothing edited them since; `src` is
                    // borrowed mutably here) and each is below 0x80. `line` is a prefix of
                    // them, and ASCII bytes are valid UTF-8.
                    Ok(unsafe { std::str::from_utf8_unchecked(line) })
                } else {
                    std::str::from_utf8(line)
                };
                let result = match checked {
                    Ok(text) => Ok(Some(text.to_owned())),
                    Err(err) => Err(LinesError::InvalidUtf8 {
                        offset,
                        valid_up_to: err.valid_up_to(),
                    }),
                };
                src.advance(consume);
                result
            }
            Split::NeedMore => Ok(None),
            Split::TooLong(offset) => Err(LinesError::LineTooLong {
                offset,
                max: self.splitter.max,
            }),
        }
    }
}

impl Decoder for LinesCodec {
    type Item = String;
    type Error = LinesError;

    #[inline]
    fn decode(&mut self, src: &mut BytesMut) -> Result<Option<String>, LinesError> {
        let split = self.splitter.split::<true>(src);
        self.finish(split, src)
    }

    fn decode_eof(&mut self, src: &mut BytesMut) -> Result<Option<String>, LinesError> {
        let split = self.splitter.split_eof(src);
        self.finish(split, src)
    }

    fn is_recoverable(&self, error: &LinesError) -> bool {
        !matches!(error, LinesError::Io(_))
    }

    fn buffer_edited(&mut self) {
        self.splitter.rescan();
    }

    fn keeps_buffer_init(&self) -> Option<crate::read_buf::KeepsInit> {
        // It copies each line out and only advances the buffer.
        Some(crate::read_buf::KeepsInit::new())
    }
}

/// Appends `item`, then `end`: one capacity check and one copy.
///
/// `reserve`, `extend_from_slice` and `put_u8` each check the capacity again (and the
/// last two bump the length apart); on an 80-byte line those checks cost about as much as
/// the rest of the encoding.
///
/// Cost: `reserve(item.len() + 1)` (allocates only when the buffer lacks the room), one
/// `memcpy` of `item`, one store.
#[inline(always)]
pub(crate) fn put_terminated(dst: &mut BytesMut, item: &[u8], end: u8) {
    let n = item.len();
    dst.reserve(n + 1);
    let spare = dst.spare_capacity_mut();
    debug_assert!(spare.len() > n);
    // SAFETY: `n + 1` does not overflow (a slice holds at most `isize::MAX` bytes), and
    // `reserve(n + 1)` returned, so the spare capacity holds at least `n + 1` bytes: the
    // range is in bounds (the unchecked index spares a comparison that the
    // compiler cannot drop across `reserve`'s out-of-line growth path).
    let frame = unsafe { spare.get_unchecked_mut(..n + 1) };
    frame[..n].write_copy_of_slice(item);
    frame[n].write(end);
    let len = dst.len() + n + 1;
    // SAFETY: the first `n + 1` bytes of the spare capacity were just written (`item`,
    // then `end`), and `n + 1` of them exist (above), so every byte below `len` is
    // initialised and `len <= capacity`.
    unsafe { dst.set_len(len) };
}

impl Encoder<&str> for LinesCodec {
    type Error = LinesError;

    #[inline]
    fn encode(&mut self, line: &str, dst: &mut BytesMut) -> Result<(), LinesError> {
        put_terminated(dst, line.as_bytes(), b'\n');
        Ok(())
    }
}

impl Encoder<String> for LinesCodec {
    type Error = LinesError;

    #[inline]
    fn encode(&mut self, line: String, dst: &mut BytesMut) -> Result<(), LinesError> {
        self.encode(line.as_str(), dst)
    }
}

/// Why a line could not be decoded.
#[derive(Debug)]
#[non_exhaustive]
pub enum LinesError {
    /// No `\n` within `max` bytes of the line starting at stream offset `offset`.
    /// Recoverable: the codec skips to the next `\n`.
    LineTooLong {
        /// Stream offset of the line's first byte.
        offset: u64,
        /// The limit in force.
        max: usize,
    },
    /// The line starting at stream offset `offset` is not UTF-8 from its byte
    /// `valid_up_to` on. Recoverable: the line was consumed.
    InvalidUtf8 {
        /// Stream offset of the line's first byte.
        offset: u64,
        /// Bytes of the line that are valid UTF-8.
        valid_up_to: usize,
    },
    /// The transport failed.
    Io(io::Error),
}

impl LinesError {
    /// The stream offset of the offending byte: the first invalid one, or the start of an
    /// overlong line.
    pub fn byte_offset(&self) -> Option<u64> {
        match self {
            Self::LineTooLong { offset, .. } => Some(*offset),
            Self::InvalidUtf8 {
                offset,
                valid_up_to,
            } => Some(offset + *valid_up_to as u64),
            Self::Io(_) => None,
        }
    }
}

impl fmt::Display for LinesError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::LineTooLong { offset, max } => write!(
                f,
                "line at stream offset {offset} is longer than the maximum of {max} bytes; it is \
                 skipped"
            ),
            Self::InvalidUtf8 {
                offset,
                valid_up_to,
            } => write!(
                f,
                "line at stream offset {offset} is not UTF-8 at byte {} of the stream; it is \
                 skipped",
                offset + *valid_up_to as u64
            ),
            Self::Io(err) => write!(f, "transport error: {err}"),
        }
    }
}

impl Error for LinesError {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        match self {
            Self::Io(err) => Some(err),
            _ => None,
        }
    }
}

impl From<io::Error> for LinesError {
    fn from(err: io::Error) -> Self {
        Self::Io(err)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn put_terminated_writes_item_then_end_into_any_buffer() {
        // Distinct bytes, so a byte copied to the wrong offset shows.
        let source: Vec<u8> = (0..600u32).map(|i| (i % 251) as u8).collect();
        for n in (0..=40).chain([79, 80, 81, 255, 256, 257, 599]) {
            let item = &source[..n];
            let mut expected = item.to_vec();
            expected.push(b'|');
            // Into an empty buffer, and after a prefix with no room, some, or plenty.
            let mut dst = BytesMut::new();
            put_terminated(&mut dst, item, b'|');
            assert_eq!(&dst[..], &expected[..], "length {n}, empty buffer");
            for room in [0, 1, n, n + 1, n + 2, 2 * n + 7] {
                let mut dst = BytesMut::with_capacity(3 + room);
                dst.extend_from_slice(b"abc");
                put_terminated(&mut dst, item, b'|');
                assert_eq!(&dst[..3], b"abc", "length {n}, room {room}");
                assert_eq!(&dst[3..], &expected[..], "length {n}, room {room}");
            }
            // A buffer that shares its allocation with a live handle.
            let mut dst = BytesMut::with_capacity(9);
            dst.extend_from_slice(b"kept!abc");
            let kept = dst.split_to(5);
            put_terminated(&mut dst, item, b'|');
            assert_eq!(&kept[..], b"kept!");
            assert_eq!(&dst[..3], b"abc", "length {n}, shared allocation");
            assert_eq!(&dst[3..], &expected[..], "length {n}, shared allocation");
        }
    }

    #[test]
    fn the_lines_encoder_ends_each_line_with_a_newline() {
        let mut codec = LinesCodec::new();
        let mut dst = BytesMut::new();
        codec.encode("one", &mut dst).unwrap();
        codec.encode(String::from("two"), &mut dst).unwrap();
        codec.encode("", &mut dst).unwrap();
        assert_eq!(&dst[..], b"one\ntwo\n\n");
    }
}
