//! Errors shared by every decoder.

use std::error::Error;
use std::fmt;

/// The stream ended inside a frame: `remaining` bytes were left that do not form one.
///
/// The default [`Decoder::decode_eof`](crate::Decoder::decode_eof) wraps this in an
/// [`io::Error`](std::io::Error) of kind [`UnexpectedEof`](std::io::ErrorKind::UnexpectedEof);
/// get it back with `err.get_ref().and_then(|e| e.downcast_ref::<TrailingBytes>())`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TrailingBytes {
    /// How many bytes were left in the read buffer.
    pub remaining: usize,
}

impl fmt::Display for TrailingBytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "stream ended inside a frame: {} bytes left over; the peer closed mid-frame",
            self.remaining
        )
    }
}

impl Error for TrailingBytes {}
