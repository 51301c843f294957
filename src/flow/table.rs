//! The flow table: connections by their address pair, opened, aged, evicted and closed.

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;

use super::stream::HalfStream;
use super::{
    DirectionStats, EndReason, FlowConfig, FlowId, FlowSummary, GapCause, MAX_WINDOW_JUMP, StreamEvent,
    StreamSink, TableStats,
};
use crate::base::{Direction, Timestamp};
use crate::wire::{Segment, SeqNum, TcpFlags};

/// How long a closed connection's entry stays, to recognise its late segments.
const CLOSED_LINGER_NANOS: i64 = 60_000_000_000;
const NANOS_PER_SEC: i64 = 1_000_000_000;

/// When a flow table closes its idle connections: at the first followed segment, then at the
/// first one a second of capture time or more after the last time. It depends only on the
/// times of the followed segments, so that the reader of a parallel run can keep the same clock
/// as every worker's table.
#[derive(Clone, Debug, Default)]
pub struct SweepClock {
    next: Option<Timestamp>,
}

impl SweepClock {
    /// Whether a followed segment at `now` makes the table sweep (and winds the clock).
    pub fn strikes(&mut self, now: Timestamp) -> bool {
        if self.next.is_some_and(|at| now < at) {
            return false;
        }
        self.next = Some(now.plus_nanos(NANOS_PER_SEC));
        true
    }
}

/// Why a connection was given up before its end.
#[derive(Clone, Copy, Debug)]
enum Forgotten {
    /// To make room ([`FlowConfig::max_flows`]).
    Evicted,
    /// Its content is not POP3 ([`FlowConfig::detect`]).
    NotPop3,
}

type Key = (SocketAddr, SocketAddr);

/// The connections being reassembled.
pub struct FlowTable {
    config: FlowConfig,
    /// foldhash: a seeded hash several times faster than SipHash on these small keys, which
    /// sit on the per-packet path. Boxed: a table churned by evictions holds up to four
    /// times as many slots as connections, and an empty slot then costs a pointer, not a
    /// connection.
    flows: HashMap<(SocketAddr, SocketAddr), Box<Flow>, foldhash::fast::RandomState>,
    next_id: FlowId,
    /// What waits out of order over all connections, as [`HalfStream::buffered`] counts it.
    pub(super) buffered_total: usize,
    sweeps: SweepClock,
    /// The connections in the order they were last active, kept lazily: an entry whose flow
    /// was active again since it was queued is queued again when met, so eviction costs O(1)
    /// amortised per packet instead of a scan of the table.
    recency: VecDeque<(Key, Timestamp, FlowId)>,
    /// Connections given up lately (evicted, or not POP3): a segment of one is counted, and
    /// does not open it again (its SYN does).
    forgotten: HashMap<Key, Forgotten, foldhash::fast::RandomState>,
    forgotten_order: VecDeque<Key>,
    /// Counters of the table as a whole: connections, and segments that belong to none.
    pub stats: TableStats,
}

struct Flow {
    summary: FlowSummary,
    halves: [HalfStream; 2],
    closed_at: Option<Timestamp>,
    /// Per direction: segments that acknowledge bytes of the other direction not delivered
    /// yet, held back until those bytes are (see [`Flow::must_wait`]), oldest first.
    held: [VecDeque<Held>; 2],
    /// What the held segments cost, as [`Flow::buffered`] counts it.
    held_bytes: usize,
}

/// A segment held back: the bytes it acknowledges prove the other direction sent first.
struct Held {
    frame: u64,
    ts: Timestamp,
    src: SocketAddr,
    dst: SocketAddr,
    seq: SeqNum,
    ack: SeqNum,
    flags: TcpFlags,
    payload: Vec<u8>,
    missing: u32,
}

impl Held {
    fn new(frame: u64, ts: Timestamp, seg: &Segment<'_>) -> Held {
        Held {
            frame,
            ts,
            src: seg.src,
            dst: seg.dst,
            seq: seg.seq,
            ack: seg.ack,
            flags: seg.flags,
            payload: seg.payload.to_vec(),
            missing: seg.missing,
        }
    }

