//! Every core: connections split over worker threads, the output as one thread gives it.
//!
//! A reader thread reads the capture and decodes each frame's headers (the wire
//! stage, sequential and cheap); each TCP segment goes to the worker that owns its connection,
//! chosen by a hash of the two endpoints that is the same in both directions (as Suricata's
//! workers split flows). Each worker runs its own flow table and session layer (reassembly,
//! POP3, TLS, MIME: the costly part) and hands back its session events, each stamped with the
//! frame that caused it. The calling thread merges them by that stamp and feeds the sink, so
//! that sessions are numbered as they start and events come in the order one thread gives.
//!
//! Capture time is what makes the order exact: a single flow table closes idle connections
//! when a followed segment arrives, once per second of capture time ([`SweepClock`]). The
//! reader keeps the same clock, and each followed segment at which it strikes is told to every
//! worker (its own, to take; the others', as a tick), so that all close their idle connections
//! at the frames one table would. Connections closed together (idle, or at the end of
//! the capture) are ordered by the frame that opened them, as one table orders them.
//!
//! The bounds are shared out: each of `n` workers follows at most `1/n` of the connections and
//! holds `1/n` of the memory budgets. Output is the same as one thread's unless a worker
//! reaches its share (the hash need not split a capture evenly), where which connection gives
//! up what may differ. The flow layer's connection numbers are each worker's own; no front end
//! shows them.
//!
//! Memory is bounded: batches of frames and of events travel through queues of a few batches.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};

use super::{Config, EngineStats, PROGRESS_EVERY, Wire};
use crate::base::Timestamp;
use crate::capture::{CaptureError, CaptureReader, MappedFile};
use crate::flow::{FlowId, FlowTable, StreamEvent, StreamSink, SweepClock, connection_hash};
use crate::pop3::Body;
use crate::session::{OwnedSessionEvent, SessionEvent, SessionId, SessionSink, Sessions};
use crate::wire::Segment;

/// Frames read before their segments go to the workers: this many, or fewer that hold
/// [`BATCH_BYTES`] (the mapped file's pages stay until every worker is done with them).
const BATCH_FRAMES: usize = 1024;
const BATCH_BYTES: usize = 2 << 20;
/// Batches waiting in each queue, each way.
const QUEUED_BATCHES: usize = 2;
/// A worker hands on its events of a batch in chunks of at most this many events or about this
/// many bytes: a batch of frames can hold hundreds of thousands of pipelined commands.
const CHUNK_EVENTS: usize = 1024;
const CHUNK_BYTES: usize = 1 << 20;

/// Reads a whole capture into `sink` as [`super::analyze`] does, with the connections shared
/// out over `workers` threads; the sink sees the same events in the same order (see the
/// module documentation for the one exception), except that of a retrieved message's body
/// only the first `message_lines` lines are handed on (the rest is counted, as a body over the
/// memory cap is). Returns the statistics and how the reading ended.
pub fn analyze_parallel(
    reader: &mut CaptureReader,
    config: &Config,
    workers: usize,
    sink: &mut impl SessionSink,
    message_lines: &(dyn Fn(&Body) -> usize + Sync),
    progress: impl FnMut() + Send,
) -> (EngineStats, Result<(), CaptureError>) {
    let workers = workers.max(1);
    let stop = AtomicBool::new(false);
    let file = reader.mapped().cloned();
    let done: Vec<AtomicU64> = (0..workers).map(|_| AtomicU64::new(0)).collect();
    std::thread::scope(|scope| {
        let mut to_workers = Vec::new();
        let mut from_workers = Vec::new();
        let mut handles = Vec::new();
        for done in &done {
            let (batches, inbox) = sync_channel::<Batch>(QUEUED_BATCHES);
            // Batches come back emptied, to be filled again without new memory.
            let (spent, empties) = sync_channel::<Batch>(QUEUED_BATCHES + 2);
            let (outbox, events) = sync_channel::<Chunk>(QUEUED_BATCHES);
            // Events printed go back to be freed by the thread that made them: the system
            // allocator frees another thread's memory slowly, and more slowly the more there is.
            let (give_back, given_back) = sync_channel::<Vec<OwnedSessionEvent>>(QUEUED_BATCHES);
            let record = Record {
                events: Vec::new(),
                weight: 0,
                outbox,
                given_back,
                gone: false,
                stamp: Stamp::default(),
                message_lines,
            };
            let worker = Worker::new(config, workers, record, file.clone(), done);
            let thread = std::thread::Builder::new().name("worker".into());
            handles.push(
                thread
                    .spawn_scoped(scope, move || worker.run(inbox, spent))
                    .expect("a worker thread"),
            );
            to_workers.push((batches, empties));
            from_workers.push((events, give_back));
        }
        let stop = &stop;
        let done = &done;
        let reading = std::thread::Builder::new()
            .name("reader".into())
            .spawn_scoped(scope, move || {
                dispatch(reader, config, to_workers, done, stop, progress)
            })
            .expect("the reader thread");
        merge(from_workers, sink, stop);
        let (mut stats, result) = reading
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        for handle in handles {
            let table = handle
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
            stats.flows.add(&table);
        }
        (stats, result)
    })
}

