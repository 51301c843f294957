//! Flow: the TCP flow table and per-direction reassembly.
//!
//! Contract:
//! - Input: [`Segment`]s in capture order. Output: [`StreamEvent`]s pushed to a [`StreamSink`]:
//!   each direction of each connection as one in-order byte stream, numbered by stream offset.
//! - Every byte position of a stream is delivered exactly once, either as data or inside an
//!   explicit [`StreamEvent::Gap`]; bytes on either side of a gap are never glued together.
//! - Out-of-order segments wait in a bounded buffer; retransmitted and overlapping bytes are
//!   dropped (the first copy wins) and counted, and an overlap that carries different bytes is
//!   counted as a conflict.
//! - Sequence numbers wrap ([`SeqNum`]); connections picked up mid-stream start at the first byte
//!   seen; keep-alive probes are recognised and ignored.
//! - Memory is bounded: at most [`FlowConfig::max_buffered_per_direction`] bytes wait per
//!   direction and [`FlowConfig::max_buffered_total`] over all flows (beyond that the missing
//!   stretch is declared a gap so the stream can move on), and at most [`FlowConfig::max_flows`]
//!   flows are tracked (the least recently active one is closed as evicted).
//! - Only flows with an endpoint on one of [`FlowConfig::ports`] are tracked; other segments cost
//!   a port comparison.
//! - No clock: time comes from the segments. No I/O. Never panics on any input.

use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;

use crate::capture::Timestamp;
use crate::wire::{Segment, SeqNum};

/// Which way bytes travel in a connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
pub enum Direction {
    #[serde(rename = "client")]
    ClientToServer,
    #[serde(rename = "server")]
    ServerToClient,
}

impl Direction {
    fn index(self) -> usize {
        self as usize
    }
    pub fn short(self) -> &'static str {
        match self {
            Direction::ClientToServer => "c2s",
            Direction::ServerToClient => "s2c",
        }
    }
}

/// A connection's number: 1 for the first connection seen in the capture, and so on.
pub type FlowId = u64;

/// How a connection ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum EndReason {
    /// Both sides sent FIN and every byte before them was accounted for.
    Fin,
    /// One side reset the connection.
    Rst,
    /// The capture ended first.
    Eof,
    /// Nothing was seen on it for the idle timeout.
    Idle,
    /// Closed early to stay within the flow limit.
    Evicted,
}

impl EndReason {
    pub fn as_str(self) -> &'static str {
        match self {
            EndReason::Fin => "fin",
            EndReason::Rst => "rst",
            EndReason::Eof => "eof",
            EndReason::Idle => "idle",
            EndReason::Evicted => "evicted",
        }
    }
}

/// Why a stretch of a stream is missing.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum GapCause {
    /// Later bytes were captured but these never were (lost by the capture, or never sent).
    NotCaptured,
    /// The packet was captured, but the snapshot length cut its payload short.
    Truncated,
    /// Too many bytes waited for this stretch; it was given up to bound memory.
    BufferLimit,
}

/// Per-direction counters.
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct DirectionStats {
    /// Payload bytes delivered in order (gaps not included).
    pub bytes: u64,
    pub segments: u64,
    pub gaps: u64,
    pub gap_bytes: u64,
    /// Bytes that arrived again after they had been received (retransmissions, overlaps).
    pub retransmitted_bytes: u64,
    /// Retransmitted or overlapping bytes that differ from the first copy (RFC 9293 leaves the
    /// choice to the receiver; a difference means evasion or corruption).
    pub conflicting_bytes: u64,
    /// Segments whose payload the snapshot length cut short.
    pub truncated_segments: u64,
    pub keepalives: u64,
    /// Segments far outside the window (more than [`MAX_WINDOW_JUMP`] ahead), ignored.
    pub out_of_window: u64,
    /// In a connection picked up mid-stream: bytes that came before the first byte seen, and
    /// so could not be put in the stream (a capture that started while segments were in
    /// flight out of order).
    pub unplaced_bytes: u64,
    pub fin: bool,
    pub rst: bool,
}

/// What is known about one connection; complete once it has ended.
#[derive(Clone, Debug, serde::Serialize)]
pub struct FlowSummary {
    pub id: FlowId,
    pub client: SocketAddr,
    pub server: SocketAddr,
    pub first_ts: Timestamp,
    pub last_ts: Timestamp,
    /// The SYN was seen, so the client side and the first byte of each stream are certain.
    pub handshake: bool,
    pub packets: u64,
    pub to_server: DirectionStats,
    pub to_client: DirectionStats,
    pub end: Option<EndReason>,
}

impl FlowSummary {
    pub fn stats(&self, dir: Direction) -> &DirectionStats {
        match dir {
            Direction::ClientToServer => &self.to_server,
            Direction::ServerToClient => &self.to_client,
        }
    }
    fn stats_mut(&mut self, dir: Direction) -> &mut DirectionStats {
        match dir {
            Direction::ClientToServer => &mut self.to_server,
            Direction::ServerToClient => &mut self.to_client,
        }
    }
}

