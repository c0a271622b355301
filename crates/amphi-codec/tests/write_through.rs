//! A long borrowed payload goes from `start_send` straight to the transport, behind what
//! the buffer holds and as far as the transport takes it at once; what it does not take is
//! buffered, in order, and nothing is lost when it waits or fails. A writer does this once
//! it has seen that items are long: the first long item of a run is copied.

mod support;

use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll, Wake, Waker};

use amphi_codec::{
    BytesCodec, DEFAULT_HIGH_WATER_MARK, FramedWrite, LengthDelimitedCodec,
    LengthDelimitedEncodeError,
};
use futures::{AsyncWrite, Sink};
use support::{ChunkedWriter, length_delimited_wire};

/// Longer than the default high-water mark: written through.
const LONG: usize = DEFAULT_HIGH_WATER_MARK + 3000;

fn noop_cx() -> Context<'static> {
    Context::from_waker(Waker::noop())
}

/// `poll_ready` (which must be ready) with `cx`, then `start_send`.
fn send_now<'a, W, E>(sink: &mut FramedWrite<W, E>, cx: &mut Context<'_>, item: &'a [u8])
where
    FramedWrite<W, E>: Sink<&'a [u8]> + Unpin,
    <FramedWrite<W, E> as Sink<&'a [u8]>>::Error: std::fmt::Debug,
{
    let ready = Sink::<&[u8]>::poll_ready(Pin::new(&mut *sink), cx);
    assert!(matches!(ready, Poll::Ready(Ok(()))), "{ready:?}");
    Pin::new(sink).start_send(item).unwrap();
}

fn flush_now<W: AsyncWrite + Unpin>(
    sink: &mut FramedWrite<W, LengthDelimitedCodec>,
) -> Poll<Result<(), LengthDelimitedEncodeError>> {
    Sink::<&[u8]>::poll_flush(Pin::new(sink), &mut noop_cx())
}

/// Sends a long frame and flushes it: from then on, the writer writes long payloads
/// through. Returns the frame, the first of the stream.
fn learn_long<W: AsyncWrite + Unpin>(sink: &mut FramedWrite<W, LengthDelimitedCodec>) -> Vec<u8> {
    let first = vec![0xAB; LONG];
    send_now(sink, &mut noop_cx(), &first);
    assert!(matches!(flush_now(sink), Poll::Ready(Ok(()))));
    first
}

/// `first`, then `rest`.
fn stream(first: Vec<u8>, rest: &[Vec<u8>]) -> Vec<Vec<u8>> {
    let mut all = vec![first];
    all.extend_from_slice(rest);
    all
}

/// A sink over a vectored writer that takes everything at once.
fn vectored_sink() -> FramedWrite<ChunkedWriter, LengthDelimitedCodec> {
    FramedWrite::new(
        ChunkedWriter::new(vec![usize::MAX], true, false),
        LengthDelimitedCodec::new(),
    )
}

/// A sink over a [`Budget`] writer with no limit yet.
fn budget_sink() -> FramedWrite<Budget, LengthDelimitedCodec> {
    FramedWrite::new(
        Budget {
            budget: usize::MAX,
            ..Budget::default()
        },
        LengthDelimitedCodec::new(),
    )
}

fn frames(lens: &[usize]) -> Vec<Vec<u8>> {
    lens.iter()
        .enumerate()
        .map(|(k, &len)| (0..len).map(|j| (k * 31 + j) as u8).collect())
        .collect()
}