/// Where a segment's payload is.
#[derive(Clone)]
enum Payload {
    /// In the mapped capture file, at these offsets: never copied.
    File(std::ops::Range<usize>),
    /// In the batch's bytes (the file is not mapped, or the payload was put together from
    /// IP fragments).
    Batch(std::ops::Range<usize>),
}

/// One segment, owned, or the news that another worker's connection had one.
enum Item {
    /// A segment of a connection this worker owns: its headers (with no payload) and where its
    /// payload is.
    Segment {
        frame: u64,
        ts: Timestamp,
        headers: Segment<'static>,
        payload: Payload,
    },
    /// A followed segment of another worker's at which the [`SweepClock`] strikes.
    Tick { frame: u64, ts: Timestamp },
}

/// What one worker gets of a batch of frames.
#[derive(Default)]
struct Batch {
    items: Vec<Item>,
    /// The payloads of its segments, end to end.
    bytes: Vec<u8>,
    /// The latest capture time of any frame so far.
    last_ts: Timestamp,
}

/// Reads the capture, decodes the headers, and sends each worker its share of every batch (an
/// empty one too, so that the merge can take the workers' answers in step).
fn dispatch(
    reader: &mut CaptureReader,
    config: &Config,
    to_workers: Vec<(SyncSender<Batch>, Receiver<Batch>)>,
    done: &[AtomicU64],
    stop: &AtomicBool,
    mut progress: impl FnMut(),
) -> (EngineStats, Result<(), CaptureError>) {
    let workers = to_workers.len() as u64;
    let file = reader.mapped().cloned();
    // Where each batch sent ends in the file: what every worker is done with is released.
    let mut sent: std::collections::VecDeque<usize> = std::collections::VecDeque::new();
    let mut released_batches = 0;
    let mut frame_end = 0;
    let shards = config.flow.shard.map_or(1, |(_, n)| u64::from(n.max(1)));
    let mut wire = Wire::default();
    let mut sweeps = SweepClock::default();
    let mut batches: Vec<Batch> = (0..workers).map(|_| Batch::default()).collect();
    let (mut frames, mut bytes) = (0, 0);
    let mut since_progress = 0u32;
    // Sends each worker its share; false once a worker is gone (it panicked, or the merge
    // stopped taking its events): the reading stops.
    let mut send = |batches: &mut Vec<Batch>, last_ts: Timestamp, frame_end: usize| {
        if let Some(file) = &file {
            sent.push_back(frame_end);
            let all_done = done.iter().map(|d| d.load(Ordering::Acquire)).min().unwrap_or(0);
            let mut until = None;
            while released_batches < all_done {
                until = sent.pop_front();
                released_batches += 1;
            }
            if let Some(until) = until {
                file.release_until(until);
            }
        }
        let mut all_there = true;
        for (batch, (worker, empties)) in batches.iter_mut().zip(&to_workers) {
            let mut full = std::mem::replace(batch, empties.try_recv().unwrap_or_default());
            full.last_ts = last_ts;
            all_there &= worker.send(full).is_ok();
        }
        all_there
    };
    let result = reader.for_each_frame(|frame| {
        since_progress += 1;
        if since_progress == PROGRESS_EVERY {
            since_progress = 0;
            progress();
        }
        wire.frame(&frame, |segment| {
            let segment_item = |payload| Item::Segment {
                frame: frame.number,
                ts: frame.ts,
                headers: Segment {
                    payload: &[],
                    ..*segment
                },
                payload,
            };
            if !config.flow.follows(segment.src, segment.dst) {
                // Only counted (another port, another shard), by whichever worker: the first.
                batches[0].items.push(segment_item(Payload::Batch(0..0)));
                return;
            }
            // `shard_of` takes the hash modulo the shards of --shard: the worker comes from what
            // is left of it, so that one process's connections spread over all its workers.
            let hash = connection_hash(segment.src, segment.dst);
            let owner = ((hash / shards) % workers) as usize;
            let strikes = sweeps.strikes(frame.ts);
            for (index, batch) in batches.iter_mut().enumerate() {
                if index == owner {
                    let payload = match file.as_ref().and_then(|file| file.offset_of(segment.payload)) {
                        Some(start) => Payload::File(start..start + segment.payload.len()),
                        None => {
                            let start = batch.bytes.len();
                            batch.bytes.extend_from_slice(segment.payload);
                            Payload::Batch(start..batch.bytes.len())
                        }
                    };
                    batch.items.push(segment_item(payload));
                } else if strikes {
                    batch.items.push(Item::Tick {
                        frame: frame.number,
                        ts: frame.ts,
                    });
                }
            }
        });
        if let Some(offset) = file.as_ref().and_then(|file| file.offset_of(frame.data)) {
            frame_end = offset + frame.data.len();
        }
        frames += 1;
        bytes += frame.data.len();
        if frames == BATCH_FRAMES || bytes >= BATCH_BYTES {
            (frames, bytes) = (0, 0);
            if !send(&mut batches, wire.last_ts, frame_end) {
                return false;
            }
        }
        !stop.load(Ordering::Relaxed)
    });
    // The last frames; a worker gone has nothing more to say.
    let _ = send(&mut batches, wire.last_ts, frame_end);
    wire.stats.frames_without_interface = reader.stats().frames_without_interface;
    (wire.stats, result)
}