    fn segment(&self) -> Segment<'_> {
        Segment {
            src: self.src,
            dst: self.dst,
            seq: self.seq,
            ack: self.ack,
            flags: self.flags,
            payload: &self.payload,
            missing: self.missing,
        }
    }

    fn cost(&self) -> usize {
        self.payload.len() + HELD_OVERHEAD
    }
}

/// What holding a segment costs besides its payload.
const HELD_OVERHEAD: usize = 96;
/// Segments held per direction at most: a reordering across directions spans a few segments;
/// more means the acknowledged bytes were lost, and waiting longer would not bring them.
const MAX_HELD_SEGMENTS: usize = 64;
/// Bytes held per connection at most.
const MAX_HELD_BYTES: usize = 256 * 1024;
/// Capture time a segment is held at most before the bytes it waits for are given up as a gap.
const MAX_HOLD_NANOS: i64 = 500_000_000;

impl FlowTable {
    /// An empty table that tracks what `config` selects, within its limits.
    pub fn new(config: FlowConfig) -> Self {
        FlowTable {
            config,
            flows: HashMap::default(),
            next_id: 1,
            buffered_total: 0,
            sweeps: SweepClock::default(),
            recency: VecDeque::new(),
            forgotten: HashMap::default(),
            forgotten_order: VecDeque::new(),
            stats: TableStats::default(),
        }
    }

    /// The tunables the table was made with.
    pub fn config(&self) -> &FlowConfig {
        &self.config
    }

    /// Whether segments between these endpoints are followed ([`FlowConfig::follows`]).
    pub fn follows(&self, src: std::net::SocketAddr, dst: std::net::SocketAddr) -> bool {
        self.config.follows(src, dst)
    }

    /// Feeds one segment, captured at `ts` in frame number `frame`.
    pub fn segment(
        &mut self,
        frame: u64,
        ts: Timestamp,
        seg: &Segment<'_>,
        sink: &mut (impl StreamSink + ?Sized),
    ) {
        if !self.config.wants(seg.src.port(), seg.dst.port()) {
            self.stats.other_port_segments += 1;
            let port = seg.src.port().min(seg.dst.port());
            *self.stats.other_port_counts.entry(port).or_default() += 1;
            return;
        }
        if !self.config.in_shard(seg.src, seg.dst) {
            self.stats.other_shard_segments += 1;
            return;
        }
        self.sweep(ts, sink);
        let key = canonical(seg.src, seg.dst);
        // One lookup for the common case, an open connection; the map only changes otherwise.
        let opens_anew = seg.flags.syn && !seg.flags.ack;
        match self.flows.get(&key).map(|flow| flow.closed_at.is_some()) {
            Some(false) => {}
            Some(true) if !opens_anew => {
                // The ACK of the last FIN is normal; data or flags after the end are not.
                if seg.payload.is_empty() && !seg.flags.fin && !seg.flags.rst {
                    self.stats.closing_acks += 1;
                } else {
                    self.stats.late_segments += 1;
                }
                return;
            }
            // A segment of a connection given up is counted: it does not come back as a new
            // connection (its SYN does).
            None if !opens_anew && let Some(why) = self.forgotten.get(&key) => {
                match why {
                    Forgotten::Evicted => self.stats.late_segments += 1,
                    Forgotten::NotPop3 => self.stats.not_pop3_segments += 1,
                }
                return;
            }
            // A new SYN on a closed connection's addresses opens a new connection.
            closed_or_new => {
                if closed_or_new.is_some() {
                    self.flows.remove(&key);
                }
                self.open(key, ts, seg, sink);
            }
        }
        let Some(flow) = self.flows.get_mut(&key) else {
            return;
        };
        let before = flow.buffered();
        flow.segment(frame, ts, seg, &self.config, sink);
        self.buffered_total = self.buffered_total - before + flow.buffered();
        if self.config.detect && !sink.keeps(flow.summary.id) {
            // Not POP3: followed no further, and its later segments are only counted.
            self.buffered_total -= flow.buffered();
            self.flows.remove(&key);
            self.stats.not_pop3_flows += 1;
            self.forget(key, Forgotten::NotPop3);
            return;
        }
        if self.buffered_total > self.config.max_buffered_total {
            self.relieve_memory(key, ts, sink);
        }
    }