/// What the flow table tells its sink.
#[derive(Clone, Debug)]
pub enum StreamEvent<'a> {
    /// The first segment of a new connection.
    Opened {
        flow: FlowId,
        ts: Timestamp,
        client: SocketAddr,
        server: SocketAddr,
        handshake: bool,
    },
    /// The next bytes of one direction, in order. `offset` counts from the stream's first byte.
    Data {
        flow: FlowId,
        dir: Direction,
        ts: Timestamp,
        frame: u64,
        offset: u64,
        bytes: &'a [u8],
    },
    /// `len` bytes at `offset` are missing; the next event of this direction starts after them.
    Gap {
        flow: FlowId,
        dir: Direction,
        ts: Timestamp,
        offset: u64,
        len: u64,
        cause: GapCause,
    },
    /// The connection ended; no more events for it follow.
    Closed { ts: Timestamp, summary: &'a FlowSummary },
}

/// Receives the flow table's events.
pub trait StreamSink {
    fn event(&mut self, event: StreamEvent<'_>);
    /// True once the sink can take no more (its output failed, or it has all it wanted);
    /// whoever feeds it then stops reading.
    fn stopped(&self) -> bool {
        false
    }
}

/// Tunables of the flow table.
#[derive(Clone, Debug)]
pub struct FlowConfig {
    /// Connections with an endpoint on one of these ports are tracked.
    pub ports: Vec<u16>,
    pub idle_timeout_secs: u32,
    pub max_flows: usize,
    pub max_buffered_per_direction: usize,
    pub max_buffered_total: usize,
}

impl Default for FlowConfig {
    fn default() -> Self {
        FlowConfig {
            ports: vec![110, 995],
            // RFC 1939 §3: a server's inactivity timer is at least 10 minutes.
            idle_timeout_secs: 600,
            max_flows: 10_000,
            max_buffered_per_direction: 1 << 20,
            max_buffered_total: 32 << 20,
        }
    }
}

/// A segment further ahead than this is not part of the stream (a TCP window is at most 1 GiB).
pub const MAX_WINDOW_JUMP: i64 = 1 << 30;
/// How many delivered bytes each direction remembers to check retransmissions against.
const RECENT_BYTES: usize = 16 * 1024;
/// How long a closed connection's entry stays, to recognise its late segments.
const CLOSED_LINGER_NANOS: i64 = 60_000_000_000;
const NANOS_PER_SEC: i64 = 1_000_000_000;

/// Counters for segments that belong to no open connection.
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct TableStats {
    /// Segments on other ports, skipped after the TCP header.
    pub other_port_segments: u64,
    /// Segments with data, FIN or RST that arrived after their connection had ended.
    pub late_segments: u64,
    /// Bare ACKs after a connection had ended (the last ACK of a FIN exchange): counted here,
    /// not in the connection's packets, which were reported when it ended.
    pub closing_acks: u64,
    pub flows: u64,
    pub evicted_flows: u64,
}

/// The connections being reassembled.
pub struct FlowTable {
    config: FlowConfig,
    /// foldhash: a seeded hash several times faster than SipHash on these small keys, which
    /// sit on the per-packet path.
    flows: HashMap<(SocketAddr, SocketAddr), Flow, foldhash::fast::RandomState>,
    next_id: FlowId,
    buffered_total: usize,
    next_sweep: Option<Timestamp>,
    pub stats: TableStats,
}

struct Flow {
    summary: FlowSummary,
    halves: [HalfStream; 2],
    closed_at: Option<Timestamp>,
}

/// One direction of a connection being put back in order.
#[derive(Default)]
struct HalfStream {
    /// The sequence number of the byte at stream offset `delivered`; unknown until the first
    /// segment of this direction.
    next_seq: Option<SeqNum>,
    /// Stream offset of the next byte to deliver (everything before has been delivered or gapped).
    delivered: u64,
    /// Out-of-order chunks by stream offset; they never overlap each other.
    pending: BTreeMap<u64, Chunk>,
    pending_bytes: usize,
    /// Stream offset of the FIN, once seen.
    fin_at: Option<u64>,
    /// The first byte is known from the SYN (else from the first segment seen).
    started_by_syn: bool,
    recent: Recent,
}

/// What a waiting chunk costs in memory beyond its bytes, so a flood of tiny chunks is bounded too.
const CHUNK_OVERHEAD: usize = 64;

struct Chunk {
    frame: u64,
    ts: Timestamp,
    /// Bytes, or `None` for a stretch the snapshot length cut off.
    data: Option<Vec<u8>>,
    len: u64,
}

impl Chunk {
    fn cost(&self) -> usize {
        self.data.as_ref().map_or(0, Vec::len) + CHUNK_OVERHEAD
    }
}

/// The last [`RECENT_BYTES`] delivered bytes, to compare retransmissions with.
#[derive(Default)]
struct Recent {
    ring: Vec<u8>,
    /// Stream offset just past the last byte written.
    end: u64,
    /// Bytes before this offset are not comparable (a gap lies in between).
    comparable_from: u64,
}

impl Recent {
    fn record(&mut self, offset: u64, bytes: &[u8]) {
        // Grow the ring only as far as the stream has come: most POP3 streams are short.
        let end = offset + bytes.len() as u64;
        let needed = end.min(RECENT_BYTES as u64) as usize;
        if self.ring.len() < needed {
            self.ring.resize(needed, 0);
        }
        let keep = &bytes[bytes.len().saturating_sub(RECENT_BYTES)..];
        let start = offset + (bytes.len() - keep.len()) as u64;
        let at = (start % RECENT_BYTES as u64) as usize;
        let (to_end, wrapped) = keep.split_at(keep.len().min(RECENT_BYTES - at));
        self.ring[at..at + to_end.len()].copy_from_slice(to_end);
        self.ring[..wrapped.len()].copy_from_slice(wrapped);
        self.end = offset + bytes.len() as u64;
    }