/// Where an event comes in the order one thread gives: the frame that caused it; before that
/// frame's own segment, the idle connections its clock closed, in the order they opened; and
/// the end of the capture last.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Stamp {
    frame: u64,
    /// 0: closed by the clock, before the frame's segment; 1: the segment's own.
    step: u8,
    /// For connections closed by the clock: the frame that opened the connection.
    opened: u64,
}

/// A session event with its place in the order.
struct Stamped {
    stamp: Stamp,
    event: OwnedSessionEvent,
}

/// Some of a worker's events of one batch, in order; `last` ends the batch.
struct Chunk {
    events: Vec<Stamped>,
    last: bool,
}

/// One worker: a flow table and a session layer over the connections it owns.
struct Worker<'a> {
    table: FlowTable,
    sessions: Stamping<'a>,
    /// The capture file, when payloads are passed by their place in it.
    file: Option<MappedFile>,
    /// Batches taken so far: the reader releases what every worker is done with.
    done: &'a AtomicU64,
}

impl<'a> Worker<'a> {
    fn new(
        config: &Config,
        workers: usize,
        record: Record<'a>,
        file: Option<MappedFile>,
        done: &'a AtomicU64,
    ) -> Self {
        let mut flow = config.flow.clone();
        flow.max_flows = (flow.max_flows / workers).max(1);
        flow.max_forgotten = (flow.max_forgotten / workers).max(1);
        flow.max_buffered_total /= workers;
        let mut session = config.session.clone();
        session.max_held /= workers;
        Worker {
            table: FlowTable::new(flow),
            sessions: Stamping {
                sessions: Sessions::new(session, record),
                opened: HashMap::default(),
                stamp: Stamp::default(),
            },
            file,
            done,
        }
    }

    /// Takes batches until the reading ends, answers each with its events, then ends the
    /// connections still open; returns the table's counters.
    fn run(mut self, inbox: Receiver<Batch>, spent: SyncSender<Batch>) -> crate::flow::TableStats {
        let mut last_ts = Timestamp::default();
        for batch in inbox {
            last_ts = batch.last_ts;
            for item in &batch.items {
                match *item {
                    Item::Segment {
                        frame,
                        ts,
                        headers,
                        ref payload,
                    } => {
                        if self.table.follows(headers.src, headers.dst) {
                            self.sessions.stamp = Stamp {
                                frame,
                                step: 0,
                                opened: 0,
                            };
                            self.table.tick(ts, &mut self.sessions);
                        }
                        self.sessions.stamp = Stamp {
                            frame,
                            step: 1,
                            opened: 0,
                        };
                        let payload = match (payload, &self.file) {
                            (Payload::File(range), Some(file)) => &file.bytes()[range.clone()],
                            (Payload::Batch(range), _) => &batch.bytes[range.clone()],
                            (Payload::File(_), None) => {
                                unreachable!("a payload is passed by its place only when the file is mapped")
                            }
                        };
                        let segment = Segment { payload, ..headers };
                        self.table.segment(frame, ts, &segment, &mut self.sessions);
                    }
                    Item::Tick { frame, ts } => {
                        self.sessions.stamp = Stamp {
                            frame,
                            step: 0,
                            opened: 0,
                        };
                        self.table.tick(ts, &mut self.sessions);
                    }
                }
            }
            self.done.fetch_add(1, Ordering::Release);
            let mut batch = batch;
            batch.items.clear();
            batch.bytes.clear();
            let _ = spent.try_send(batch);
            let record = self.sessions.sessions.sink_mut();
            record.send(true);
            if record.gone {
                break;
            }
        }
        self.sessions.stamp = Stamp {
            frame: u64::MAX,
            step: 0,
            opened: 0,
        };
        self.table.finish(last_ts, &mut self.sessions);
        self.sessions.sessions.sink_mut().send(true);
        self.table.stats.clone()
    }
}