    /// Remembers a connection given up, the latest [`FlowConfig::max_forgotten`] of them.
    fn forget(&mut self, key: Key, why: Forgotten) {
        self.forgotten.insert(key, why);
        self.forgotten_order.push_back(key);
        if self.forgotten_order.len() > self.config.max_forgotten
            && let Some(oldest) = self.forgotten_order.pop_front()
        {
            self.forgotten.remove(&oldest);
        }
    }

    /// Starts tracking a connection whose first segment is `seg`.
    fn open(
        &mut self,
        key: (SocketAddr, SocketAddr),
        ts: Timestamp,
        seg: &Segment<'_>,
        sink: &mut (impl StreamSink + ?Sized),
    ) {
        if self.flows.len() >= self.config.max_flows {
            self.evict_one(ts, sink);
        }
        let (client, server) = self.client_and_server(seg);
        let id = self.next_id;
        self.next_id += 1;
        self.forgotten.remove(&key);
        self.recency.push_back((key, ts, id));
        if self.recency.len() > 2 * self.flows.len() + 1024 {
            // Entries of connections that ended another way: drop them, in one pass now and then.
            let flows = &self.flows;
            self.recency
                .retain(|(key, _, id)| flows.get(key).is_some_and(|f| f.summary.id == *id));
        }
        self.stats.flows += 1;
        let handshake = seg.flags.syn;
        sink.event(StreamEvent::Opened {
            flow: id,
            ts,
            client,
            server,
            handshake,
        });
        let summary = FlowSummary {
            id,
            client,
            server,
            first_ts: ts,
            last_ts: ts,
            handshake,
            packets: 0,
            to_server: DirectionStats::default(),
            to_client: DirectionStats::default(),
            end: None,
        };
        self.flows.insert(
            key,
            Box::new(Flow {
                summary,
                halves: Default::default(),
                closed_at: None,
                held: Default::default(),
                held_bytes: 0,
            }),
        );
    }

    /// Ends every open connection (the capture is over).
    pub fn finish(&mut self, ts: Timestamp, sink: &mut (impl StreamSink + ?Sized)) {
        let mut open: Vec<_> = self
            .flows
            .values_mut()
            .filter(|f| f.closed_at.is_none())
            .collect();
        open.sort_by_key(|f| f.summary.id);
        for flow in open {
            flow.close(EndReason::Eof, ts, sink);
        }
        self.flows.clear();
        self.buffered_total = 0;
    }

    fn client_and_server(&self, seg: &Segment<'_>) -> (SocketAddr, SocketAddr) {
        let src_is_client = if seg.flags.syn {
            !seg.flags.ack
        } else {
            let known = |port: u16| self.config.ports.contains(&port);
            match (known(seg.src.port()), known(seg.dst.port())) {
                (false, true) => true,
                (true, false) => false,
                _ => seg.src.port() > seg.dst.port(),
            }
        };
        if src_is_client {
            (seg.src, seg.dst)
        } else {
            (seg.dst, seg.src)
        }
    }

    /// Lets capture time pass to `now` without a segment of this table's: what a segment of a
    /// followed connection does before it is taken (idle connections closed, when the
    /// [`SweepClock`] says). The workers of a parallel run are told of each followed segment at
    /// which that clock strikes, so that each closes its idle connections when a single table
    /// would.
    pub fn tick(&mut self, now: Timestamp, sink: &mut (impl StreamSink + ?Sized)) {
        self.sweep(now, sink);
    }

