//! The wire format on the client side: 4-byte big-endian length, then that many bytes.
//!
//! The broker itself reads and writes with `amphi-codec`'s `LengthDelimitedCodec`; the clients
//! ([`Client`](crate::Client), [`BlockingClient`](crate::BlockingClient), used by `sub`, `pub`,
//! `bench` and `demo`) use these small helpers, async over `futures-io` and blocking over
//! `std::io`, so that one reader serves both.

use std::fmt;
use std::io;

use bytes::Bytes;
use futures_lite::{AsyncRead, AsyncReadExt};

/// How many bytes a reader asks the socket for at once, at least.
const READ_CHUNK: usize = 64 * 1024;

/// Why a frame could not be read.
#[derive(Debug)]
pub enum FrameError {
    /// The declared length is over the limit.
    TooLarge {
        /// The declared length.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// The stream ended inside a frame.
    Truncated,
    /// Reading failed.
    Io(io::Error),
}

impl fmt::Display for FrameError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FrameError::TooLarge { len, max } => {
                write!(f, "frame of {len} bytes is over the {max}-byte limit")
            }
            FrameError::Truncated => f.write_str("stream ended inside a frame"),
            FrameError::Io(err) => write!(f, "read failed: {err}"),
        }
    }
}

impl std::error::Error for FrameError {}

impl From<io::Error> for FrameError {
    fn from(err: io::Error) -> FrameError {
        FrameError::Io(err)
    }
}

impl From<FrameError> for io::Error {
    fn from(err: FrameError) -> io::Error {
        match err {
            FrameError::Io(err) => err,
            FrameError::Truncated => io::Error::new(io::ErrorKind::UnexpectedEof, err),
            FrameError::TooLarge { .. } => io::Error::new(io::ErrorKind::InvalidData, err),
        }
    }
}

/// Appends one frame per payload (length, then the payload) to `buf`, all or none: a
/// message is two frames (channel, payload) that must not be cut apart.
///
/// # Errors
///
/// [`io::ErrorKind::InvalidInput`] if a payload is longer than `u32::MAX` bytes, which the
/// 4-byte length field cannot express; `buf` is then left as it was.
pub fn encode_frames(buf: &mut Vec<u8>, payloads: &[&[u8]]) -> io::Result<()> {
    if let Some(long) = payloads.iter().find(|p| u32::try_from(p.len()).is_err()) {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!(
                "a frame of {} bytes is longer than the 4-byte length field can express ({} bytes)",
                long.len(),
                u32::MAX
            ),
        ));
    }
    for payload in payloads {
        // Checked above: every length fits in a `u32`.
        let len = payload.len() as u32;
        buf.extend_from_slice(&len.to_be_bytes());
        buf.extend_from_slice(payload);
    }
    Ok(())
}

/// A buffered frame reader; memory stays under `max` plus 64 KiB.
#[derive(Debug)]
pub struct FrameReader<R> {
    io: R,
    buf: Vec<u8>,
    start: usize,
    end: usize,
    max: usize,
}

impl<R> FrameReader<R> {
    /// Reads frames of at most `max` bytes from `io`.
    pub fn new(io: R, max: usize) -> FrameReader<R> {
        FrameReader {
            io,
            buf: Vec::new(),
            start: 0,
            end: 0,
            max,
        }
    }

    /// A complete buffered frame, or how many bytes are needed in all for the next one.
    fn parse(&mut self) -> Result<Result<Bytes, usize>, FrameError> {
        let avail = &self.buf[self.start..self.end];
        let Some(header) = avail.first_chunk::<4>() else {
            return Ok(Err(4));
        };
        let len = u32::from_be_bytes(*header) as usize;
        if len > self.max {
            return Err(FrameError::TooLarge { len, max: self.max });
        }
        if avail.len() < 4 + len {
            return Ok(Err(4 + len));
        }
        let frame = Bytes::copy_from_slice(&avail[4..4 + len]);
        self.start += 4 + len;
        Ok(Ok(frame))
    }

    /// Makes room for `need` bytes from `start`, with the free tail from `end`.
    fn room(&mut self, need: usize) {
        if self.start > 0 {
            self.buf.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.start = 0;
        }
        let want = need.max(READ_CHUNK);
        if self.buf.len() < want {
            self.buf.resize(want, 0);
        }
    }

    fn eof(&self) -> Result<Option<Bytes>, FrameError> {
        if self.start == self.end {
            Ok(None)
        } else {
            Err(FrameError::Truncated)
        }
    }
}

impl<R: AsyncRead + Unpin> FrameReader<R> {
    /// The next frame; `None` at a clean end of stream.
    ///
    /// # Errors
    ///
    /// [`FrameError`] for an oversized length, a stream that ends inside a frame, or an i/o error.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: bytes already read stay buffered for the next call.
    pub async fn next_frame(&mut self) -> Result<Option<Bytes>, FrameError> {
        loop {
            let need = match self.parse()? {
                Ok(frame) => return Ok(Some(frame)),
                Err(need) => need,
            };
            self.room(need);
            let n = self.io.read(&mut self.buf[self.end..]).await?;
            if n == 0 {
                return self.eof();
            }
            self.end += n;
        }
    }
}

impl<R: io::Read> FrameReader<R> {
    /// The next frame, blocking the thread; `None` at a clean end of stream.
    ///
    /// # Errors
    ///
    /// [`FrameError`] for an oversized length, a stream that ends inside a frame, or an i/o error.
    ///
    /// # Blocking
    ///
    /// Blocks the calling thread; never call it from async code.
    pub fn next_frame_blocking(&mut self) -> Result<Option<Bytes>, FrameError> {
        loop {
            let need = match self.parse()? {
                Ok(frame) => return Ok(Some(frame)),
                Err(need) => need,
            };
            self.room(need);
            let n = self.io.read(&mut self.buf[self.end..])?;
            if n == 0 {
                return self.eof();
            }
            self.end += n;
        }
    }
}