#[test]
fn the_first_long_payload_is_copied_and_the_next_ones_written_through() {
    let frames = frames(&[LONG, 1000, 1000, LONG, LONG, 100, 100, LONG]);
    let mut sink = vectored_sink();
    // Copied: nothing says yet that items are long. The next `poll_ready` writes it.
    send_now(&mut sink, &mut noop_cx(), &frames[0]);
    assert_eq!(sink.write_buffer().len(), LONG + 4);
    send_now(&mut sink, &mut noop_cx(), &frames[1]);
    assert_eq!(sink.get_ref().writes, 1);
    // Short items are buffered; a long one then goes out with them in one vectored write
    // (the buffered frames, the header, the payload), and the next long one alone.
    send_now(&mut sink, &mut noop_cx(), &frames[2]);
    send_now(&mut sink, &mut noop_cx(), &frames[3]);
    assert_eq!(sink.get_ref().writes, 2);
    assert!(sink.write_buffer().is_empty());
    send_now(&mut sink, &mut noop_cx(), &frames[4]);
    assert_eq!(sink.get_ref().writes, 3);
    // Short items fill the buffer again; after four flushes that see only short items,
    // the next long item is copied again.
    for _ in 0..4 {
        send_now(&mut sink, &mut noop_cx(), &frames[5]);
        send_now(&mut sink, &mut noop_cx(), &frames[6]);
        assert!(flush_now(&mut sink).is_ready());
    }
    assert_eq!(sink.get_ref().writes, 7);
    send_now(&mut sink, &mut noop_cx(), &frames[7]);
    assert_eq!(sink.write_buffer().len(), LONG + 4);
    assert!(flush_now(&mut sink).is_ready());
    let mut frames = frames;
    let shorts = [frames[5].clone(), frames[6].clone()];
    frames.splice(7..7, shorts.iter().cycle().take(6).cloned());
    assert_eq!(sink.get_ref().written, length_delimited_wire(&frames));
}

#[test]
fn a_short_item_between_long_ones_sent_one_by_one_does_not_stop_the_writing_through() {
    // A control frame, then a body, each with `send()` (a flush per item).
    let frames = frames(&[LONG, 50, LONG, 50, LONG, 50, 50, 50, 50, LONG]);
    let mut sink = vectored_sink();
    let send = |sink: &mut FramedWrite<ChunkedWriter, LengthDelimitedCodec>, frame: &[u8]| {
        send_now(sink, &mut noop_cx(), frame);
        let through = sink.write_buffer().is_empty();
        assert!(flush_now(sink).is_ready());
        through
    };
    assert!(
        !send(&mut sink, &frames[0]),
        "the first long item is copied"
    );
    for (k, frame) in frames.iter().enumerate().skip(1).take(4) {
        let through = send(&mut sink, frame);
        assert_eq!(through, frame.len() == LONG, "frame {k}");
    }
    // Four rounds of short items, and the next long one is copied again.
    for frame in &frames[5..9] {
        send(&mut sink, frame);
    }
    assert!(!send(&mut sink, &frames[9]));
    assert_eq!(sink.get_ref().written, length_delimited_wire(&frames));
}

#[test]
fn payloads_under_the_mark_or_sent_without_poll_ready_are_copied() {
    let rest = frames(&[LONG, 5000, 10_000]);
    let mut sink = vectored_sink();
    let first = learn_long(&mut sink);
    assert_eq!(sink.get_ref().writes, 1);
    // `start_send` without a `poll_ready` has no task to register: it copies.
    Pin::new(&mut sink).start_send(&rest[0][..]).unwrap();
    assert_eq!(sink.get_ref().writes, 1);
    assert_eq!(sink.write_buffer().len(), LONG + 4);
    // Under the mark: copied.
    send_now(&mut sink, &mut noop_cx(), &rest[1]);
    assert_eq!(
        sink.get_ref().writes,
        2,
        "poll_ready wrote what was over the mark"
    );
    assert_eq!(sink.write_buffer().len(), 5004);
    // With a mark of 0, payloads from 8 KiB (`MIN_QUEUED_CHUNK`) up are written through, once the writer has
    // seen items that long (the last flush did).
    sink.set_high_water_mark(0);
    assert!(flush_now(&mut sink).is_ready());
    send_now(&mut sink, &mut noop_cx(), &rest[2]);
    assert_eq!(sink.get_ref().writes, 4);
    assert!(sink.write_buffer().is_empty());
    assert_eq!(
        sink.get_ref().written,
        length_delimited_wire(&stream(first, &rest))
    );
}

struct CountWakes(AtomicUsize);