    /// Closes idle connections and forgets closed ones, when the [`SweepClock`] strikes.
    fn sweep(&mut self, now: Timestamp, sink: &mut (impl StreamSink + ?Sized)) {
        if !self.sweeps.strikes(now) {
            return;
        }
        let idle = i64::from(self.config.idle_timeout_secs) * NANOS_PER_SEC;
        let mut idle_flows: Vec<_> = self
            .flows
            .values_mut()
            .filter(|f| f.closed_at.is_none() && now.nanos_since(f.summary.last_ts) > idle)
            .collect();
        idle_flows.sort_by_key(|f| f.summary.id);
        for flow in idle_flows {
            self.buffered_total -= flow.buffered();
            flow.close(EndReason::Idle, now, sink);
        }
        self.flows.retain(|_, f| {
            f.closed_at
                .is_none_or(|closed| now.nanos_since(closed) <= CLOSED_LINGER_NANOS)
        });
    }

    /// Ends the connection that was active longest ago, to make room.
    fn evict_one(&mut self, ts: Timestamp, sink: &mut (impl StreamSink + ?Sized)) {
        while let Some((key, queued, id)) = self.recency.pop_front() {
            let Some(flow) = self.flows.get(&key) else {
                continue;
            };
            if flow.summary.id != id {
                continue;
            }
            if flow.summary.last_ts > queued {
                // Active since it was queued: its place is further back.
                let last = flow.summary.last_ts;
                self.recency.push_back((key, last, id));
                continue;
            }
            if let Some(mut flow) = self.flows.remove(&key)
                && flow.closed_at.is_none()
            {
                self.buffered_total -= flow.buffered();
                self.stats.evicted_flows += 1;
                flow.close(EndReason::Evicted, ts, sink);
                self.forget(key, Forgotten::Evicted);
            }
            return;
        }
    }

    /// Brings the buffered bytes back under the budget: the connection that went over gives up
    /// what it remembers for retransmission checks, then its waiting bytes (as gaps), then
    /// the largest others do the same.
    fn relieve_memory(&mut self, key: Key, ts: Timestamp, sink: &mut (impl StreamSink + ?Sized)) {
        if let Some(flow) = self.flows.get_mut(&key) {
            self.buffered_total -= flow.relieve(false, &mut self.stats, ts, sink);
            if self.buffered_total > self.config.max_buffered_total {
                self.buffered_total -= flow.relieve(true, &mut self.stats, ts, sink);
            }
        }
        while self.buffered_total > self.config.max_buffered_total {
            let Some(flow) = self.flows.values_mut().max_by_key(|f| f.buffered()) else {
                break;
            };
            if flow.buffered() == 0 {
                break;
            }
            self.buffered_total -= flow.relieve(true, &mut self.stats, ts, sink);
        }
    }
}

fn canonical(a: SocketAddr, b: SocketAddr) -> (SocketAddr, SocketAddr) {
    if a <= b { (a, b) } else { (b, a) }
}

impl Flow {
    fn buffered(&self) -> usize {
        self.halves[0].buffered() + self.halves[1].buffered() + self.held_bytes
    }

    fn direction_of(&self, seg: &Segment<'_>) -> Direction {
        if seg.src == self.summary.client {
            Direction::ClientToServer
        } else {
            Direction::ServerToClient
        }
    }

    /// How many bytes of the other direction, not delivered yet, `ack` acknowledges: a
    /// segment carrying it was sent after them. Zero when the other direction has not started,
    /// or the acknowledgement is out of any window (garbage, not evidence).
    fn acked_ahead(&self, dir: Direction, ack: SeqNum) -> u64 {
        let other = &self.halves[1 - dir.index()];
        let Some(next) = other.next_seq else {
            return 0;
        };
        // A FIN takes a sequence number of its own, after the last byte.
        let fin = i64::from(other.fin_at == Some(other.delivered));
        let ahead = ack.minus(next) - fin;
        if ahead > MAX_WINDOW_JUMP {
            return 0;
        }
        ahead.max(0) as u64
    }

