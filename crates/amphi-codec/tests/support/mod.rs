//! Helpers shared by the integration tests.

#![allow(dead_code, unreachable_pub)] // each test file uses a subset

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_io::{AsyncRead, AsyncWrite};

/// A reader that hands out its bytes in the given chunk sizes (cycling), returning
/// `Pending` (and waking itself) before every chunk when `pending` is set, and an error
/// after `fail_after` bytes if set.
#[derive(Debug)]
pub struct ChunkedReader {
    data: Vec<u8>,
    pos: usize,
    chunks: Vec<usize>,
    next_chunk: usize,
    pending: bool,
    pending_now: bool,
    fail_after: Option<usize>,
}

impl ChunkedReader {
    pub fn new(data: Vec<u8>, chunks: Vec<usize>) -> Self {
        let chunks = if chunks.is_empty() {
            vec![usize::MAX]
        } else {
            chunks
        };
        Self {
            data,
            pos: 0,
            chunks,
            next_chunk: 0,
            pending: false,
            pending_now: false,
            fail_after: None,
        }
    }

    pub fn one_byte_at_a_time(data: Vec<u8>) -> Self {
        Self::new(data, vec![1])
    }

    pub fn with_pending(mut self) -> Self {
        self.pending = true;
        self.pending_now = true;
        self
    }

    pub fn failing_after(mut self, bytes: usize) -> Self {
        self.fail_after = Some(bytes);
        self
    }
}

impl AsyncRead for ChunkedReader {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        if self.pending_now {
            self.pending_now = false;
            cx.waker().wake_by_ref();
            return Poll::Pending;
        }
        self.pending_now = self.pending;
        if let Some(limit) = self.fail_after
            && self.pos >= limit
        {
            return Poll::Ready(Err(io::Error::new(
                io::ErrorKind::ConnectionReset,
                "peer reset",
            )));
        }
        let chunk = self.chunks[self.next_chunk % self.chunks.len()].max(1);
        self.next_chunk += 1;
        let mut n = chunk.min(buf.len()).min(self.data.len() - self.pos);
        if let Some(limit) = self.fail_after {
            n = n.min(limit - self.pos);
        }
        buf[..n].copy_from_slice(&self.data[self.pos..self.pos + n]);
        self.pos += n;
        Poll::Ready(Ok(n))
    }
}

/// A reader that hands out all its bytes in its first read and then stays `Pending`
/// forever (a peer that waits for a reply).
#[derive(Debug)]
pub struct Stalling(Option<Vec<u8>>);

impl Stalling {
    pub fn new(data: &[u8]) -> Self {
        Self(Some(data.to_vec()))
    }
}

impl AsyncRead for Stalling {
    fn poll_read(
        mut self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        match self.0.take() {
            Some(data) => {
                assert!(data.len() <= buf.len(), "test data larger than a read");
                buf[..data.len()].copy_from_slice(&data);
                Poll::Ready(Ok(data.len()))
            }
            None => Poll::Pending,
        }
    }
}

/// A writer that accepts at most `per_write` bytes per call and returns `Pending` until
/// `release` is called.
#[derive(Debug, Default)]
pub struct GatedWriter {
    pub written: Vec<u8>,
    pub open: bool,
    pub per_write: usize,
    pub waker: Option<std::task::Waker>,
}

impl AsyncWrite for GatedWriter {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        if !self.open {
            self.waker = Some(cx.waker().clone());
            return Poll::Pending;
        }
        let n = buf.len().min(self.per_write.max(1));
        self.written.extend_from_slice(&buf[..n]);
        Poll::Ready(Ok(n))
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_close(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

/// A writer that takes at most the given chunk sizes per call (cycling), over every slice
/// of a vectored write when `vectored` is set (else only the first non-empty one, as
/// `AsyncWrite`'s default does), returning `Pending` (and waking itself) before every
/// write when `pending` is set. Counts its writes.
#[derive(Debug)]
pub struct ChunkedWriter {
    pub written: Vec<u8>,
    pub writes: usize,
    chunks: Vec<usize>,
    next_chunk: usize,
    vectored: bool,
    pending: bool,
    pending_now: bool,
}

impl ChunkedWriter {
    pub fn new(chunks: Vec<usize>, vectored: bool, pending: bool) -> Self {
        let chunks = if chunks.is_empty() {
            vec![usize::MAX]
        } else {
            chunks
        };
        Self {
            written: Vec::new(),
            writes: 0,
            chunks,
            next_chunk: 0,
            vectored,
            pending,
            pending_now: pending,
        }
    }

    fn take(&mut self, cx: &mut Context<'_>, slices: &[&[u8]]) -> Poll<io::Result<usize>> {
        if self.pending_now {
            self.pending_now = false;
            cx.waker().wake_by_ref();
            return Poll::Pending;
        }
        self.pending_now = self.pending;
        self.writes += 1;
        let mut budget = self.chunks[self.next_chunk % self.chunks.len()].max(1);
        self.next_chunk += 1;
        let mut n = 0;
        for slice in slices {
            let take = slice.len().min(budget);
            self.written.extend_from_slice(&slice[..take]);
            budget -= take;
            n += take;
            if budget == 0 || take < slice.len() {
                break;
            }
        }
        Poll::Ready(Ok(n))
    }
}

impl AsyncWrite for ChunkedWriter {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.take(cx, &[buf])
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let slices: Vec<&[u8]> = bufs
            .iter()
            .map(|b| &b[..])
            .filter(|b| !b.is_empty())
            .collect();
        if self.vectored {
            self.take(cx, &slices)
        } else {
            self.take(cx, &slices[..slices.len().min(1)])
        }
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_close(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

/// The default length-delimited encoding of `frames`.
pub fn length_delimited_wire(frames: &[Vec<u8>]) -> Vec<u8> {
    let mut wire = Vec::new();
    for frame in frames {
        wire.extend_from_slice(&(frame.len() as u32).to_be_bytes());
        wire.extend_from_slice(frame);
    }
    wire
}
