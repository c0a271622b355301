//! [`LengthDelimitedCodec`]: frames prefixed by their length.

mod builder;
mod error;
mod plain_frame;

use bytes::{BufMut, Bytes, BytesMut};

use crate::decoder::Decoder;
use crate::encoder::Encoder;
use crate::write_buf::WriteBuf;
use crate::write_through::WriteThrough;

pub use builder::{Builder, DEFAULT_MAX_FRAME_LENGTH};
pub use error::{LengthDelimitedEncodeError, LengthDelimitedError};

/// Frames prefixed by a length field: the book's message protocol, tokio-util's default
/// format, asyncio's `readexactly(4)` then `readexactly(n)`.
///
/// The default is a 4-byte big-endian length then the payload, at most 8 MiB per frame;
/// [`builder`](LengthDelimitedCodec::builder) sets any other layout (field of 1 to 8 bytes,
/// either endianness, offset, adjustment, skip, maximum).
///
/// Decoding yields [`Bytes`] split off the read buffer: no copy, no allocation per frame.
/// The maximum is checked on the length *after* the adjustment, before any byte of the
/// frame is buffered, and the codec never reserves the announced length: the buffer grows
/// only with the bytes that arrive. Encoding copies the item into the write buffer once
/// (in the default format, items of up to 32 bytes with a few fixed-size moves rather than
/// a call to `memcpy`), except that through a framed writer an owned `Bytes` or `BytesMut`
/// of [`MIN_QUEUED_CHUNK`](crate::MIN_QUEUED_CHUNK) bytes or more is queued uncopied behind
/// its header ([`Encoder::encode_to`]). It refuses an item that the length field cannot
/// express.
///
/// # Examples
///
/// ```
/// use amphi_codec::{Decoder, Encoder, LengthDelimitedCodec};
/// use bytes::BytesMut;
///
/// let mut codec = LengthDelimitedCodec::new();
/// let mut wire = BytesMut::new();
/// codec.encode(&b"hi"[..], &mut wire).unwrap();
/// assert_eq!(&wire[..], b"\x00\x00\x00\x02hi");
/// assert_eq!(&codec.decode(&mut wire).unwrap().unwrap()[..], b"hi");
/// ```
#[derive(Debug, Clone)]
pub struct LengthDelimitedCodec {
    config: Builder,
    /// `offset + field_len`.
    head_len: usize,
    /// Bytes that must be buffered before the header is parsed: `max(head_len, skip)`.
    head_need: usize,
    skip: usize,
    max: usize,
    /// Item lengths the encoder can frame: `encode_min..=encode_max` (empty when
    /// `encode_min > encode_max`).
    encode_min: usize,
    encode_max: usize,
    /// 4-byte big-endian field, no adjustment: the encoder's fast path.
    plain: bool,
    /// Items shorter than this are framed by [`plain_frame`]: `encode_max + 1` in the plain
    /// format, else 0 (one comparison per item instead of three).
    plain_end: usize,
    /// The frame whose header was parsed: its length after the skip.
    pending: Option<usize>,
    /// Stream offset of the next byte in the buffer.
    consumed: u64,
    /// Stream offset of the header of the frame being decoded.
    frame_start: u64,
}

impl Default for LengthDelimitedCodec {
    fn default() -> Self {
        Self::new()
    }
}

impl LengthDelimitedCodec {
    /// The default format: 4-byte big-endian length, then the payload; 8 MiB maximum.
    pub fn new() -> Self {
        Builder::new().new_codec()
    }

    /// A builder for any other format.
    pub const fn builder() -> Builder {
        Builder::new()
    }

    fn from_builder(config: Builder) -> Self {
        let head_len = config
            .offset
            .checked_add(config.field_len)
            .unwrap_or_else(|| panic!("length_field_offset + length_field_length overflows usize"));
        let skip = config.num_skip.unwrap_or(head_len);
        let mut codec = Self {
            config,
            head_len,
            head_need: head_len.max(skip),
            skip,
            max: 0,
            encode_min: 0,
            encode_max: 0,
            plain: config.field_len == 4 && config.big_endian && config.adjustment == 0,
            plain_end: 0,
            pending: None,
            consumed: 0,
            frame_start: 0,
        };
        codec.set_limits();
        codec
    }

    /// Derives the decode maximum and the encodable item lengths from the configuration.
    fn set_limits(&mut self) {
        self.max = self.config.effective_max();
        // An item of length `n` has field `n - adjustment`, which must lie in
        // `0..=field_max`; and `n` must not exceed the maximum frame length.
        let adjustment = self.config.adjustment as i128;
        let lowest = adjustment.max(0);
        let highest = (i128::from(self.config.field_max()) + adjustment).min(self.max as i128);
        if highest < lowest {
            // No length is expressible (a negative adjustment larger than the field).
            self.encode_min = usize::MAX;
            self.encode_max = 0;
        } else {
            self.encode_min = usize::try_from(lowest).unwrap_or(usize::MAX);
            self.encode_max = usize::try_from(highest).unwrap_or(usize::MAX);
        }
        self.plain_end = if self.plain && self.encode_min == 0 {
            self.encode_max.saturating_add(1)
        } else {
            0
        };
    }