    /// A segment with data or a FIN waits when it acknowledges bytes the other direction has
    /// not delivered yet: the capture saw the two directions in another order than the
    /// endpoints did, and the ACK proves which came first. (A later segment of the same
    /// direction that acknowledges less does not wait: it was sent earlier, and its bytes
    /// come first in its own stream anyway.)
    fn must_wait(&self, dir: Direction, seg: &Segment<'_>) -> bool {
        let carries = !seg.payload.is_empty() || seg.missing > 0 || seg.flags.fin;
        carries && seg.flags.ack && !seg.flags.rst && self.acked_ahead(dir, seg.ack) > 0
    }

    /// Takes a segment: now, or after the bytes of the other direction it acknowledges.
    fn segment(
        &mut self,
        frame: u64,
        ts: Timestamp,
        seg: &Segment<'_>,
        config: &FlowConfig,
        sink: &mut (impl StreamSink + ?Sized),
    ) {
        self.release_expired(ts, sink);
        let dir = self.direction_of(seg);
        if self.must_wait(dir, seg) {
            let held = Held::new(frame, ts, seg);
            self.held_bytes += held.cost();
            self.held[dir.index()].push_back(held);
            self.summary.last_ts = ts;
            while self.held[dir.index()].len() > MAX_HELD_SEGMENTS || self.held_bytes > MAX_HELD_BYTES {
                self.release_oldest(sink);
            }
        } else {
            self.take(frame, ts, seg, sink);
        }
        self.release_ready(sink);
        self.bound_buffers(ts, config, sink);
    }

    /// Takes the held segments whose acknowledged bytes have been delivered since, any of
    /// them: within a direction, order is its own stream's business.
    fn release_ready(&mut self, sink: &mut (impl StreamSink + ?Sized)) {
        loop {
            let ready = [Direction::ClientToServer, Direction::ServerToClient]
                .into_iter()
                .find_map(|dir| {
                    let index = self.held[dir.index()]
                        .iter()
                        .position(|held| self.acked_ahead(dir, held.ack) == 0)?;
                    Some((dir, index))
                });
            let Some((dir, index)) = ready else {
                return;
            };
            let held = self.remove_held(dir, index);
            self.take(held.frame, held.ts, &held.segment(), sink);
        }
    }

    /// Gives up waiting for the oldest held segment of `dir`: the bytes of the other direction
    /// it acknowledges and that never came become a gap — up to the first of them held
    /// themselves, which may go then — and it is taken once nothing more can come first.
    fn release_front(&mut self, dir: Direction, sink: &mut (impl StreamSink + ?Sized)) {
        let Some(front) = self.held[dir.index()].front() else {
            return;
        };
        let (ack, ts) = (front.ack, front.ts);
        let other = dir.reverse();
        let ahead = self.acked_ahead(dir, ack);
        let delivered = self.halves[other.index()].delivered;
        let until = (delivered + ahead).min(self.first_held_offset(other).unwrap_or(u64::MAX));
        if until > delivered {
            let id = self.summary.id;
            let stats = self.summary.stats_mut(other);
            let half = &mut self.halves[other.index()];
            half.flush_until(id, other, until, GapCause::NotCaptured, ts, stats, sink);
            self.release_ready(sink);
            return;
        }
        // Each side waits for the other: evidence that contradicts itself. The oldest goes.
        let held = self.remove_held(dir, 0);
        self.take(held.frame, held.ts, &held.segment(), sink);
        self.release_ready(sink);
    }

    /// The stream offset of the earliest byte a held segment of `dir` brings, when one
    /// brings bytes not delivered yet.
    fn first_held_offset(&self, dir: Direction) -> Option<u64> {
        let half = &self.halves[dir.index()];
        let next = half.next_seq?;
        self.held[dir.index()]
            .iter()
            .map(|held| half.delivered as i64 + held.seq.minus(next))
            .filter(|&offset| offset >= half.delivered as i64)
            .min()
            .map(|offset| offset as u64)
    }

