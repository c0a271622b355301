//! One client connection inside the broker: a reader task (subscribe, then publish) and a
//! writer task (drain the send queue into the socket, in batches).

use std::collections::HashMap;
use std::net::{Shutdown, SocketAddr};
use std::sync::atomic::Ordering;
use std::sync::{Arc, Weak};
use std::time::Duration;

use amphi_codec::{FramedRead, LengthDelimitedCodec, LengthDelimitedError};
use async_net::TcpStream;
use bytes::Bytes;
use futures_lite::{AsyncWriteExt, FutureExt as _, StreamExt};

use crate::batch::Batch;
use crate::broker::Shared;
use crate::channel::Channel;
use crate::config::MAX_CHANNEL_NAME;
use crate::outbox::{Outbox, Reason};
use crate::stats::{add, sub};

/// How many channels a publisher remembers without asking the registry.
const ROUTE_CACHE: usize = 256;

/// The broker's side of the wire: 4-byte big-endian lengths, frames up to the limit.
type Frames = FramedRead<TcpStream, LengthDelimitedCodec>;

impl From<LengthDelimitedError> for Reason {
    fn from(err: LengthDelimitedError) -> Reason {
        match err {
            LengthDelimitedError::FrameTooLong { length, max, .. } => {
                Reason::FrameTooLarge(format!("{length} bytes announced, limit {max}"))
            }
            LengthDelimitedError::Truncated { .. } => Reason::Truncated,
            other => Reason::Io(other.to_string()),
        }
    }
}

/// The next frame: `Ok(None)` at a clean end of stream.
async fn next_frame(frames: &mut Frames) -> Result<Option<Bytes>, Reason> {
    match frames.next().await {
        None => Ok(None),
        Some(Ok(frame)) => Ok(Some(frame)),
        Some(Err(err)) => Err(err.into()),
    }
}

/// Serves one accepted connection until it ends; counted in `stats.clients` until then.
pub(crate) async fn serve(shared: Arc<Shared>, stream: TcpStream, id: u64, peer: SocketAddr) {
    // Latency over tiny-packet efficiency: the writer batches already.
    let _ = stream.set_nodelay(true);
    let outbox = Arc::new(Outbox::new(
        id,
        shared.config.queue_capacity,
        shared.config.max_pending.max(shared.config.max_frame),
        stream.clone(),
    ));
    shared.add_client(Arc::clone(&outbox));
    let writer = shared.rt.spawn(guarded_write_loop(
        Arc::clone(&shared),
        Arc::clone(&outbox),
        stream.clone(),
    ));

    let mut subscribed: Option<Arc<Channel>> = None;
    let mut codec = LengthDelimitedCodec::new();
    codec.set_max_frame_length(shared.config.max_frame);
    let mut reader = FramedRead::new(stream, codec);
    if shared.stop.is_cancelled() {
        // Accepted just before the shutdown began, registered just after it looked.
        outbox.stop_reading();
    }
    // On shutdown the broker shuts the reading side of every socket: the loop sees the end.
    shared.readers.fetch_add(1, Ordering::AcqRel);
    let mut reason = read_loop(&shared, &outbox, &mut reader, &mut subscribed).await;
    shared.readers.fetch_sub(1, Ordering::AcqRel);
    if shared.stop.is_cancelled() && !matches!(reason, Reason::Goodbye) {
        reason = Reason::Shutdown;
    }

    if reason != Reason::Shutdown {
        // On shutdown the subscription stays, so that queued messages still reach it.
        if let Some(channel) = subscribed.take() {
            channel.unsubscribe(id);
            sub(&shared.stats.subscribers, 1);
        }
        if reason.is_clean() {
            outbox.set_reason(reason);
            outbox.queue.close();
        } else {
            // A client the broker dropped already (slow, stalled) is not counted as bad too.
            if outbox.reason().is_none() {
                add(&shared.stats.bad_clients, 1);
            }
            // What was queued for it goes with it: counted, as every other kick counts it.
            add(&shared.stats.undelivered, outbox.kick(reason) as u64);
        }
    }
    // The writer ends once the send queue is closed and drained, or the client is kicked.
    let _ = writer.await;
    if let Some(channel) = subscribed.take() {
        channel.unsubscribe(id);
        sub(&shared.stats.subscribers, 1);
    }
    match outbox.reason() {
        Some(reason) if reason.is_clean() => {
            tracing::debug!(client = id, %peer, "client left: {reason}");
        }
        Some(reason) => tracing::warn!(client = id, %peer, "client dropped: {reason}"),
        None => tracing::debug!(client = id, %peer, "client left"),
    }
    shared.remove_client(id);
}

