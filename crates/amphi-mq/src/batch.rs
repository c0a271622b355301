//! One write's worth of frames: small payloads copied behind their headers, large ones
//! referenced as they are and written with one vectored write.

use std::io::IoSlice;
use std::time::Duration;

use amphi_codec::{Encoder, LengthDelimitedCodec};
use async_net::TcpStream;
use bytes::{Bytes, BytesMut};
use futures_lite::AsyncWriteExt;

use crate::outbox::Reason;

/// Payloads this long or longer are not copied: the write references them.
const COPY_BELOW: usize = 1024;

/// A batch is written once it holds this many bytes.
const BATCH_BYTES: usize = 256 * 1024;

/// A batch is written once it holds this many segments (the kernel takes at most 1024).
const MAX_SEGMENTS: usize = 512;

/// Frames waiting to be written to one client.
#[derive(Debug)]
pub(crate) struct Batch {
    codec: LengthDelimitedCodec,
    /// Headers and small payloads, not yet a segment.
    scratch: BytesMut,
    segments: Vec<Bytes>,
    /// Bytes in `segments`.
    segment_bytes: usize,
    /// Messages in the batch.
    pub(crate) count: u64,
    /// Payload bytes in the batch.
    pub(crate) payload_bytes: usize,
}

impl Batch {
    /// An empty batch for frames of at most `max_frame` bytes.
    pub(crate) fn new(max_frame: usize) -> Batch {
        let mut codec = LengthDelimitedCodec::new();
        codec.set_max_frame_length(max_frame);
        Batch {
            codec,
            scratch: BytesMut::with_capacity(64 * 1024),
            segments: Vec::new(),
            segment_bytes: 0,
            count: 0,
            payload_bytes: 0,
        }
    }

    /// Adds one frame. Cost: a copy of the payload if it is under 1 KiB, else none.
    pub(crate) fn push(&mut self, payload: Bytes) {
        self.count += 1;
        self.payload_bytes += payload.len();
        if payload.len() < COPY_BELOW {
            // Cannot fail: every payload came through a decoder with the same limit.
            let _ = self.codec.encode(payload, &mut self.scratch);
        } else {
            // The codec's format (4-byte big-endian length), header only.
            let len = u32::try_from(payload.len()).unwrap_or(u32::MAX);
            self.scratch.extend_from_slice(&len.to_be_bytes());
            self.seal();
            self.segment_bytes += payload.len();
            self.segments.push(payload);
        }
    }

    /// Turns the scratch bytes into a segment.
    fn seal(&mut self) {
        if !self.scratch.is_empty() {
            let part = self.scratch.split().freeze();
            self.segment_bytes += part.len();
            self.segments.push(part);
        }
    }

    /// Whether the batch should be written before taking more.
    pub(crate) fn is_full(&self) -> bool {
        self.segment_bytes + self.scratch.len() >= BATCH_BYTES
            || self.segments.len() >= MAX_SEGMENTS
    }

    /// Writes the whole batch and empties it; gives up when one write makes no progress
    /// within `timeout`.
    pub(crate) async fn write_to(
        &mut self,
        stream: &mut TcpStream,
        timeout: Duration,
    ) -> Result<(), Reason> {
        self.seal();
        let result = write_all(stream, &self.segments, timeout).await;
        self.segments.clear();
        self.segment_bytes = 0;
        self.count = 0;
        self.payload_bytes = 0;
        result
    }
}

async fn write_all(
    stream: &mut TcpStream,
    segments: &[Bytes],
    timeout: Duration,
) -> Result<(), Reason> {
    let mut slices: Vec<IoSlice<'_>> = segments.iter().map(|s| IoSlice::new(s)).collect();
    let mut bufs = &mut slices[..];
    while !bufs.is_empty() {
        match amphi_rt::timeout(timeout, stream.write_vectored(bufs)).await {
            Err(_) => return Err(Reason::WriteStalled(timeout)),
            Ok(Ok(0)) => return Err(Reason::Io("connection wrote zero bytes".to_owned())),
            Ok(Ok(n)) => IoSlice::advance_slices(&mut bufs, n),
            Ok(Err(err)) => return Err(Reason::Io(err.to_string())),
        }
    }
    Ok(())
}
