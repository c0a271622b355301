//! Errors of [`LengthDelimitedCodec`](super::LengthDelimitedCodec).

use std::error::Error;
use std::fmt;
use std::io;

/// Why a length-delimited frame could not be decoded.
///
/// Offsets count bytes from the start of the stream (bytes this codec consumed).
#[derive(Debug)]
#[non_exhaustive]
pub enum LengthDelimitedError {
    /// The header announced a frame longer than the maximum. Nothing was allocated for it.
    FrameTooLong {
        /// Stream offset of the frame's header.
        offset: u64,
        /// The frame length after the length adjustment.
        length: u64,
        /// The maximum in force (see
        /// [`max_frame_length`](super::LengthDelimitedCodec::max_frame_length)).
        max: usize,
    },
    /// The length field plus the length adjustment is negative, overflows, or makes a
    /// frame that ends inside its own header (possible when `num_skip` keeps part of the
    /// header in the frame).
    LengthOutOfRange {
        /// Stream offset of the frame's header.
        offset: u64,
        /// The raw value of the length field.
        field: u64,
        /// The configured length adjustment.
        adjustment: isize,
    },
    /// The stream ended inside a frame.
    Truncated {
        /// Stream offset of the frame's header.
        offset: u64,
        /// Bytes the frame needs (header included), or the header alone if it was cut.
        expected: u64,
        /// Bytes of it that arrived.
        received: usize,
    },
    /// The transport failed.
    Io(io::Error),
}

impl fmt::Display for LengthDelimitedError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::FrameTooLong {
                offset,
                length,
                max,
            } => write!(
                f,
                "frame of {length} bytes at stream offset {offset} exceeds the maximum of {max}; \
                 raise max_frame_length if the peer is trusted"
            ),
            Self::LengthOutOfRange {
                offset,
                field,
                adjustment,
            } => write!(
                f,
                "length field {field} at stream offset {offset} is out of range after adjustment \
                 {adjustment}; the peer speaks another format"
            ),
            Self::Truncated {
                offset,
                expected,
                received,
            } => write!(
                f,
                "stream ended inside the frame at stream offset {offset}: {received} of \
                 {expected} bytes arrived"
            ),
            Self::Io(err) => write!(f, "transport error: {err}"),
        }
    }
}

impl Error for LengthDelimitedError {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        match self {
            Self::Io(err) => Some(err),
            _ => None,
        }
    }
}

impl From<io::Error> for LengthDelimitedError {
    fn from(err: io::Error) -> Self {
        Self::Io(err)
    }
}

/// Why an item could not be encoded as a length-delimited frame. Nothing was written.
#[derive(Debug)]
#[non_exhaustive]
pub enum LengthDelimitedEncodeError {
    /// The item is longer than the maximum frame length, or than the length field can
    /// express after the adjustment.
    ItemTooLong {
        /// The item's length.
        length: usize,
        /// The largest item this codec encodes.
        max: usize,
    },
    /// The item is shorter than a positive length adjustment: the length field would be
    /// negative.
    ItemTooShort {
        /// The item's length.
        length: usize,
        /// The shortest item this codec encodes.
        min: usize,
    },
    /// The transport failed.
    Io(io::Error),
}

impl fmt::Display for LengthDelimitedEncodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::ItemTooLong { length, max } => write!(
                f,
                "item of {length} bytes is longer than the {max} this codec can frame; \
                 split it or widen the length field"
            ),
            Self::ItemTooShort { length, min } => write!(
                f,
                "item of {length} bytes is shorter than the {min} the length adjustment \
                 requires; check the codec's length_adjustment"
            ),
            Self::Io(err) => write!(f, "transport error: {err}"),
        }
    }
}

impl Error for LengthDelimitedEncodeError {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        match self {
            Self::Io(err) => Some(err),
            Self::ItemTooLong { .. } | Self::ItemTooShort { .. } => None,
        }
    }
}

impl From<io::Error> for LengthDelimitedEncodeError {
    fn from(err: io::Error) -> Self {
        Self::Io(err)
    }
}
