//! What the fuzz targets share: a reader that hands out bytes in fuzzer-chosen chunks.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

/// Hands out `data` in the given chunk sizes (cycling; a size of 0 reads 1 byte), optionally
/// returning `Pending` (after waking itself) before every other read.
pub struct Chunked {
    data: Vec<u8>,
    pos: usize,
    chunks: Vec<u16>,
    reads: usize,
    pending: bool,
}

impl Chunked {
    /// Chunk sizes up to 65535; with none, each read takes as much as the buffer holds.
    pub fn new(data: Vec<u8>, chunks: Vec<u16>) -> Self {
        Chunked {
            data,
            pos: 0,
            chunks,
            reads: 0,
            pending: false,
        }
    }

    /// Chunk sizes up to 255; with none, each read takes at most 255 bytes.
    pub fn from_u8_chunks(data: Vec<u8>, chunks: Vec<u8>) -> Self {
        let chunks = if chunks.is_empty() {
            vec![u16::from(u8::MAX)]
        } else {
            chunks.into_iter().map(u16::from).collect()
        };
        Chunked::new(data, chunks)
    }

    /// Returns `Pending` before every other read.
    pub fn with_pending(mut self) -> Self {
        self.pending = true;
        self
    }
}

impl futures_lite::AsyncRead for Chunked {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        self.reads += 1;
        if self.pending && self.reads.is_multiple_of(2) {
            cx.waker().wake_by_ref();
            return Poll::Pending;
        }
        let index = if self.pending {
            self.reads / 2
        } else {
            self.reads - 1
        };
        let chunk = self
            .chunks
            .get(index % self.chunks.len().max(1))
            .copied()
            .unwrap_or(u16::MAX);
        let n = usize::from(chunk.max(1))
            .min(buf.len())
            .min(self.data.len() - self.pos);
        buf[..n].copy_from_slice(&self.data[self.pos..self.pos + n]);
        self.pos += n;
        Poll::Ready(Ok(n))
    }
}
