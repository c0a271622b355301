//! [`Builder`]: the wire format of a [`LengthDelimitedCodec`].

use crate::framed::Framed;
use crate::framed_read::FramedRead;
use crate::framed_write::FramedWrite;

use super::LengthDelimitedCodec;

/// The default maximum frame length: 8 MiB.
pub const DEFAULT_MAX_FRAME_LENGTH: usize = 8 * 1024 * 1024;

/// Configures a [`LengthDelimitedCodec`]; start from
/// [`LengthDelimitedCodec::builder`].
///
/// A frame on the wire is `length_field_offset` bytes, the length field
/// (`length_field_length` bytes, big or little endian), then the rest. The decoder reads
/// the field, adds `length_adjustment`, checks the result against `max_frame_length`,
/// drops the first `num_skip` bytes (default: everything up to the end of the field) and
/// yields the next `field + length_adjustment` bytes. The encoder writes only the length
/// field (`item.len() - length_adjustment`) and the item.
///
/// The defaults (4-byte big-endian length, then the payload, 8 MiB maximum) are the wire
/// format of tokio-util's default `LengthDelimitedCodec` and of asyncio protocols that
/// `readexactly(4)` a length.
///
/// # Examples
///
/// ```
/// use amphi_codec::{Decoder, LengthDelimitedCodec};
/// use bytes::BytesMut;
///
/// // A 2-byte little-endian length that counts itself; the header is dropped.
/// let mut codec = LengthDelimitedCodec::builder()
///     .length_field_length(2)
///     .little_endian()
///     .length_adjustment(-2)
///     .new_codec();
/// let mut buf = BytesMut::from(&b"\x05\x00abc"[..]);
/// assert_eq!(&codec.decode(&mut buf).unwrap().unwrap()[..], b"abc");
///
/// // The same length field, header kept in the frame: the frame is the 5 bytes after a
/// // skip of 0.
/// let mut codec = LengthDelimitedCodec::builder()
///     .length_field_length(2)
///     .little_endian()
///     .num_skip(0)
///     .new_codec();
/// let mut buf = BytesMut::from(&b"\x05\x00abc"[..]);
/// assert_eq!(&codec.decode(&mut buf).unwrap().unwrap()[..], b"\x05\x00abc");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Builder {
    pub(super) offset: usize,
    pub(super) field_len: usize,
    pub(super) big_endian: bool,
    pub(super) adjustment: isize,
    pub(super) num_skip: Option<usize>,
    pub(super) max_frame: usize,
}

impl Default for Builder {
    fn default() -> Self {
        Self::new()
    }
}

impl Builder {
    /// The default format: 4-byte big-endian length at offset 0, no adjustment, skip the
    /// field, 8 MiB maximum.
    pub const fn new() -> Self {
        Self {
            offset: 0,
            field_len: 4,
            big_endian: true,
            adjustment: 0,
            num_skip: None,
            max_frame: DEFAULT_MAX_FRAME_LENGTH,
        }
    }

    /// Bytes before the length field (default 0).
    pub const fn length_field_offset(mut self, offset: usize) -> Self {
        self.offset = offset;
        self
    }

    /// Width of the length field in bytes: 1 to 8 (default 4).
    ///
    /// # Panics
    ///
    /// When `len` is 0 or more than 8.
    pub const fn length_field_length(mut self, len: usize) -> Self {
        assert!(
            len >= 1 && len <= 8,
            "length_field_length must be 1 to 8 bytes"
        );
        self.field_len = len;
        self
    }

    /// Added to the length field to get the number of bytes that follow the skipped
    /// prefix (default 0). Negative when the field counts the header too.
    pub const fn length_adjustment(mut self, adjustment: isize) -> Self {
        self.adjustment = adjustment;
        self
    }

    /// Bytes dropped from the start of each frame before it is yielded (default: up to the
    /// end of the length field; `0` keeps the header in the frame).
    pub const fn num_skip(mut self, skip: usize) -> Self {
        self.num_skip = Some(skip);
        self
    }

    /// The longest frame accepted or sent, counted after the length adjustment (default
    /// [`DEFAULT_MAX_FRAME_LENGTH`]). Clamped to what the length field can express.
    pub const fn max_frame_length(mut self, max: usize) -> Self {
        self.max_frame = max;
        self
    }

    /// The length field is big endian (network order; the default).
    pub const fn big_endian(mut self) -> Self {
        self.big_endian = true;
        self
    }

    /// The length field is little endian.
    pub const fn little_endian(mut self) -> Self {
        self.big_endian = false;
        self
    }

    /// The length field is in this machine's byte order.
    pub const fn native_endian(self) -> Self {
        if cfg!(target_endian = "big") {
            self.big_endian()
        } else {
            self.little_endian()
        }
    }

    /// Builds the codec.
    ///
    /// # Panics
    ///
    /// When `length_field_offset + length_field_length` overflows `usize`.
    pub fn new_codec(self) -> LengthDelimitedCodec {
        LengthDelimitedCodec::from_builder(self)
    }

    /// Builds the codec and frames `io` with it.
    pub fn new_framed<T>(self, io: T) -> Framed<T, LengthDelimitedCodec> {
        Framed::new(io, self.new_codec())
    }

    /// Builds the codec and frames the reader `io` with it.
    pub fn new_read<R>(self, io: R) -> FramedRead<R, LengthDelimitedCodec> {
        FramedRead::new(io, self.new_codec())
    }

    /// Builds the codec and frames the writer `io` with it.
    pub fn new_write<W>(self, io: W) -> FramedWrite<W, LengthDelimitedCodec> {
        FramedWrite::new(io, self.new_codec())
    }

    /// The largest value the length field holds.
    pub(super) const fn field_max(&self) -> u64 {
        if self.field_len >= 8 {
            u64::MAX
        } else {
            (1u64 << (8 * self.field_len)) - 1
        }
    }

    /// The maximum frame length in force: the configured one, clamped to what the field
    /// can express after the adjustment.
    pub(super) fn effective_max(&self) -> usize {
        let expressible = self
            .field_max()
            .saturating_add_signed(self.adjustment as i64);
        usize::try_from(expressible).map_or(self.max_frame, |e| e.min(self.max_frame))
    }
}
