//! Write backpressure: `poll_ready` holds above the high-water mark and proceeds as soon
//! as the transport drains; flush and close write everything.

mod support;

use std::pin::Pin;
use std::task::{Context, Poll};

use amphi_codec::{DEFAULT_HIGH_WATER_MARK, FramedWrite, LengthDelimitedCodec};
use bytes::Bytes;
use futures::{Sink, SinkExt};
use support::GatedWriter;

fn ready(
    sink: &mut FramedWrite<GatedWriter, LengthDelimitedCodec>,
) -> Poll<Result<(), amphi_codec::LengthDelimitedEncodeError>> {
    let waker = futures::task::noop_waker();
    let mut cx = Context::from_waker(&waker);
    Sink::<Bytes>::poll_ready(Pin::new(sink), &mut cx)
}

#[test]
fn poll_ready_holds_above_the_mark_and_resumes() {
    let mut sink = FramedWrite::new(
        GatedWriter {
            per_write: 100,
            ..Default::default()
        },
        LengthDelimitedCodec::new(),
    );
    assert_eq!(sink.high_water_mark(), DEFAULT_HIGH_WATER_MARK);
    sink.set_high_water_mark(1000);
    // Below the mark: items are accepted without writing.
    let mut sent = 0;
    while sink.write_buffer().len() < 1000 {
        assert!(ready(&mut sink).is_ready());
        Pin::new(&mut sink)
            .start_send(Bytes::from(vec![sent as u8; 96]))
            .unwrap();
        sent += 1;
    }
    // Above it, with a transport that accepts nothing: Pending, and the buffer does not grow.
    assert!(ready(&mut sink).is_pending());
    assert!(ready(&mut sink).is_pending());
    let buffered = sink.write_buffer().len();
    assert!(buffered >= 1000);
    // The transport opens: poll_ready writes just enough to get under the mark.
    sink.get_mut().open = true;
    assert!(ready(&mut sink).is_ready());
    assert!(sink.write_buffer().len() < 1000);
    assert!(
        sink.write_buffer().len() >= 900,
        "wrote only what was needed"
    );
}

#[test]
fn a_zero_mark_is_taken_as_one_and_writes_before_every_item() {
    let mut sink = FramedWrite::new(
        GatedWriter {
            per_write: 100,
            ..Default::default()
        },
        LengthDelimitedCodec::new(),
    );
    sink.set_high_water_mark(0);
    assert_eq!(sink.high_water_mark(), 1);
    assert!(
        ready(&mut sink).is_ready(),
        "an empty buffer is under any mark"
    );
    Pin::new(&mut sink)
        .start_send(Bytes::from_static(b"abc"))
        .unwrap();
    // One byte held is at the mark: nothing more goes in until it is written.
    assert!(ready(&mut sink).is_pending());
    sink.get_mut().open = true;
    assert!(ready(&mut sink).is_ready());
    assert!(sink.write_buffer().is_empty());
}

#[test]
fn a_framed_stream_takes_a_zero_mark_as_one_too() {
    let mut framed = amphi_codec::Framed::new(GatedWriter::default(), LengthDelimitedCodec::new());
    assert_eq!(framed.high_water_mark(), DEFAULT_HIGH_WATER_MARK);
    framed.set_high_water_mark(0);
    assert_eq!(framed.high_water_mark(), 1);
    framed.set_high_water_mark(4096);
    assert_eq!(framed.high_water_mark(), 4096);
}

#[test]
fn queued_chunks_count_toward_the_mark_and_go_out_in_vectored_writes() {
    let mut sink = FramedWrite::new(
        support::ChunkedWriter::new(vec![usize::MAX], true, false),
        LengthDelimitedCodec::new(),
    );
    sink.set_high_water_mark(24_000);
    let payload = Bytes::from(vec![1u8; 10_000]);
    for _ in 0..2 {
        assert!(Sink::<Bytes>::poll_ready(Pin::new(&mut sink), &mut noop_cx()).is_ready());
        Pin::new(&mut sink).start_send(payload.clone()).unwrap();
    }
    // Nothing written yet: 20008 bytes held, the payloads among them uncopied.
    assert_eq!(sink.write_buffer().len(), 20_008);
    assert_eq!(sink.write_buffer().queued_chunks(), 4);
    assert_eq!(sink.get_ref().writes, 0);
    Pin::new(&mut sink).start_send(payload.clone()).unwrap();
    // 30012 bytes: over the mark, so the next poll_ready writes, all in one vectored write.
    assert!(Sink::<Bytes>::poll_ready(Pin::new(&mut sink), &mut noop_cx()).is_ready());
    assert!(sink.write_buffer().is_empty());
    assert_eq!(sink.get_ref().writes, 1);
    assert_eq!(sink.get_ref().written.len(), 30_012);
}

/// Flushes `sink`, which must not wait.
fn flush_now<W: futures::AsyncWrite + Unpin>(sink: &mut FramedWrite<W, LengthDelimitedCodec>) {
    let flushed = Sink::<Bytes>::poll_flush(Pin::new(sink), &mut noop_cx());
    assert!(matches!(flushed, Poll::Ready(Ok(()))), "{flushed:?}");
}