/// The session layer of one worker, with the stamp of what is being done.
struct Stamping<'a> {
    sessions: Sessions<Record<'a>>,
    /// The frame that opened each open connection.
    opened: HashMap<FlowId, u64, foldhash::fast::RandomState>,
    stamp: Stamp,
}

impl StreamSink for Stamping<'_> {
    fn event(&mut self, event: StreamEvent<'_>) {
        let flow = event.flow();
        if let StreamEvent::Opened { .. } = event {
            self.opened.insert(flow, self.stamp.frame);
        }
        let mut stamp = self.stamp;
        if stamp.step == 0 {
            stamp.opened = self.opened.get(&flow).copied().unwrap_or(0);
        }
        if let StreamEvent::Closed { .. } = event {
            self.opened.remove(&flow);
        }
        self.sessions.sink_mut().stamp = stamp;
        self.sessions.event(event);
    }

    fn keeps(&mut self, flow: FlowId) -> bool {
        let keeps = self.sessions.keeps(flow);
        if !keeps {
            // Given up without a `Closed` (`--detect`, not POP3).
            self.opened.remove(&flow);
        }
        keeps
    }
}

/// Keeps a worker's session events, owned and stamped, and hands them on in chunks.
struct Record<'a> {
    events: Vec<Stamped>,
    /// About how many bytes `events` hold.
    weight: usize,
    outbox: SyncSender<Chunk>,
    /// Events printed, to be freed here.
    given_back: Receiver<Vec<OwnedSessionEvent>>,
    /// The merge takes no more events.
    gone: bool,
    stamp: Stamp,
    /// How many lines of a retrieved message's body the printer shows.
    message_lines: &'a (dyn Fn(&Body) -> usize + Sync),
}

impl Default for Stamp {
    fn default() -> Self {
        Stamp {
            frame: 0,
            step: 1,
            opened: 0,
        }
    }
}

impl SessionSink for Record<'_> {
    fn event(&mut self, event: SessionEvent<'_>) {
        let event = match event {
            // A message's body is copied only as far as it is shown.
            SessionEvent::Exchange {
                session,
                exchange,
                changes,
                message: Some(message),
            } => {
                let body = exchange.reply.as_ref().and_then(|reply| reply.body.as_ref());
                let shown = body.map_or(usize::MAX, |body| (self.message_lines)(body));
                let exchange = exchange.with_body_preview(shown, usize::MAX);
                OwnedSessionEvent::Exchange(
                    session,
                    Box::new((exchange, changes.to_vec(), Some(message.clone()))),
                )
            }
            event => OwnedSessionEvent::new(event),
        };
        self.weight += match &event {
            OwnedSessionEvent::Exchange(_, exchange) => {
                let body = exchange.0.reply.as_ref().and_then(|reply| reply.body.as_ref());
                512 + body.map_or(0, |body| body.kept_bytes().len())
            }
            _ => 512,
        };
        self.events.push(Stamped {
            stamp: self.stamp,
            event,
        });
        if self.events.len() >= CHUNK_EVENTS || self.weight >= CHUNK_BYTES {
            self.send(false);
        }
    }
}

impl Record<'_> {
    /// Hands on the events kept; `last` when the batch is done.
    fn send(&mut self, last: bool) {
        while let Ok(printed) = self.given_back.try_recv() {
            drop(printed);
        }
        let events = std::mem::take(&mut self.events);
        self.weight = 0;
        if !self.gone && self.outbox.send(Chunk { events, last }).is_err() {
            self.gone = true;
        }
    }
}