impl Wake for CountWakes {
    fn wake(self: Arc<Self>) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

/// Takes up to `budget` bytes in all (over every slice), then waits, keeping the waker;
/// or fails `failures` times first.
#[derive(Default)]
struct Budget {
    written: Vec<u8>,
    budget: usize,
    failures: usize,
    waker: Option<Waker>,
}

impl AsyncWrite for Budget {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.poll_write_vectored(cx, &[io::IoSlice::new(buf)])
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        if self.failures > 0 {
            self.failures -= 1;
            return Poll::Ready(Err(io::ErrorKind::BrokenPipe.into()));
        }
        if self.budget == 0 {
            self.waker = Some(cx.waker().clone());
            return Poll::Pending;
        }
        let mut n = 0;
        for buf in bufs {
            let take = buf.len().min(self.budget);
            self.written.extend_from_slice(&buf[..take]);
            self.budget -= take;
            n += take;
        }
        Poll::Ready(Ok(n))
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_close(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

#[test]
fn a_transport_that_takes_part_keeps_the_rest_buffered_and_wakes_the_sender() {
    let frames = frames(&[300, LONG, 300]);
    let mut sink = budget_sink();
    learn_long(&mut sink);
    sink.get_mut().written.clear();
    sink.get_mut().budget = 7000;
    send_now(&mut sink, &mut noop_cx(), &frames[0]);
    let wakes = Arc::new(CountWakes(AtomicUsize::new(0)));
    let waker = Waker::from(wakes.clone());
    send_now(&mut sink, &mut Context::from_waker(&waker), &frames[1]);
    // The first frame, the header and the start of the payload went out; the write that
    // found no room registered the sending task's waker.
    assert_eq!(sink.get_ref().written.len(), 7000);
    assert_eq!(sink.write_buffer().len(), 304 + LONG + 4 - 7000);
    let registered = sink.get_mut().waker.take().expect("a registered waker");
    assert!(registered.will_wake(&waker));
    registered.wake();
    assert_eq!(wakes.0.load(Ordering::SeqCst), 1);
    send_now(&mut sink, &mut noop_cx(), &frames[2]);
    assert!(flush_now(&mut sink).is_pending());
    sink.get_mut().budget = usize::MAX;
    assert!(flush_now(&mut sink).is_ready());
    assert_eq!(sink.get_ref().written, length_delimited_wire(&frames));
}

#[test]
fn long_items_that_the_transport_takes_only_in_part_stay_long() {
    let frames = frames(&[LONG, LONG, LONG]);
    let mut sink = budget_sink();
    let first = learn_long(&mut sink);
    // Each takes 7000 bytes, and the rest of each is copied into the buffer: what is
    // buffered is short, but the items were long, and the writer keeps writing through.
    for frame in &frames[..2] {
        sink.get_mut().budget = 7000;
        send_now(&mut sink, &mut noop_cx(), frame);
    }
    assert_eq!(sink.write_buffer().len(), 2 * (LONG + 4) - 14_000);
    sink.get_mut().budget = usize::MAX;
    send_now(&mut sink, &mut noop_cx(), &frames[2]);
    assert!(
        sink.write_buffer().is_empty(),
        "written through with the buffer"
    );
    assert_eq!(
        sink.get_ref().written,
        length_delimited_wire(&stream(first, &frames))
    );
}

#[test]
fn the_kept_waker_is_let_go_once_items_are_short_again() {
    let mut sink = vectored_sink();
    learn_long(&mut sink);
    let wakes = Arc::new(CountWakes(AtomicUsize::new(0)));
    let waker = Waker::from(wakes.clone());
    send_now(&mut sink, &mut Context::from_waker(&waker), &[1; 10]);
    assert_eq!(Arc::strong_count(&wakes), 3, "kept by the writer");
    for _ in 0..4 {
        send_now(&mut sink, &mut noop_cx(), &[2; 10]);
        assert!(flush_now(&mut sink).is_ready());
    }
    assert_eq!(
        Arc::strong_count(&wakes),
        2,
        "let go after four short rounds"
    );
}

#[test]
fn a_transport_that_waits_at_once_gets_the_whole_payload_buffered() {
    let frames = frames(&[LONG]);
    let mut sink = budget_sink();
    let first = learn_long(&mut sink);
    sink.get_mut().budget = 0;
    send_now(&mut sink, &mut noop_cx(), &frames[0]);
    assert_eq!(sink.write_buffer().len(), LONG + 4);
    sink.get_mut().budget = usize::MAX;
    assert!(flush_now(&mut sink).is_ready());
    assert_eq!(
        sink.get_ref().written,
        length_delimited_wire(&stream(first, &frames))
    );
}

#[test]
fn a_failed_write_loses_nothing_and_the_flush_meets_the_error_if_it_lasts() {
    let frames = frames(&[LONG, 100]);
    let failing = |failures| {
        let mut sink = budget_sink();
        let first = learn_long(&mut sink);
        sink.get_mut().failures = failures;
        (sink, first)
    };
    // Fails once: the payload is buffered and the flush sends everything.
    let (mut sink, first) = failing(1);
    send_now(&mut sink, &mut noop_cx(), &frames[0]);
    assert_eq!(sink.write_buffer().len(), LONG + 4);
    send_now(&mut sink, &mut noop_cx(), &frames[1]);
    assert!(matches!(flush_now(&mut sink), Poll::Ready(Ok(()))));
    assert_eq!(
        sink.get_ref().written,
        length_delimited_wire(&stream(first, &frames))
    );
    // Fails for good: the flush reports it, with every byte still buffered.
    let (mut sink, _) = failing(usize::MAX);
    send_now(&mut sink, &mut noop_cx(), &frames[0]);
    match flush_now(&mut sink) {
        Poll::Ready(Err(LengthDelimitedEncodeError::Io(err))) => {
            assert_eq!(err.kind(), io::ErrorKind::BrokenPipe);
        }
        other => panic!("expected the write error, got {other:?}"),
    }
    assert_eq!(sink.write_buffer().len(), LONG + 4);
}

#[test]
fn a_writer_of_one_slice_at_a_time_gets_copies_once_it_shows() {
    // `AsyncWrite`'s default `poll_write_vectored`, as in tokio-util's `Compat`.
    let frames = frames(&[1000, LONG, LONG]);
    let mut sink = FramedWrite::new(
        ChunkedWriter::new(vec![usize::MAX], false, false),
        LengthDelimitedCodec::new(),
    );
    let first = learn_long(&mut sink);
    assert_eq!(sink.get_ref().writes, 1);
    send_now(&mut sink, &mut noop_cx(), &frames[0]);
    send_now(&mut sink, &mut noop_cx(), &frames[1]);
    // The vectored write took only the buffered bytes (the short frame and the header);
    // the payload went in a plain write of its own, uncopied.
    assert_eq!(sink.get_ref().writes, 3);
    assert!(sink.write_buffer().is_empty());
    send_now(&mut sink, &mut noop_cx(), &frames[2]);
    // Copying mode from now on: a write for the header and another for the payload would
    // double the writes, so the payload is copied behind its header, as the peers do.
    assert_eq!(sink.get_ref().writes, 3);
    assert_eq!(sink.write_buffer().len(), LONG + 4);
    assert!(flush_now(&mut sink).is_ready());
    assert_eq!(sink.get_ref().writes, 4);
    assert_eq!(
        sink.get_ref().written,
        length_delimited_wire(&stream(first, &frames))
    );
}

#[test]
fn bytes_codec_writes_a_long_slice_through_too() {
    let payload = vec![9u8; LONG];
    let mut sink = FramedWrite::new(
        ChunkedWriter::new(vec![5000], true, false),
        BytesCodec::new(),
    );
    send_now(&mut sink, &mut noop_cx(), &payload);
    let flushed = Sink::<&[u8]>::poll_flush(Pin::new(&mut sink), &mut noop_cx());
    assert!(matches!(flushed, Poll::Ready(Ok(()))));
    let writes = sink.get_ref().writes;
    send_now(&mut sink, &mut noop_cx(), b"head");
    send_now(&mut sink, &mut noop_cx(), &payload);
    // 5000 bytes per write, until all of it is out.
    assert_eq!(sink.get_ref().writes - writes, (4 + LONG).div_ceil(5000));
    assert!(sink.write_buffer().is_empty());
    let mut expected = payload.clone();
    expected.extend_from_slice(b"head");
    expected.extend_from_slice(&payload);
    assert_eq!(sink.get_ref().written, expected);
}