#[test]
fn a_writer_that_writes_one_slice_at_a_time_gets_copies_instead() {
    // `AsyncWrite`'s default `poll_write_vectored`, as in tokio-util's `Compat`.
    let mut sink = FramedWrite::new(
        support::ChunkedWriter::new(vec![usize::MAX], false, false),
        LengthDelimitedCodec::new(),
    );
    sink.set_high_water_mark(1 << 20);
    let payload = Bytes::from(vec![2u8; 10_000]);
    Pin::new(&mut sink).start_send(payload.clone()).unwrap();
    flush_now(&mut sink);
    // The header, then the payload: the first write stopped at the end of its first slice.
    assert_eq!(sink.get_ref().writes, 2);
    for _ in 0..8 {
        Pin::new(&mut sink).start_send(payload.clone()).unwrap();
    }
    assert_eq!(sink.write_buffer().queued_chunks(), 0, "copied from now on");
    flush_now(&mut sink);
    assert_eq!(sink.get_ref().writes, 3, "eight frames in one write");
    assert_eq!(
        sink.get_ref().written,
        support::length_delimited_wire(&vec![payload.to_vec(); 9])
    );
}

#[test]
fn a_long_queue_takes_several_vectored_writes() {
    let mut sink = FramedWrite::new(
        support::ChunkedWriter::new(vec![usize::MAX], true, false),
        LengthDelimitedCodec::new(),
    );
    sink.set_high_water_mark(1 << 30);
    let frames: Vec<Vec<u8>> = (0..100u8).map(|k| vec![k; 8192]).collect();
    for frame in &frames {
        Pin::new(&mut sink)
            .start_send(Bytes::from(frame.clone()))
            .unwrap();
    }
    // A header and a payload per frame: 200 slices, at most 64 per write.
    assert_eq!(sink.write_buffer().queued_chunks(), 200);
    flush_now(&mut sink);
    assert_eq!(sink.get_ref().writes, 4);
    assert_eq!(
        sink.get_ref().written,
        support::length_delimited_wire(&frames)
    );
}

/// A writer that claims to have written more than it was offered, or nothing at all.
struct Lying {
    written: Vec<u8>,
    zero: bool,
}

impl futures::AsyncWrite for Lying {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        self.poll_write_vectored(cx, &[std::io::IoSlice::new(buf)])
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        if self.zero {
            return Poll::Ready(Ok(0));
        }
        let mut n = 0;
        for buf in bufs {
            self.written.extend_from_slice(buf);
            n += buf.len();
        }
        Poll::Ready(Ok(n + 10))
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_close(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

#[test]
fn a_writer_claiming_too_much_loses_no_queued_bytes_and_one_claiming_nothing_is_an_error() {
    let mut sink = FramedWrite::new(
        Lying {
            written: Vec::new(),
            zero: false,
        },
        LengthDelimitedCodec::new(),
    );
    sink.set_high_water_mark(1 << 20);
    // 64 slices in the first write, more after it: the claim of 10 extra bytes must not
    // skip any of them.
    let frames: Vec<Vec<u8>> = (0..40u8).map(|k| vec![k; 8192]).collect();
    for frame in &frames {
        Pin::new(&mut sink)
            .start_send(Bytes::from(frame.clone()))
            .unwrap();
    }
    flush_now(&mut sink);
    assert_eq!(
        sink.get_ref().written,
        support::length_delimited_wire(&frames)
    );

    let mut sink = FramedWrite::new(
        Lying {
            written: Vec::new(),
            zero: true,
        },
        LengthDelimitedCodec::new(),
    );
    Pin::new(&mut sink)
        .start_send(Bytes::from(vec![1u8; 5000]))
        .unwrap();
    let flushed = Sink::<Bytes>::poll_flush(Pin::new(&mut sink), &mut noop_cx());
    match flushed {
        Poll::Ready(Err(amphi_codec::LengthDelimitedEncodeError::Io(err))) => {
            assert_eq!(err.kind(), std::io::ErrorKind::WriteZero);
        }
        other => panic!("expected WriteZero, got {other:?}"),
    }
}

fn noop_cx() -> Context<'static> {
    Context::from_waker(futures::task::noop_waker_ref())
}

#[test]
fn send_completes_above_the_mark_on_every_runtime() {
    // actix-net#409: a sink that never flushes above its mark hangs senders.
    amphi_test::run(|rt| async move {
        let (a, b) = tokio::io::duplex(512);
        use tokio_util::compat::TokioAsyncReadCompatExt;
        let reader = rt.spawn(async move {
            let mut input = amphi_codec::FramedRead::new(b.compat(), LengthDelimitedCodec::new());
            let mut n = 0usize;
            while let Some(frame) = futures::StreamExt::next(&mut input).await {
                assert_eq!(frame.unwrap().len(), 3000);
                n += 1;
            }
            n
        });
        let mut sink = FramedWrite::new(a.compat(), LengthDelimitedCodec::new());
        sink.set_high_water_mark(1);
        for i in 0..100u8 {
            sink.feed(Bytes::from(vec![i; 3000])).await.unwrap();
        }
        SinkExt::<Bytes>::close(&mut sink).await.unwrap();
        drop(sink);
        assert_eq!(reader.await.unwrap(), 100);
    });
}

#[test]
fn flush_writes_everything_below_the_mark() {
    futures_lite::future::block_on(async {
        let mut sink = FramedWrite::new(
            GatedWriter {
                per_write: 3,
                open: true,
                ..Default::default()
            },
            LengthDelimitedCodec::new(),
        );
        sink.feed(Bytes::from_static(b"abc")).await.unwrap();
        assert_eq!(
            sink.get_ref().written.len(),
            0,
            "below the mark nothing is written yet"
        );
        SinkExt::<Bytes>::flush(&mut sink).await.unwrap();
        assert_eq!(sink.get_ref().written, b"\x00\x00\x00\x03abc");
        assert!(sink.write_buffer().is_empty());
    });
}