    fn skip(&mut self, until: u64) {
        self.end = until;
        self.comparable_from = until;
    }

    /// Counts the bytes of `bytes` (at `offset`) that differ from what was delivered there.
    fn conflicts(&self, offset: u64, bytes: &[u8]) -> u64 {
        let from = offset
            .max(self.comparable_from)
            .max(self.end.saturating_sub(RECENT_BYTES as u64));
        let to = (offset + bytes.len() as u64).min(self.end);
        (from..to)
            .filter(|&at| {
                let remembered = self.ring.get((at % RECENT_BYTES as u64) as usize);
                remembered.is_some_and(|&b| b != bytes[(at - offset) as usize])
            })
            .count() as u64
    }
}

impl FlowTable {
    pub fn new(config: FlowConfig) -> Self {
        FlowTable {
            config,
            flows: HashMap::default(),
            next_id: 1,
            buffered_total: 0,
            next_sweep: None,
            stats: TableStats::default(),
        }
    }

    pub fn config(&self) -> &FlowConfig {
        &self.config
    }

    /// Whether a segment between these ports belongs to a tracked connection.
    pub fn wants(&self, src_port: u16, dst_port: u16) -> bool {
        self.config.ports.contains(&src_port) || self.config.ports.contains(&dst_port)
    }