    /// The maximum frame length in force (after clamping to the length field's range).
    pub fn max_frame_length(&self) -> usize {
        self.max
    }

    /// Sets the maximum frame length; it is clamped to what the length field can express.
    pub fn set_max_frame_length(&mut self, max: usize) {
        self.config.max_frame = max;
        self.set_limits();
    }

    /// The format this codec speaks.
    pub fn config(&self) -> Builder {
        self.config
    }

    #[inline]
    fn read_field(&self, src: &[u8]) -> u64 {
        let field = &src[self.config.offset..self.head_len];
        // Fixed-width fast paths (the slices have exactly these lengths).
        match (field.len(), self.config.big_endian) {
            (4, true) => <[u8; 4]>::try_from(field).map_or(0, |b| u64::from(u32::from_be_bytes(b))),
            (2, true) => <[u8; 2]>::try_from(field).map_or(0, |b| u64::from(u16::from_be_bytes(b))),
            (8, true) => <[u8; 8]>::try_from(field).map_or(0, u64::from_be_bytes),
            (4, false) => {
                <[u8; 4]>::try_from(field).map_or(0, |b| u64::from(u32::from_le_bytes(b)))
            }
            (_, true) => field.iter().fold(0, |n, &b| (n << 8) | u64::from(b)),
            (_, false) => field.iter().rev().fold(0, |n, &b| (n << 8) | u64::from(b)),
        }
    }

    /// Parses the header at the front of `src` (consuming nothing): the length of what
    /// follows the skip.
    #[inline(always)]
    fn decode_head(&self, src: &BytesMut) -> Result<Option<usize>, LengthDelimitedError> {
        if src.len() < self.head_need {
            return Ok(None);
        }
        let field = self.read_field(src);
        let adjusted = if self.config.adjustment >= 0 {
            field.checked_add(self.config.adjustment.unsigned_abs() as u64)
        } else {
            field.checked_sub(self.config.adjustment.unsigned_abs() as u64)
        };
        // A frame must cover its own header: one that ends inside it would be read again
        // as the next frame (and a zero-length one forever).
        let adjusted = adjusted
            .filter(|&length| length.saturating_add(self.skip as u64) >= self.head_len as u64);
        let Some(length) = adjusted else {
            return Err(LengthDelimitedError::LengthOutOfRange {
                offset: self.consumed,
                field,
                adjustment: self.config.adjustment,
            });
        };
        if length > self.max as u64 {
            return Err(LengthDelimitedError::FrameTooLong {
                offset: self.consumed,
                length,
                max: self.max,
            });
        }
        // `length <= self.max`, a `usize`.
        Ok(Some(length as usize))
    }
}

impl Decoder for LengthDelimitedCodec {
    type Item = Bytes;
    type Error = LengthDelimitedError;

    #[inline(always)]
    fn decode(&mut self, src: &mut BytesMut) -> Result<Option<Bytes>, LengthDelimitedError> {
        let length = match self.pending {
            Some(length) => length,
            None => {
                let Some(length) = self.decode_head(src)? else {
                    return Ok(None);
                };
                // Saturating: with a maximum near `usize::MAX` the sum can overflow, and
                // such a frame can never be buffered whole anyway (it waits in `pending`).
                let total = self.skip.saturating_add(length);
                if src.len() >= total {
                    // The whole frame is here: one split, the skip dropped from the frame.
                    self.consumed += total as u64;
                    let mut frame = src.split_to(total).freeze();
                    bytes::Buf::advance(&mut frame, self.skip);
                    return Ok(Some(frame));
                }
                self.frame_start = self.consumed;
                bytes::Buf::advance(src, self.skip);
                self.consumed += self.skip as u64;
                length
            }
        };
        if src.len() < length {
            self.pending = Some(length);
            return Ok(None);
        }
        self.pending = None;
        self.consumed += length as u64;
        Ok(Some(src.split_to(length).freeze()))
    }

    fn frame_remaining(&self, src: &BytesMut) -> Option<usize> {
        let need = self.pending.unwrap_or(self.head_need);
        Some(need.saturating_sub(src.len()))
    }

    fn decode_eof(&mut self, src: &mut BytesMut) -> Result<Option<Bytes>, LengthDelimitedError> {
        if let Some(frame) = self.decode(src)? {
            return Ok(Some(frame));
        }
        match self.pending {
            None if src.is_empty() => Ok(None),
            None => Err(LengthDelimitedError::Truncated {
                offset: self.consumed,
                expected: self.head_need as u64,
                received: src.len(),
            }),
            Some(length) => Err(LengthDelimitedError::Truncated {
                offset: self.frame_start,
                expected: (self.skip as u64).saturating_add(length as u64),
                received: self.skip.saturating_add(src.len()),
            }),
        }
    }