    /// Held segments older than [`MAX_HOLD_NANOS`] of capture time stop waiting.
    fn release_expired(&mut self, now: Timestamp, sink: &mut (impl StreamSink + ?Sized)) {
        loop {
            let expired = [Direction::ClientToServer, Direction::ServerToClient]
                .into_iter()
                .filter(|&dir| {
                    self.held[dir.index()]
                        .front()
                        .is_some_and(|held| now.nanos_since(held.ts) > MAX_HOLD_NANOS)
                })
                .min_by_key(|&dir| self.held[dir.index()].front().map(|held| held.frame));
            match expired {
                Some(dir) => self.release_front(dir, sink),
                None => return,
            }
        }
    }

    /// Stops waiting for the oldest held segment, whichever its direction; first for one whose
    /// missing bytes nothing held can bring.
    fn release_oldest(&mut self, sink: &mut (impl StreamSink + ?Sized)) {
        let waiting = [Direction::ClientToServer, Direction::ServerToClient]
            .into_iter()
            .filter(|&dir| !self.held[dir.index()].is_empty());
        let oldest = |dirs: &mut dyn Iterator<Item = Direction>| {
            dirs.min_by_key(|&dir| self.held[dir.index()].front().map(|held| held.frame))
        };
        let stuck = oldest(&mut waiting.clone().filter(|&dir| {
            let other = dir.reverse();
            self.first_held_offset(other) != Some(self.halves[other.index()].delivered)
        }));
        if let Some(dir) = stuck.or_else(|| oldest(&mut waiting.clone())) {
            self.release_front(dir, sink);
        }
    }

    /// Stops waiting for anything: every held segment is taken, oldest first, after gaps for
    /// what it acknowledged and never came.
    fn release_all(&mut self, sink: &mut (impl StreamSink + ?Sized)) {
        while self.closed_at.is_none() && self.held.iter().any(|held| !held.is_empty()) {
            self.release_oldest(sink);
        }
    }

    fn remove_held(&mut self, dir: Direction, index: usize) -> Held {
        let held = self.held[dir.index()]
            .remove(index)
            .expect("a held segment to take");
        self.held_bytes -= held.cost();
        held
    }

    /// A direction holding more early bytes than it may gives them up (as gaps), after the
    /// segments held for the other direction, which may fill its holes.
    fn bound_buffers(&mut self, ts: Timestamp, config: &FlowConfig, sink: &mut (impl StreamSink + ?Sized)) {
        for dir in [Direction::ClientToServer, Direction::ServerToClient] {
            if self.halves[dir.index()].buffered() > config.max_buffered_per_direction {
                self.release_all(sink);
                if self.halves[dir.index()].buffered() > config.max_buffered_per_direction {
                    self.flush(dir, GapCause::BufferLimit, ts, sink);
                }
            }
        }
    }

    /// Gives up the bytes remembered for retransmission checks and, with `flush`, the bytes
    /// waiting (delivered after gaps). Returns the memory freed.
    fn relieve(
        &mut self,
        flush: bool,
        stats: &mut TableStats,
        ts: Timestamp,
        sink: &mut (impl StreamSink + ?Sized),
    ) -> usize {
        let before = self.buffered();
        let forgot = self
            .halves
            .iter_mut()
            .fold(false, |forgot, half| half.forget_recent() | forgot);
        stats.unchecked_flows += u64::from(forgot);
        if flush {
            self.release_all(sink);
            for dir in [Direction::ClientToServer, Direction::ServerToClient] {
                self.flush(dir, GapCause::BufferLimit, ts, sink);
            }
        }
        before - self.buffered()
    }

    fn drop_buffers(&mut self) {
        for half in &mut self.halves {
            half.drop_buffers();
        }
    }