    /// Feeds one segment, captured at `ts` in frame number `frame`.
    pub fn segment(
        &mut self,
        frame: u64,
        ts: Timestamp,
        seg: &Segment<'_>,
        sink: &mut (impl StreamSink + ?Sized),
    ) {
        if !self.wants(seg.src.port(), seg.dst.port()) {
            self.stats.other_port_segments += 1;
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
        if self.buffered_total > self.config.max_buffered_total {
            self.relieve_memory(ts, sink);
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
            Flow {
                summary,
                halves: Default::default(),
                closed_at: None,
            },
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

    /// Closes idle connections and forgets closed ones, once per second of capture time.
    fn sweep(&mut self, now: Timestamp, sink: &mut (impl StreamSink + ?Sized)) {
        if self.next_sweep.is_some_and(|at| now < at) {
            return;
        }
        self.next_sweep = Some(Timestamp(now.0 + NANOS_PER_SEC));
        let idle = i64::from(self.config.idle_timeout_secs) * NANOS_PER_SEC;
        let mut idle_flows: Vec<_> = self
            .flows
            .values_mut()
            .filter(|f| f.closed_at.is_none() && now.0 - f.summary.last_ts.0 > idle)
            .collect();
        idle_flows.sort_by_key(|f| f.summary.id);
        for flow in idle_flows {
            self.buffered_total -= flow.buffered();
            flow.close(EndReason::Idle, now, sink);
        }
        self.flows.retain(|_, f| {
            f.closed_at
                .is_none_or(|closed| now.0 - closed.0 <= CLOSED_LINGER_NANOS)
        });
    }

    fn evict_one(&mut self, ts: Timestamp, sink: &mut (impl StreamSink + ?Sized)) {
        let oldest = self
            .flows
            .iter()
            .min_by_key(|(_, f)| (f.closed_at.is_none(), f.summary.last_ts))
            .map(|(key, _)| *key);
        if let Some(key) = oldest
            && let Some(mut flow) = self.flows.remove(&key)
            && flow.closed_at.is_none()
        {
            self.buffered_total -= flow.buffered();
            self.stats.evicted_flows += 1;
            flow.close(EndReason::Evicted, ts, sink);
        }
    }

    /// Gives up the waiting bytes of the connections that hold the most until under the limit.
    fn relieve_memory(&mut self, ts: Timestamp, sink: &mut (impl StreamSink + ?Sized)) {
        while self.buffered_total > self.config.max_buffered_total {
            let Some(flow) = self.flows.values_mut().max_by_key(|f| f.buffered()) else {
                break;
            };
            let before = flow.buffered();
            if before == 0 {
                break;
            }
            for dir in [Direction::ClientToServer, Direction::ServerToClient] {
                flow.flush(dir, GapCause::BufferLimit, ts, sink);
            }
            self.buffered_total -= before - flow.buffered();
        }
    }
}

fn canonical(a: SocketAddr, b: SocketAddr) -> (SocketAddr, SocketAddr) {
    if a <= b { (a, b) } else { (b, a) }
}

impl Flow {
    fn buffered(&self) -> usize {
        self.halves[0].pending_bytes + self.halves[1].pending_bytes
    }

    fn drop_buffers(&mut self) {
        for half in &mut self.halves {
            half.pending.clear();
            half.pending_bytes = 0;
        }
    }

    fn segment(
        &mut self,
        frame: u64,
        ts: Timestamp,
        seg: &Segment<'_>,
        config: &FlowConfig,
        sink: &mut (impl StreamSink + ?Sized),
    ) {
        let dir = if seg.src == self.summary.client {
            Direction::ClientToServer
        } else {
            Direction::ServerToClient
        };
        let id = self.summary.id;
        self.summary.packets += 1;
        self.summary.last_ts = ts;
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
        if half.pending_bytes > config.max_buffered_per_direction {
            half.flush(id, dir, GapCause::BufferLimit, ts, stats, sink);
        }
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
        sink.event(StreamEvent::Closed {
            ts,
            summary: &self.summary,
        });
    }
}

impl HalfStream {
    fn finished(&self) -> bool {
        self.fin_at.is_some_and(|fin| self.delivered >= fin)
    }

    /// Takes a segment's bytes at stream offset `offset`: delivers them if they are next, keeps
    /// them if they are early, counts them if they are old.
    #[allow(clippy::too_many_arguments)]
    fn accept(
        &mut self,
        flow: FlowId,
        dir: Direction,
        frame: u64,
        ts: Timestamp,
        offset: i64,
        payload: &[u8],
        missing: u64,
        stats: &mut DirectionStats,
        sink: &mut (impl StreamSink + ?Sized),
    ) {
        let wire_len = payload.len() as u64 + missing;
        if wire_len == 0 {
            return;
        }
        // Drop the part that lies before the stream start or was already delivered.
        let skip = (self.delivered as i64 - offset).clamp(0, wire_len as i64) as u64;
        // Bytes before the first byte of a stream picked up mid-connection arrived after later
        // ones were delivered: they are not retransmissions, they are bytes this capture
        // cannot place.
        let unplaced = if self.started_by_syn {
            0
        } else {
            (-offset).clamp(0, wire_len as i64) as u64
        };
        if skip > 0 {
            stats.retransmitted_bytes += skip - unplaced;
            stats.unplaced_bytes += unplaced;
            let seen = &payload[..(skip as usize).min(payload.len())];
            if offset >= 0 {
                stats.conflicting_bytes += self.recent.conflicts(offset as u64, seen);
            }
        }
        if skip == wire_len {
            return;
        }
        let start = (offset + skip as i64) as u64;
        let captured = payload.get(skip as usize..).unwrap_or(&[]);
        let missing = missing.min(wire_len - skip);
        if start == self.delivered && self.pending.is_empty() {
            // The common case: the next bytes, in order, delivered straight from the frame.
            self.deliver(flow, dir, frame, ts, captured, stats, sink);
            if missing > 0 {
                self.gap(flow, dir, ts, missing, GapCause::Truncated, stats, sink);
            }
            return;
        }
        self.keep(frame, ts, start, captured, missing, stats);
        self.drain(flow, dir, stats, sink);
    }

    /// Stores early bytes, trimmed against what already waits (the first copy wins).
    fn keep(
        &mut self,
        frame: u64,
        ts: Timestamp,
        start: u64,
        captured: &[u8],
        missing: u64,
        stats: &mut DirectionStats,
    ) {
        let end = start + captured.len() as u64 + missing;
        let mut pieces: Vec<(u64, u64)> = Vec::new();
        let mut cursor = start;
        let first_key = self
            .pending
            .range(..=start)
            .next_back()
            .map_or(start, |(k, _)| *k);
        for (&chunk_start, chunk) in self.pending.range(first_key..end) {
            let chunk_end = chunk_start + chunk.len;
            if chunk_end <= cursor {
                continue;
            }
            if chunk_start > cursor {
                pieces.push((cursor, chunk_start));
            }
            let (overlap_from, overlap_to) = (cursor.max(chunk_start), chunk_end.min(end));
            stats.retransmitted_bytes += overlap_to - overlap_from;
            if let Some(old) = &chunk.data {
                let new = byte_range(captured, start, overlap_from, overlap_to);
                let old = byte_range(old, chunk_start, overlap_from, overlap_to);
                stats.conflicting_bytes += new.iter().zip(old).filter(|(a, b)| a != b).count() as u64;
            }
            cursor = chunk_end;
            if cursor >= end {
                break;
            }
        }
        if cursor < end {
            pieces.push((cursor, end));
        }
        let captured_end = start + captured.len() as u64;
        for (from, to) in pieces {
            // A piece may straddle the end of the captured bytes: keep the two parts apart.
            if from < captured_end {
                let data_to = to.min(captured_end);
                let bytes = captured[(from - start) as usize..(data_to - start) as usize].to_vec();
                self.insert(
                    from,
                    Chunk {
                        frame,
                        ts,
                        len: data_to - from,
                        data: Some(bytes),
                    },
                );
            }
            if to > captured_end {
                let hole_from = from.max(captured_end);
                self.insert(
                    hole_from,
                    Chunk {
                        frame,
                        ts,
                        len: to - hole_from,
                        data: None,
                    },
                );
            }
        }
    }

    fn insert(&mut self, at: u64, chunk: Chunk) {
        self.pending_bytes += chunk.cost();
        self.pending.insert(at, chunk);
    }

    /// Delivers the waiting chunks that have become next in line.
    fn drain(
        &mut self,
        flow: FlowId,
        dir: Direction,
        stats: &mut DirectionStats,
        sink: &mut (impl StreamSink + ?Sized),
    ) {
        while let Some(entry) = self.pending.first_entry() {
            if *entry.key() > self.delivered {
                return;
            }
            let (chunk_start, chunk) = entry.remove_entry();
            let chunk_end = chunk_start + chunk.len;
            let skip = self.delivered - chunk_start;
            self.pending_bytes -= chunk.cost();
            if chunk_end <= self.delivered {
                continue;
            }
            match &chunk.data {
                Some(data) => self.deliver(
                    flow,
                    dir,
                    chunk.frame,
                    chunk.ts,
                    &data[skip as usize..],
                    stats,
                    sink,
                ),
                None => self.gap(
                    flow,
                    dir,
                    chunk.ts,
                    chunk_end - self.delivered,
                    GapCause::Truncated,
                    stats,
                    sink,
                ),
            }
        }
    }

    /// Gives up on the bytes not yet received: each hole before a waiting chunk becomes a gap.
    fn flush(
        &mut self,
        flow: FlowId,
        dir: Direction,
        cause: GapCause,
        ts: Timestamp,
        stats: &mut DirectionStats,
        sink: &mut (impl StreamSink + ?Sized),
    ) {
        while let Some((&next_start, _)) = self.pending.first_key_value() {
            if next_start > self.delivered {
                self.gap(flow, dir, ts, next_start - self.delivered, cause, stats, sink);
            }
            self.drain(flow, dir, stats, sink);
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn deliver(
        &mut self,
        flow: FlowId,
        dir: Direction,
        frame: u64,
        ts: Timestamp,
        bytes: &[u8],
        stats: &mut DirectionStats,
        sink: &mut (impl StreamSink + ?Sized),
    ) {
        if bytes.is_empty() {
            return;
        }
        let offset = self.delivered;
        self.recent.record(offset, bytes);
        self.advance(bytes.len() as u64);
        stats.bytes += bytes.len() as u64;
        sink.event(StreamEvent::Data {
            flow,
            dir,
            ts,
            frame,
            offset,
            bytes,
        });
    }

    #[allow(clippy::too_many_arguments)]
    fn gap(
        &mut self,
        flow: FlowId,
        dir: Direction,
        ts: Timestamp,
        len: u64,
        cause: GapCause,
        stats: &mut DirectionStats,
        sink: &mut (impl StreamSink + ?Sized),
    ) {
        let offset = self.delivered;
        self.advance(len);
        self.recent.skip(self.delivered);
        stats.gaps += 1;
        stats.gap_bytes += len;
        sink.event(StreamEvent::Gap {
            flow,
            dir,
            ts,
            offset,
            len,
            cause,
        });
    }

    fn advance(&mut self, len: u64) {
        self.delivered += len;
        self.next_seq = self.next_seq.map(|seq| seq.plus(len as u32));
    }
}

/// The part `[from, to)` of `bytes`, which start at stream offset `start`.
fn byte_range(bytes: &[u8], start: u64, from: u64, to: u64) -> &[u8] {
    let lo = (from.saturating_sub(start) as usize).min(bytes.len());
    let hi = (to.saturating_sub(start) as usize).clamp(lo, bytes.len());
    &bytes[lo..hi]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::TcpFlags;
    use proptest::prelude::*;

    const CLIENT: &str = "192.0.2.1:50000";
    const SERVER: &str = "192.0.2.2:110";
    const C: Direction = Direction::ClientToServer;
    const S: Direction = Direction::ServerToClient;
    const CLIENT_ISN: u32 = 1000;
    const SERVER_ISN: u32 = 9000;

    #[derive(Debug, Clone, PartialEq, Eq)]
    enum Piece {
        Data(Vec<u8>),
        Gap(u64, GapCause),
    }

    /// Records what the table delivers, checking that offsets follow on without holes.
    #[derive(Default)]
    struct Recorder {
        opened: Vec<(FlowId, SocketAddr, SocketAddr, bool)>,
        pieces: HashMap<(FlowId, Direction), Vec<Piece>>,
        next_offset: HashMap<(FlowId, Direction), u64>,
        closed: Vec<FlowSummary>,
    }

    impl StreamSink for Recorder {
        fn event(&mut self, event: StreamEvent<'_>) {
            match event {
                StreamEvent::Opened {
                    flow,
                    client,
                    server,
                    handshake,
                    ..
                } => self.opened.push((flow, client, server, handshake)),
                StreamEvent::Data {
                    flow,
                    dir,
                    offset,
                    bytes,
                    ..
                } => {
                    let next = self.next_offset.entry((flow, dir)).or_default();
                    assert_eq!(offset, *next, "data must follow on from what came before");
                    *next += bytes.len() as u64;
                    self.pieces
                        .entry((flow, dir))
                        .or_default()
                        .push(Piece::Data(bytes.to_vec()));
                }
                StreamEvent::Gap {
                    flow,
                    dir,
                    offset,
                    len,
                    cause,
                    ..
                } => {
                    let next = self.next_offset.entry((flow, dir)).or_default();
                    assert_eq!(offset, *next, "a gap must follow on from what came before");
                    *next += len;
                    self.pieces
                        .entry((flow, dir))
                        .or_default()
                        .push(Piece::Gap(len, cause));
                }
                StreamEvent::Closed { summary, .. } => self.closed.push(summary.clone()),
            }
        }
    }

    impl Recorder {
        /// The stream as delivered, with gaps shown as `<gap N>`.
        fn stream(&self, flow: FlowId, dir: Direction) -> String {
            let mut out = String::new();
            for piece in self.pieces.get(&(flow, dir)).into_iter().flatten() {
                match piece {
                    Piece::Data(bytes) => out.push_str(&String::from_utf8_lossy(bytes)),
                    Piece::Gap(len, _) => out.push_str(&format!("<gap {len}>")),
                }
            }
            out
        }
        fn gap_causes(&self, flow: FlowId, dir: Direction) -> Vec<GapCause> {
            let pieces = self.pieces.get(&(flow, dir)).into_iter().flatten();
            pieces
                .filter_map(|p| if let Piece::Gap(_, c) = p { Some(*c) } else { None })
                .collect()
        }
    }

    /// A conversation on one connection, with sequence numbers given relative to each side's ISN.
    struct Wire {
        table: FlowTable,
        sink: Recorder,
        frame: u64,
        ts: Timestamp,
        client: SocketAddr,
        server: SocketAddr,
    }

    impl Wire {
        fn new() -> Self {
            Wire::with_config(FlowConfig::default())
        }
        fn with_config(config: FlowConfig) -> Self {
            Wire {
                table: FlowTable::new(config),
                sink: Recorder::default(),
                frame: 0,
                ts: Timestamp(1_000_000_000),
                client: CLIENT.parse().unwrap(),
                server: SERVER.parse().unwrap(),
            }
        }
        fn send(&mut self, dir: Direction, seq: u32, flags: TcpFlags, payload: &[u8], missing: u32) {
            let (src, dst, isn) = match dir {
                C => (self.client, self.server, CLIENT_ISN),
                S => (self.server, self.client, SERVER_ISN),
            };
            let segment = Segment {
                src,
                dst,
                seq: SeqNum(isn.wrapping_add(seq)),
                ack: SeqNum(0),
                flags,
                payload,
                missing,
            };
            self.frame += 1;
            self.ts.0 += 1_000_000;
            self.table.segment(self.frame, self.ts, &segment, &mut self.sink);
        }
        fn handshake(&mut self) {
            self.send(C, 0, syn(), b"", 0);
            self.send(S, 0, syn_ack(), b"", 0);
            self.send(C, 1, ack(), b"", 0);
        }
        /// `data` sent at relative sequence `seq` (1 = the first byte after the SYN).
        fn data(&mut self, dir: Direction, seq: u32, data: &str) {
            self.send(dir, seq, ack(), data.as_bytes(), 0);
        }
        fn fin(&mut self, dir: Direction, seq: u32) {
            self.send(
                dir,
                seq,
                TcpFlags {
                    fin: true,
                    ack: true,
                    ..TcpFlags::default()
                },
                b"",
                0,
            );
        }
        fn finish(&mut self) {
            self.table.finish(self.ts, &mut self.sink);
        }
        fn summary(&self) -> &FlowSummary {
            self.sink.closed.last().expect("the connection has closed")
        }
    }

    fn syn() -> TcpFlags {
        TcpFlags {
            syn: true,
            ..TcpFlags::default()
        }
    }
    fn syn_ack() -> TcpFlags {
        TcpFlags {
            syn: true,
            ack: true,
            ..TcpFlags::default()
        }
    }
    fn ack() -> TcpFlags {
        TcpFlags {
            ack: true,
            ..TcpFlags::default()
        }
    }

    #[test]
    fn in_order_segments_arrive_as_sent() {
        let mut w = Wire::new();
        w.handshake();
        w.data(S, 1, "+OK ready\r\n");
        w.data(C, 1, "USER alice\r\n");
        w.data(S, 12, "+OK\r\n");
        w.fin(C, 13);
        w.fin(S, 17);
        assert_eq!(w.sink.stream(1, C), "USER alice\r\n");
        assert_eq!(w.sink.stream(1, S), "+OK ready\r\n+OK\r\n");
        assert_eq!(w.summary().end, Some(EndReason::Fin));
        assert!(w.summary().handshake);
        assert_eq!(w.sink.opened, vec![(1, w.client, w.server, true)]);
    }

    #[test]
    fn an_early_segment_waits_for_the_one_before_it() {
        let mut w = Wire::new();
        w.handshake();
        w.data(S, 6, "world\r\n");
        assert_eq!(w.sink.stream(1, S), "");
        w.data(S, 1, "hello");
        assert_eq!(w.sink.stream(1, S), "helloworld\r\n");
    }

    #[test]
    fn a_retransmission_is_counted_not_delivered_twice() {
        let mut w = Wire::new();
        w.handshake();
        w.data(C, 1, "STAT\r\n");
        w.data(C, 1, "STAT\r\n");
        w.finish();
        assert_eq!(w.sink.stream(1, C), "STAT\r\n");
        assert_eq!(w.summary().to_server.retransmitted_bytes, 6);
        assert_eq!(w.summary().to_server.conflicting_bytes, 0);
    }

    #[test]
    fn a_retransmission_with_different_bytes_is_a_conflict_and_the_first_copy_wins() {
        let mut w = Wire::new();
        w.handshake();
        w.data(C, 1, "RETR 1\r\n");
        w.data(C, 1, "DELE 1\r\n");
        w.finish();
        assert_eq!(w.sink.stream(1, C), "RETR 1\r\n");
        // R/D, T/L and R/E differ; the E in the middle is the same.
        assert_eq!(w.summary().to_server.conflicting_bytes, 3);
    }

    #[test]
    fn overlapping_early_segments_keep_the_first_copy_and_flag_differences() {
        let mut w = Wire::new();
        w.handshake();
        w.data(C, 5, "abcdef");
        w.data(C, 8, "XYZghi");
        w.data(C, 1, "0123");
        w.finish();
        assert_eq!(w.sink.stream(1, C), "0123abcdefghi");
        let stats = &w.summary().to_server;
        assert_eq!(stats.retransmitted_bytes, 3);
        assert_eq!(stats.conflicting_bytes, 3);
    }

    #[test]
    fn a_lost_segment_is_a_gap_never_glued_over() {
        let mut w = Wire::new();
        w.handshake();
        w.data(S, 1, "+OK\r\n");
        w.data(S, 11, "tail\r\n");
        w.fin(S, 17);
        w.fin(C, 1);
        // Both sides said goodbye, but a retransmission of the hole may still come: wait.
        assert!(w.sink.closed.is_empty());
        w.finish();
        assert_eq!(w.sink.stream(1, S), "+OK\r\n<gap 5>tail\r\n");
        assert_eq!(w.sink.gap_causes(1, S), vec![GapCause::NotCaptured]);
        assert_eq!(w.summary().to_client.gap_bytes, 5);
        assert_eq!(w.summary().end, Some(EndReason::Fin));
    }

    #[test]
    fn bytes_missing_before_a_fin_are_a_gap_at_the_end() {
        let mut w = Wire::new();
        w.handshake();
        w.data(S, 1, "+OK\r\n");
        w.fin(S, 20);
        w.fin(C, 1);
        w.finish();
        assert_eq!(w.sink.stream(1, S), "+OK\r\n<gap 14>");
    }

    #[test]
    fn sequence_numbers_wrap_around_2_to_the_32() {
        let mut w = Wire::new();
        // The server's first byte sits 3 below 2^32.
        let near_wrap = u32::MAX - 3 - SERVER_ISN;
        w.send(S, near_wrap, ack(), b"+OK ", 0);
        w.send(S, near_wrap.wrapping_add(4), ack(), b"wrapped\r\n", 0);
        w.finish();
        assert_eq!(w.sink.stream(1, S), "+OK wrapped\r\n");
        assert_eq!(w.summary().to_client.gaps, 0);
    }

    #[test]
    fn a_keepalive_probe_is_ignored() {
        let mut w = Wire::new();
        w.handshake();
        w.data(C, 1, "NOOP\r\n");
        // A keep-alive repeats the last byte (or none) one below the next sequence number.
        w.send(C, 6, ack(), b"\0", 0);
        w.finish();
        assert_eq!(w.sink.stream(1, C), "NOOP\r\n");
        assert_eq!(w.summary().to_server.keepalives, 1);
        assert_eq!(w.summary().to_server.conflicting_bytes, 0);
    }

    #[test]
    fn a_reset_ends_the_connection_and_later_segments_are_counted() {
        let mut w = Wire::new();
        w.handshake();
        w.data(C, 1, "RETR 1\r\n");
        w.send(
            C,
            9,
            TcpFlags {
                rst: true,
                ..TcpFlags::default()
            },
            b"",
            0,
        );
        assert_eq!(w.summary().end, Some(EndReason::Rst));
        w.data(S, 1, "+OK too late\r\n");
        assert_eq!(w.table.stats.late_segments, 1);
        assert_eq!(w.sink.closed.len(), 1);
    }

    #[test]
    fn a_connection_picked_up_mid_stream_starts_at_the_first_byte_seen() {
        let mut w = Wire::new();
        w.data(S, 500, "+OK 2 320\r\n");
        w.data(C, 77, "QUIT\r\n");
        w.finish();
        assert_eq!(w.sink.stream(1, S), "+OK 2 320\r\n");
        assert_eq!(w.sink.stream(1, C), "QUIT\r\n");
        // No SYN: the client is the side not on the POP3 port.
        assert_eq!(w.sink.opened, vec![(1, w.client, w.server, false)]);
        assert_eq!(w.summary().end, Some(EndReason::Eof));
    }

    #[test]
    fn bytes_before_the_first_one_seen_mid_stream_are_unplaced_not_retransmitted() {
        let mut w = Wire::new();
        w.data(S, 100, "later bytes\r\n");
        w.data(S, 90, "earlier b\r\n");
        w.finish();
        assert_eq!(w.sink.stream(1, S), "later bytes\r\n");
        let stats = &w.summary().to_client;
        assert_eq!((stats.unplaced_bytes, stats.retransmitted_bytes), (10, 1));
    }

    #[test]
    fn a_segment_cut_by_the_snapshot_length_leaves_a_truncated_gap() {
        let mut w = Wire::new();
        w.handshake();
        w.send(S, 1, ack(), b"+OK 1", 10);
        w.data(S, 16, "more\r\n");
        w.finish();
        assert_eq!(w.sink.stream(1, S), "+OK 1<gap 10>more\r\n");
        assert_eq!(w.sink.gap_causes(1, S), vec![GapCause::Truncated]);
        assert_eq!(w.summary().to_client.truncated_segments, 1);
    }

    #[test]
    fn a_truncated_segment_that_arrives_early_keeps_its_hole() {
        let mut w = Wire::new();
        w.handshake();
        w.send(S, 6, ack(), b"abc", 4);
        w.data(S, 1, "12345");
        w.finish();
        assert_eq!(w.sink.stream(1, S), "12345abc<gap 4>");
    }

    #[test]
    fn too_many_waiting_bytes_give_up_the_hole() {
        let config = FlowConfig {
            max_buffered_per_direction: 100,
            ..FlowConfig::default()
        };
        let mut w = Wire::with_config(config);
        w.handshake();
        w.data(S, 11, &"x".repeat(200));
        assert_eq!(w.sink.stream(1, S), format!("<gap 10>{}", "x".repeat(200)));
        assert_eq!(w.sink.gap_causes(1, S), vec![GapCause::BufferLimit]);
    }

    #[test]
    fn the_flow_limit_evicts_the_least_recently_active_connection() {
        let config = FlowConfig {
            max_flows: 1,
            ..FlowConfig::default()
        };
        let mut w = Wire::with_config(config);
        w.handshake();
        w.data(C, 1, "USER a\r\n");
        w.client = "192.0.2.1:50001".parse().unwrap();
        w.handshake();
        assert_eq!(w.sink.closed.len(), 1);
        assert_eq!(w.sink.closed[0].end, Some(EndReason::Evicted));
        assert_eq!(w.table.stats.evicted_flows, 1);
    }

    #[test]
    fn an_idle_connection_is_closed_after_the_timeout() {
        let config = FlowConfig {
            idle_timeout_secs: 5,
            ..FlowConfig::default()
        };
        let mut w = Wire::with_config(config);
        w.handshake();
        w.ts.0 += 10_000_000_000;
        w.client = "192.0.2.1:50001".parse().unwrap();
        w.handshake();
        assert_eq!(w.sink.closed.len(), 1);
        assert_eq!(w.sink.closed[0].end, Some(EndReason::Idle));
    }

    #[test]
    fn other_ports_are_skipped() {
        let mut w = Wire::new();
        w.server = "192.0.2.2:25".parse().unwrap();
        w.handshake();
        w.finish();
        assert!(w.sink.opened.is_empty());
        assert_eq!(w.table.stats.other_port_segments, 3);
    }

    #[test]
    fn a_new_syn_on_a_closed_connection_opens_a_new_one() {
        let mut w = Wire::new();
        w.handshake();
        w.send(
            C,
            1,
            TcpFlags {
                rst: true,
                ..TcpFlags::default()
            },
            b"",
            0,
        );
        w.handshake();
        w.finish();
        assert_eq!(w.sink.opened.len(), 2);
        assert_eq!(
            w.sink.closed.iter().map(|s| s.end).collect::<Vec<_>>(),
            [Some(EndReason::Rst), Some(EndReason::Eof)]
        );
    }

    /// The simple truth the reassembler must agree with: every byte position holds the value of
    /// the first segment that covered it; positions no segment covered are missing.
    fn oracle(segments: &[(u32, Vec<u8>)]) -> (Vec<Option<u8>>, u64) {
        let mut bytes: Vec<Option<u8>> = Vec::new();
        let mut conflicts = 0;
        for (offset, data) in segments {
            for (i, &b) in data.iter().enumerate() {
                let at = *offset as usize + i;
                if bytes.len() <= at {
                    bytes.resize(at + 1, None);
                }
                match bytes[at] {
                    None => bytes[at] = Some(b),
                    Some(first) => conflicts += u64::from(first != b),
                }
            }
        }
        (bytes, conflicts)
    }

    proptest! {
        #[test]
        fn reassembly_agrees_with_a_byte_map_oracle(
            segments in prop::collection::vec((0u32..600, prop::collection::vec(b'a'..=b'd', 1..80)), 1..40),
            isn in any::<u32>(),
        ) {
            let mut table = FlowTable::new(FlowConfig::default());
            let mut sink = Recorder::default();
            let client: SocketAddr = CLIENT.parse().unwrap();
            let server: SocketAddr = SERVER.parse().unwrap();
            let syn = Segment { src: client, dst: server, seq: SeqNum(isn), ack: SeqNum(0), flags: syn(), payload: b"", missing: 0 };
            table.segment(1, Timestamp(0), &syn, &mut sink);
            for (i, (offset, data)) in segments.iter().enumerate() {
                let seq = SeqNum(isn).plus(1 + offset);
                let segment = Segment { src: client, dst: server, seq, ack: SeqNum(0), flags: ack(), payload: data, missing: 0 };
                table.segment(i as u64 + 2, Timestamp(0), &segment, &mut sink);
            }
            table.finish(Timestamp(0), &mut sink);

            let (truth, conflicts) = oracle(&segments);
            let mut delivered: Vec<Option<u8>> = Vec::new();
            for piece in sink.pieces.get(&(1, C)).into_iter().flatten() {
                match piece {
                    Piece::Data(bytes) => delivered.extend(bytes.iter().map(|&b| Some(b))),
                    Piece::Gap(len, _) => delivered.extend(std::iter::repeat_n(None, *len as usize)),
                }
            }
            prop_assert_eq!(&delivered, &truth);
            let stats = &sink.closed[0].to_server;
            prop_assert_eq!(stats.conflicting_bytes, conflicts);
            prop_assert_eq!(stats.bytes + stats.gap_bytes, truth.len() as u64);
        }

        #[test]
        fn any_segments_in_any_order_never_panic(
            segments in prop::collection::vec((any::<bool>(), any::<u32>(), any::<u8>(), prop::collection::vec(any::<u8>(), 0..64), 0u32..100), 0..60),
        ) {
            let mut table = FlowTable::new(FlowConfig { max_buffered_per_direction: 256, max_buffered_total: 512, max_flows: 2, ..FlowConfig::default() });
            let mut sink = Recorder::default();
            let ends: [SocketAddr; 3] = ["192.0.2.1:50000".parse().unwrap(), "192.0.2.2:110".parse().unwrap(), "192.0.2.3:995".parse().unwrap()];
            for (i, (from_client, seq, flags, payload, missing)) in segments.iter().enumerate() {
                let flags = TcpFlags { syn: flags & 1 != 0, ack: flags & 2 != 0, fin: flags & 4 != 0, rst: flags & 8 != 0 };
                let server = ends[1 + (i % 2)];
                let (src, dst) = if *from_client { (ends[0], server) } else { (server, ends[0]) };
                let segment = Segment { src, dst, seq: SeqNum(*seq), ack: SeqNum(0), flags, payload, missing: *missing };
                table.segment(i as u64, Timestamp(i as i64 * 1_000_000_000), &segment, &mut sink);
            }
            table.finish(Timestamp(0), &mut sink);
        }
    }
}