async fn read_loop(
    shared: &Shared,
    outbox: &Arc<Outbox>,
    reader: &mut Frames,
    subscribed: &mut Option<Arc<Channel>>,
) -> Reason {
    match read_inner(shared, outbox, reader, subscribed).await {
        Ok(reason) | Err(reason) => reason,
    }
}

async fn read_inner(
    shared: &Shared,
    outbox: &Arc<Outbox>,
    reader: &mut Frames,
    subscribed: &mut Option<Arc<Channel>>,
) -> Result<Reason, Reason> {
    let stats = &shared.stats;
    let Some(first) = next_frame(reader).await? else {
        return Ok(Reason::Closed);
    };
    let first = channel_name(first)?;
    if first.is_empty() {
        return Ok(Reason::Goodbye);
    }
    let channel = shared
        .registry
        .subscribe(&first, Arc::clone(outbox))
        .map_err(|_| Reason::TooManyChannels)?;
    add(&stats.subscribers, 1);
    *subscribed = Some(channel);

    let mut routes = Routes::new();
    loop {
        let Some(name) = next_frame(reader).await? else {
            return Ok(Reason::Closed);
        };
        let name = channel_name(name)?;
        if name.is_empty() {
            return Ok(Reason::Goodbye);
        }
        let Some(payload) = next_frame(reader).await? else {
            return Err(Reason::MissingPayload);
        };
        let payload = unpinned(payload);
        add(&stats.published, 1);
        add(&stats.bytes_in, payload.len() as u64);
        publish(shared, &mut routes, name, payload).await?;
    }
}

/// A publisher's channels by name, so that most messages skip the registry's lock. Weak: a
/// retired channel is freed when its task ends, whoever published to it once (strong
/// references here let each connection keep up to [`ROUTE_CACHE`] retired channels, about
/// 46 KiB each, outside `max_channels`).
type Routes = HashMap<Bytes, Weak<Channel>>;

/// Puts `payload` into the channel named `name`, waiting while it is full. A channel that
/// retired since the publisher last routed to it (its queue closed) is forgotten, and the
/// message routed again: to the channel's successor, or counted unrouted.
async fn publish(
    shared: &Shared,
    routes: &mut Routes,
    name: Bytes,
    payload: Bytes,
) -> Result<(), Reason> {
    let stats = &shared.stats;
    let mut payload = payload;
    loop {
        let cached = routes.get(&name).and_then(Weak::upgrade);
        let channel = match cached {
            Some(channel) => channel,
            None => {
                let found = shared
                    .registry
                    .route(&name)
                    .map_err(|_| Reason::TooManyChannels)?;
                let Some(channel) = found else {
                    routes.remove(&name);
                    add(&stats.unrouted, 1);
                    return Ok(());
                };
                if routes.len() >= ROUTE_CACHE {
                    routes.clear();
                }
                // A copy: the frame would keep its whole read buffer alive.
                routes.insert(Bytes::copy_from_slice(&name), Arc::downgrade(&channel));
                channel
            }
        };
        // Waits while the channel's queue is full: backpressure to this publisher.
        let len = payload.len() as u64;
        wait_for_room(shared, len).await;
        add(&stats.channel_bytes, len);
        match channel.inbox.put(payload).await {
            Ok(()) => return Ok(()),
            Err(err) => {
                sub(&stats.channel_bytes, len);
                if !channel.is_retired() {
                    // Closed for shutdown.
                    add(&stats.undelivered, 1);
                    return Ok(());
                }
                payload = err.into_inner();
                routes.remove(&name);
            }
        }
    }
}