    /// Puts a segment's bytes in their direction's stream, now.
    fn take(&mut self, frame: u64, ts: Timestamp, seg: &Segment<'_>, sink: &mut (impl StreamSink + ?Sized)) {
        let dir = self.direction_of(seg);
        let id = self.summary.id;
        self.summary.packets += 1;
        // A held segment is taken after later ones: the connection was active when it came.
        self.summary.last_ts = self.summary.last_ts.max(ts);
        if seg.flags.syn {
            self.summary.handshake = true;
        }
        let half = &mut self.halves[dir.index()];
        let stats = self.summary.stats_mut(dir);

        let payload_seq = if seg.flags.syn { seg.seq.plus(1) } else { seg.seq };
        let next_seq = match half.next_seq {
            Some(next) => next,
            None if seg.payload.is_empty() && seg.missing == 0 && !seg.flags.syn && !seg.flags.fin => {
                // A bare ACK or RST says nothing about where this direction's bytes start.
                if seg.flags.rst {
                    stats.rst = true;
                    self.close(EndReason::Rst, ts, sink);
                }
                return;
            }
            None => {
                half.next_seq = Some(payload_seq);
                half.started_by_syn = seg.flags.syn;
                payload_seq
            }
        };
        let relative = payload_seq.minus(next_seq);
        let wire_len = seg.payload.len() as u64 + u64::from(seg.missing);
        if relative > MAX_WINDOW_JUMP {
            stats.out_of_window += 1;
            return;
        }
        let is_keepalive =
            relative == -1 && wire_len <= 1 && !seg.flags.syn && !seg.flags.fin && !seg.flags.rst;
        if is_keepalive {
            stats.keepalives += 1;
            return;
        }
        if wire_len > 0 {
            stats.segments += 1;
        }
        if seg.missing > 0 {
            stats.truncated_segments += 1;
        }
        // The stream offset of the segment's first byte (negative: before the stream's start).
        let offset = half.delivered as i64 + relative;
        if seg.flags.fin && half.fin_at.is_none() && offset + wire_len as i64 >= 0 {
            half.fin_at = Some((offset + wire_len as i64) as u64);
            stats.fin = true;
        }
        half.accept(
            id,
            dir,
            frame,
            ts,
            offset,
            seg.payload,
            u64::from(seg.missing),
            stats,
            sink,
        );
        if seg.flags.rst {
            stats.rst = true;
            self.close(EndReason::Rst, ts, sink);
        } else if self.halves.iter().all(HalfStream::finished) {
            self.close(EndReason::Fin, ts, sink);
        }
    }

    fn flush(
        &mut self,
        dir: Direction,
        cause: GapCause,
        ts: Timestamp,
        sink: &mut (impl StreamSink + ?Sized),
    ) {
        let id = self.summary.id;
        let stats = self.summary.stats_mut(dir);
        self.halves[dir.index()].flush(id, dir, cause, ts, stats, sink);
    }

    /// Delivers what is waiting, with gaps for what never came, and reports the end.
    fn close(&mut self, reason: EndReason, ts: Timestamp, sink: &mut (impl StreamSink + ?Sized)) {
        if self.closed_at.is_some() {
            return;
        }
        // Nothing waits any more: held segments are taken (one of them may close the
        // connection itself, with a RST or the last FIN).
        self.release_all(sink);
        if self.closed_at.is_some() {
            return;
        }
        for dir in [Direction::ClientToServer, Direction::ServerToClient] {
            self.flush(dir, GapCause::NotCaptured, ts, sink);
            // Bytes before a FIN that never arrived are missing too.
            let half = &mut self.halves[dir.index()];
            if let Some(fin_at) = half.fin_at
                && fin_at > half.delivered
            {
                let id = self.summary.id;
                let stats = self.summary.stats_mut(dir);
                half.gap(
                    id,
                    dir,
                    ts,
                    fin_at - half.delivered,
                    GapCause::NotCaptured,
                    stats,
                    sink,
                );
            }
        }
        // Both FINs seen means the connection ended normally, even if the capture lacks bytes.
        let both_fins = self.halves.iter().all(|half| half.fin_at.is_some());
        self.summary.end = Some(
            if both_fins && matches!(reason, EndReason::Eof | EndReason::Idle) {
                EndReason::Fin
            } else {
                reason
            },
        );
        self.closed_at = Some(ts);
        self.drop_buffers();
        // After the end a segment is late, never compared: the bytes remembered to compare
        // retransmissions with go back to the budget.
        for half in &mut self.halves {
            half.forget_recent();
        }
        sink.event(StreamEvent::Closed {
            ts,
            summary: &self.summary,
        });
    }
}