/// Takes each batch's events from every worker in step, merges them by stamp, numbers the
/// sessions as they start and feeds `sink`; once the sink has stopped, only drains the queues.
/// However it ends (a worker gone, or a panic in the sink), the reading is told to stop and
/// the workers' queues close, so that no thread waits for ever.
fn merge(
    from_workers: Vec<(Receiver<Chunk>, SyncSender<Vec<OwnedSessionEvent>>)>,
    sink: &mut impl SessionSink,
    stop: &AtomicBool,
) {
    struct StopOnExit<'a>(&'a AtomicBool);
    impl Drop for StopOnExit<'_> {
        fn drop(&mut self) {
            self.0.store(true, Ordering::Relaxed);
        }
    }
    let _stop_on_exit = StopOnExit(stop);
    let mut numbers: HashMap<(usize, SessionId), SessionId> = HashMap::new();
    let mut next: SessionId = 1;
    let mut cursors: Vec<Cursor> = from_workers
        .into_iter()
        .map(|(from, give_back)| Cursor {
            from,
            give_back,
            events: Vec::new().into_iter().peekable(),
            printed: Vec::new(),
            last: true,
        })
        .collect();
    // Every worker answers every batch, and all end together.
    while cursors.iter_mut().all(Cursor::start_batch) {
        // Within a batch each worker's events are in order: the next event is the least of
        // the workers' next ones.
        loop {
            let mut least: Option<(Stamp, usize)> = None;
            for (worker, cursor) in cursors.iter_mut().enumerate() {
                let Some(next) = cursor.peek() else {
                    return;
                };
                if let Some(stamp) = next
                    && least.is_none_or(|(least, _)| stamp < least)
                {
                    least = Some((stamp, worker));
                }
            }
            let Some((_, worker)) = least else {
                break;
            };
            let Some(Stamped { mut event, .. }) = cursors[worker].events.next() else {
                break;
            };
            if stop.load(Ordering::Relaxed) {
                continue;
            }
            let local = (worker, event.session());
            let number = match event {
                OwnedSessionEvent::Started(_) => {
                    let number = next;
                    next += 1;
                    numbers.insert(local, number);
                    number
                }
                OwnedSessionEvent::Ended(_) => numbers.remove(&local).unwrap_or(0),
                _ => numbers.get(&local).copied().unwrap_or(0),
            };
            event.renumber(number);
            sink.event(event.as_event());
            cursors[worker].printed.push(event);
            if sink.stopped() {
                stop.store(true, Ordering::Relaxed);
            }
        }
    }
}

/// Where the merge is in one worker's events of the current batch.
struct Cursor {
    from: Receiver<Chunk>,
    give_back: SyncSender<Vec<OwnedSessionEvent>>,
    events: std::iter::Peekable<std::vec::IntoIter<Stamped>>,
    /// Events of the chunk printed, given back to the worker with the next chunk.
    printed: Vec<OwnedSessionEvent>,
    /// The chunk in `events` is the batch's last.
    last: bool,
}

impl Cursor {
    /// Takes the worker's first chunk of the next batch; false when the worker is gone.
    fn start_batch(&mut self) -> bool {
        self.last = false;
        self.peek().is_some()
    }