/// Payloads shorter than this are copied out of the read buffer before they are queued.
const COPY_BELOW: usize = 4096;

/// `payload`, or a copy of it when it is short: a frame split off the read buffer keeps the
/// whole buffer alive, so a 1-byte message queued behind a 1 MiB frame held 1 MiB
/// (`max_channel_bytes` counted 1 byte). A copy of a short payload costs less than the
/// memory it frees; a long payload holds most of its buffer anyway.
fn unpinned(payload: Bytes) -> Bytes {
    if payload.len() < COPY_BELOW {
        Bytes::copy_from_slice(&payload)
    } else {
        payload
    }
}

/// How long a publisher sleeps between looks while the channels hold `max_channel_bytes`.
const FULL_BACKOFF: Duration = Duration::from_millis(1);

/// Waits while the channel queues hold too much to take `len` more bytes: backpressure to
/// the publisher when messages wait for subscribers that do not take them.
async fn wait_for_room(shared: &Shared, len: u64) {
    let max = shared.config.max_channel_bytes as u64;
    // One relaxed load on the fast path; the loop only runs while the broker is full. A
    // message longer than the whole budget goes when the channels hold nothing (else it
    // would wait for ever).
    loop {
        let held = shared.stats.channel_bytes.load(Ordering::Relaxed);
        if held + len <= max || held == 0 || shared.stop.is_cancelled() {
            break;
        }
        add(&shared.stats.blocked, 1);
        shared.rt.sleep(FULL_BACKOFF).await;
    }
}

fn channel_name(frame: Bytes) -> Result<Bytes, Reason> {
    if frame.len() > MAX_CHANNEL_NAME {
        Err(Reason::BadChannel(frame.len()))
    } else {
        Ok(frame)
    }
}

/// [`write_loop`], and if it panics, the client is dropped at once (its send queue closed,
/// its socket shut, what was queued counted undelivered) instead of its queue filling up
/// behind a writer that is gone while its reader goes on.
async fn guarded_write_loop(shared: Arc<Shared>, outbox: Arc<Outbox>, stream: TcpStream) {
    let run = write_loop(Arc::clone(&shared), Arc::clone(&outbox), stream);
    if let Err(payload) = std::panic::AssertUnwindSafe(run).catch_unwind().await {
        let err = amphi_rt::JoinError::Panicked(payload);
        let discarded = outbox.kick(Reason::Io(format!("the broker's writer failed: {err}")));
        add(&shared.stats.undelivered, discarded as u64);
    }
}

async fn write_loop(shared: Arc<Shared>, outbox: Arc<Outbox>, mut stream: TcpStream) {
    let stats = &shared.stats;
    let timeout = shared.config.write_timeout;
    // Frames out are as long as frames in were allowed to be.
    let mut batch = Batch::new(shared.config.max_frame);
    while let Ok(first) = outbox.queue.get().await {
        batch.push(first);
        while !batch.is_full() {
            let Ok(msg) = outbox.queue.try_get() else {
                break;
            };
            batch.push(msg);
        }
        let (count, bytes) = (batch.count, batch.payload_bytes);
        outbox.took(bytes);
        if let Err(reason) = batch.write_to(&mut stream, timeout).await {
            if matches!(reason, Reason::WriteStalled(_)) && outbox.set_reason(reason.clone()) {
                add(&stats.stalled_writes, 1);
            }
            add(&stats.undelivered, outbox.kick(reason) as u64 + count);
            break;
        }
        add(&stats.delivered, count);
        add(&stats.bytes_out, bytes as u64);
    }
    let _ = stream.flush().await;
    let _ = stream.shutdown(Shutdown::Both);
}