    fn keeps_buffer_init(&self) -> Option<crate::read_buf::KeepsInit> {
        // It only advances the buffer and freezes what it splits off.
        Some(crate::read_buf::KeepsInit::new())
    }
}

impl LengthDelimitedCodec {
    /// Checks `length` against the limits and appends its header, reserving room for the
    /// header and `body_room` bytes after it. The default format is inline; every other
    /// layout, and every refusal, is out of line.
    #[inline]
    fn put_header(
        &self,
        length: usize,
        dst: &mut BytesMut,
        body_room: usize,
    ) -> Result<(), LengthDelimitedEncodeError> {
        if self.plain && length <= self.encode_max {
            // The default format: 4-byte big-endian length, no adjustment.
            dst.reserve(4 + body_room);
            dst.put_u32(length as u32);
            return Ok(());
        }
        self.put_configured_header(length, dst, body_room)
    }

    /// [`put_header`](Self::put_header) for any layout.
    #[inline(never)]
    fn put_configured_header(
        &self,
        length: usize,
        dst: &mut BytesMut,
        body_room: usize,
    ) -> Result<(), LengthDelimitedEncodeError> {
        if length > self.encode_max || self.encode_min > self.encode_max {
            return Err(LengthDelimitedEncodeError::ItemTooLong {
                length,
                max: self.encode_max,
            });
        }
        if length < self.encode_min {
            return Err(LengthDelimitedEncodeError::ItemTooShort {
                length,
                min: self.encode_min,
            });
        }
        // In range: `0 <= field <= field_max`, so the narrowing casts below keep every bit.
        let field = (length as i128 - self.config.adjustment as i128) as u64;
        let field_len = self.config.field_len;
        dst.reserve(field_len + body_room);
        match (field_len, self.config.big_endian) {
            (4, true) => dst.put_u32(field as u32),
            (2, true) => dst.put_u16(field as u16),
            (8, true) => dst.put_u64(field),
            (4, false) => dst.put_u32_le(field as u32),
            (_, true) => dst.put_uint(field, field_len),
            (_, false) => dst.put_uint_le(field, field_len),
        }
        Ok(())
    }

    #[inline(always)]
    fn encode_slice(
        &mut self,
        item: &[u8],
        dst: &mut BytesMut,
    ) -> Result<(), LengthDelimitedEncodeError> {
        let length = item.len();
        if length < self.plain_end {
            // One reserve for header and item; short items without a call to `memcpy`.
            plain_frame::put_plain_frame(dst, item);
            return Ok(());
        }
        self.put_header(length, dst, length)?;
        dst.extend_from_slice(item);
        Ok(())
    }

    /// An owned payload from [`MIN_QUEUED_CHUNK`](crate::MIN_QUEUED_CHUNK) bytes up is
    /// queued behind its header, not copied.
    #[inline]
    fn encode_owned(
        &mut self,
        item: Bytes,
        dst: &mut WriteBuf,
    ) -> Result<(), LengthDelimitedEncodeError> {
        if dst.would_copy(item.len()) {
            return self.encode_slice(&item, dst.bytes_mut());
        }
        self.put_header(item.len(), dst.bytes_mut(), 0)?;
        dst.push_chunk(item);
        Ok(())
    }
}

impl Encoder<Bytes> for LengthDelimitedCodec {
    type Error = LengthDelimitedEncodeError;

    #[inline]
    fn encode(&mut self, item: Bytes, dst: &mut BytesMut) -> Result<(), Self::Error> {
        self.encode_slice(&item, dst)
    }

    #[inline]
    fn encode_to(&mut self, item: Bytes, dst: &mut WriteBuf) -> Result<(), Self::Error> {
        self.encode_owned(item, dst)
    }
}

impl<'a> Encoder<&'a [u8]> for LengthDelimitedCodec {
    type Error = LengthDelimitedEncodeError;

    #[inline]
    fn encode(&mut self, item: &'a [u8], dst: &mut BytesMut) -> Result<(), Self::Error> {
        self.encode_slice(item, dst)
    }

    /// Writes a payload of [`through.min()`](WriteThrough::min) bytes or more through,
    /// behind its header.
    #[inline]
    fn encode_through(
        &mut self,
        item: &'a [u8],
        dst: &mut WriteBuf,
        through: &mut WriteThrough<'_>,
    ) -> Result<(), Self::Error> {
        if item.len() < through.min() {
            return self.encode_slice(item, dst.bytes_mut());
        }
        self.put_header(item.len(), dst.bytes_mut(), 0)?;
        through.write(dst, item);
        Ok(())
    }
}

impl Encoder<BytesMut> for LengthDelimitedCodec {
    type Error = LengthDelimitedEncodeError;

    #[inline]
    fn encode(&mut self, item: BytesMut, dst: &mut BytesMut) -> Result<(), Self::Error> {
        self.encode_slice(&item, dst)
    }

    #[inline]
    fn encode_to(&mut self, item: BytesMut, dst: &mut WriteBuf) -> Result<(), Self::Error> {
        self.encode_owned(item.freeze(), dst)
    }
}