    /// The stamp of the worker's next event in this batch (`Some(None)`: it has no more),
    /// waiting for its next chunk if need be; `None` when the worker is gone.
    fn peek(&mut self) -> Option<Option<Stamp>> {
        loop {
            if let Some(next) = self.events.peek() {
                return Some(Some(next.stamp));
            }
            if self.last {
                return Some(None);
            }
            // A full queue: the worker is behind in freeing, and these are freed here.
            let _ = self.give_back.try_send(std::mem::take(&mut self.printed));
            let chunk = self.from.recv().ok()?;
            self.events = chunk.events.into_iter().peekable();
            self.last = chunk.last;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::SocketAddr;

    use crate::capture::{LinkType, write_pcap};
    use crate::wire::synth::{Conversation, Ending, Link, frames};

    /// Every session event, written out; without the flow layer's connection numbers, which
    /// are each worker's own and which no front end shows.
    #[derive(Default)]
    struct Written(Vec<String>);

    impl SessionSink for Written {
        fn event(&mut self, event: SessionEvent<'_>) {
            let mut event = OwnedSessionEvent::new(event);
            match &mut event {
                OwnedSessionEvent::Started(info) => info.flow = 0,
                OwnedSessionEvent::Ended(summary) => summary.info.flow = 0,
                _ => {}
            }
            self.0.push(format!("{event:?}"));
        }
    }

    /// Forty sessions that log in and go quiet, then, twenty minutes later, twenty more: the
    /// first frame of the late ones closes the forty idle ones at once, whichever workers
    /// they are on; the late ones are still open when the capture ends.
    fn quiet_then_late() -> Vec<u8> {
        let session = |n: u16, start_secs: i64| {
            let client = SocketAddr::from(([10, 0, 0, 1], 40_000 + n));
            let mut conversation = Conversation::new(client, SocketAddr::from(([10, 0, 0, 2], 110)))
                .server("+OK ready\r\n")
                .client("USER alice\r\n")
                .server("+OK\r\n");
            conversation.ending = Ending::Open;
            let start = Timestamp(start_secs * 1_000_000_000 + i64::from(n) * 300_000);
            frames(&conversation, &conversation.packets(), &Link::Ethernet, start)
        };
        let mut all: Vec<_> = (0..40).flat_map(|n| session(n, 0)).collect();
        all.extend((40..60).flat_map(|n| session(n, 1_200)));
        all.sort_by_key(|frame| frame.ts);
        write_pcap(LinkType::ETHERNET, &all, 65_535)
    }

    /// Four sessions at once, each retrieving a 3 MB message: more than a few steps of a mapped
    /// file, so that its pages are released while the workers read it.
    fn large_retrievals() -> Vec<u8> {
        let message: String = (0..110_000)
            .map(|n| format!("line {n:06} of a long message\r\n"))
            .collect();
        let reply = format!("+OK {} octets\r\n{message}.\r\n", message.len());
        let mut all: Vec<_> = (0..4u16)
            .flat_map(|n| {
                let client = SocketAddr::from(([10, 0, 0, 1], 50_000 + n));
                let conversation = Conversation::new(client, SocketAddr::from(([10, 0, 0, 2], 110)))
                    .server("+OK ready\r\n")
                    .client("RETR 1\r\n")
                    .server(&reply)
                    .client("QUIT\r\n")
                    .server("+OK bye\r\n");
                let start = Timestamp(i64::from(n) * 100_000);
                frames(&conversation, &conversation.packets(), &Link::Ethernet, start)
            })
            .collect();
        all.sort_by_key(|frame| frame.ts);
        write_pcap(LinkType::ETHERNET, &all, 65_535)
    }

    fn events_on(threads: usize, pcap: &[u8]) -> Vec<String> {
        let config = Config::default();
        // On several threads the capture is read as `open` reads a file: mapped into memory.
        let file = tempfile::NamedTempFile::new().expect("a temporary file");
        std::fs::write(file.path(), pcap).expect("written");
        let opened = std::fs::File::open(file.path()).expect("opened");
        let mut reader = match threads {
            1 => CaptureReader::from_stream(opened, Default::default()),
            _ => CaptureReader::map_file(opened, Default::default()),
        }
        .expect("a pcap");
        assert_eq!(reader.mapped().is_some(), threads > 1);
        if threads == 1 {
            let mut sessions = config.sessions(Written::default());
            let (_, result) = super::super::analyze(&mut reader, &config, &mut sessions, || {});
            result.expect("read whole");
            return sessions.into_sink().0;
        }
        let mut written = Written::default();
        let all_lines = |_: &Body| usize::MAX;
        let (_, result) = analyze_parallel(&mut reader, &config, threads, &mut written, &all_lines, || {});
        result.expect("read whole");
        written.0
    }

    #[test]
    fn connections_closed_together_by_the_clock_come_in_the_order_one_thread_gives() {
        let pcap = quiet_then_late();
        let one = events_on(1, &pcap);
        assert!(
            one.iter().filter(|e| e.contains("Idle")).count() >= 40,
            "the forty quiet sessions end idle"
        );
        for threads in [2, 3, 7] {
            assert_eq!(events_on(threads, &pcap), one, "{threads} threads");
        }
    }

    #[test]
    fn messages_read_from_a_mapped_file_released_as_it_goes_are_the_messages_read_whole() {
        let pcap = large_retrievals();
        assert!(pcap.len() > 12 << 20, "{} bytes", pcap.len());
        let one = events_on(1, &pcap);
        assert_eq!(one.iter().filter(|e| e.contains("verb: Retr")).count(), 4);
        assert_eq!(events_on(2, &pcap), one);
    }
}
