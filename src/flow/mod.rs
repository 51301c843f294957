//! Flow: the TCP flow table and per-direction reassembly.
//!
//! Contract:
//! - Input: [`crate::wire::Segment`]s in capture order. Output: [`StreamEvent`]s pushed to a [`StreamSink`]:
//!   each direction of each connection as one in-order byte stream, numbered by stream offset.
//! - Every byte position of a stream is delivered exactly once, either as data or inside an
//!   explicit [`StreamEvent::Gap`]; bytes on either side of a gap are never glued together.
//! - Out-of-order segments wait in a bounded buffer; retransmitted and overlapping bytes are
//!   dropped (the first copy wins) and counted, and an overlap that carries different bytes is
//!   counted as a conflict.
//! - Sequence numbers wrap ([`crate::wire::SeqNum`]); connections picked up mid-stream start at the first byte
//!   seen; keep-alive probes are recognised and ignored.
//! - Memory is bounded: at most [`FlowConfig::max_buffered_per_direction`] bytes wait per
//!   direction and [`FlowConfig::max_buffered_total`] over all flows (beyond that the missing
//!   stretch is declared a gap so the stream can move on), and at most [`FlowConfig::max_flows`]
//!   flows are tracked (the least recently active one is closed as evicted).
//! - Only flows with an endpoint on one of [`FlowConfig::ports`] are tracked; other segments cost
//!   a port comparison.
//! - No clock: time comes from the segments. No I/O. Never panics on any input.

use std::net::SocketAddr;

use crate::base::{Direction, Timestamp};

/// A connection's number: 1 for the first connection seen in the capture, and so on.
pub type FlowId = u64;

/// How a connection ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
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
    /// The reason as JSON and the text output spell it: `fin`, `rst`, `eof`, `idle`, `evicted`.
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
#[non_exhaustive]
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
    /// Segments with payload, retransmissions included; keep-alive probes and out-of-window
    /// segments not.
    pub segments: u64,
    /// The [`StreamEvent::Gap`]s of this direction.
    pub gaps: u64,
    /// The bytes those gaps cover.
    pub gap_bytes: u64,
    /// Bytes that arrived again after they had been received (retransmissions, overlaps).
    pub retransmitted_bytes: u64,
    /// Retransmitted or overlapping bytes that differ from the first copy (RFC 9293 leaves the
    /// choice to the receiver; a difference means evasion or corruption).
    pub conflicting_bytes: u64,
    /// Segments whose payload the snapshot length cut short.
    pub truncated_segments: u64,
    /// Keep-alive probes (RFC 9293 §3.8.4): at most one byte, one before the next sequence
    /// number; ignored.
    pub keepalives: u64,
    /// Segments far outside the window (more than [`MAX_WINDOW_JUMP`] ahead), ignored.
    pub out_of_window: u64,
    /// In a connection picked up mid-stream: bytes that came before the first byte seen, and
    /// so could not be put in the stream (a capture that started while segments were in
    /// flight out of order).
    pub unplaced_bytes: u64,
    /// This side sent FIN: it will send no more data.
    pub fin: bool,
    /// This side sent RST.
    pub rst: bool,
}

/// What is known about one connection; complete once it has ended.
#[derive(Clone, Debug, serde::Serialize)]
pub struct FlowSummary {
    /// The connection's number, as its [`StreamEvent`]s carry it.
    pub id: FlowId,
    /// The side that sent the SYN; without one, the side not on a tracked port (the higher port
    /// when both or neither are).
    pub client: SocketAddr,
    /// The other side, normally the one on one of [`FlowConfig::ports`].
    pub server: SocketAddr,
    /// Capture time of its first segment.
    pub first_ts: Timestamp,
    /// Capture time of its latest segment.
    pub last_ts: Timestamp,
    /// The SYN was seen, so the client side and the first byte of each stream are certain.
    pub handshake: bool,
    /// Segments seen on it in both directions, keep-alives and ignored ones included.
    pub packets: u64,
    /// Counters of the client-to-server direction.
    pub to_server: DirectionStats,
    /// Counters of the server-to-client direction.
    pub to_client: DirectionStats,
    /// How it ended; `None` while it is open.
    pub end: Option<EndReason>,
}

impl FlowSummary {
    /// The counters of the direction `dir`: [`to_server`](Self::to_server) or
    /// [`to_client`](Self::to_client).
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
#[non_exhaustive]
pub enum StreamEvent<'a> {
    /// The first segment of a new connection.
    Opened {
        /// The number the later events of this connection carry.
        flow: FlowId,
        /// Capture time of the segment.
        ts: Timestamp,
        /// The client side, as [`FlowSummary::client`] tells it.
        client: SocketAddr,
        /// The server side.
        server: SocketAddr,
        /// The segment is a SYN or SYN-ACK: the capture has the connection's start.
        handshake: bool,
    },
    /// The next bytes of one direction, in order. `offset` counts from the stream's first byte.
    Data {
        /// The connection.
        flow: FlowId,
        /// Which side sent the bytes.
        dir: Direction,
        /// Capture time of the segment that carried them.
        ts: Timestamp,
        /// Number of the frame that carried them.
        frame: u64,
        /// Stream offset of `bytes[0]`.
        offset: u64,
        /// The payload: borrowed from the frame, or from the buffer where it waited out of order.
        bytes: &'a [u8],
    },
    /// `len` bytes at `offset` are missing; the next event of this direction starts after them.
    Gap {
        /// The connection.
        flow: FlowId,
        /// The direction with the hole.
        dir: Direction,
        /// When the gap became certain; for [`GapCause::Truncated`], the cut packet's capture time.
        ts: Timestamp,
        /// Stream offset of the first missing byte.
        offset: u64,
        /// The number of missing bytes.
        len: u64,
        /// Why they are missing.
        cause: GapCause,
    },
    /// A retransmission carried different bytes than the first copy (which was kept): a sign
    /// of TCP injection or of a broken middlebox.
    Conflict {
        /// The connection.
        flow: FlowId,
        /// The direction of the two copies.
        dir: Direction,
        /// When the second copy was captured.
        ts: Timestamp,
        /// Its frame.
        frame: u64,
        /// Stream offset of the first byte that differs.
        offset: u64,
        /// How many of the overlapping bytes differ.
        differing: u64,
        /// The copy that was kept, from the first difference (a few dozen bytes at most).
        kept: &'a [u8],
        /// The other copy, from the same offset and as long at most.
        other: &'a [u8],
    },
    /// The connection ended; no more events for it follow.
    Closed {
        /// When it ended: the closing segment's capture time, or when it was found idle, was
        /// evicted, or the capture ended.
        ts: Timestamp,
        /// Everything counted about it, with [`FlowSummary::end`] set.
        summary: &'a FlowSummary,
    },
}

impl StreamEvent<'_> {
    /// The connection the event is about.
    pub fn flow(&self) -> FlowId {
        match self {
            StreamEvent::Opened { flow, .. }
            | StreamEvent::Data { flow, .. }
            | StreamEvent::Gap { flow, .. }
            | StreamEvent::Conflict { flow, .. } => *flow,
            StreamEvent::Closed { summary, .. } => summary.id,
        }
    }
}

/// Receives the flow table's events.
pub trait StreamSink {
    /// Takes the next event: in capture order, and for each direction in stream order.
    fn event(&mut self, event: StreamEvent<'_>);
    /// With [`FlowConfig::detect`]: false once the sink has found that `flow` does not carry
    /// what it is looking for; the table then stops following it (its later segments are
    /// counted, not kept).
    fn keeps(&mut self, flow: FlowId) -> bool {
        let _ = flow;
        true
    }
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
    /// Every connection is tracked, whatever its ports, until the sink finds it is not POP3
    /// ([`StreamSink::keeps`]): POP3 recognised by content, as Zeek's dynamic protocol
    /// detection does.
    pub detect: bool,
    /// Seconds of capture time without a segment after which a connection is closed as
    /// [`EndReason::Idle`].
    pub idle_timeout_secs: u32,
    /// Connections tracked at once; one more evicts the least recently active.
    pub max_flows: usize,
    /// Connections given up (evicted, or not POP3) remembered, so that their late segments do
    /// not open them again.
    pub max_forgotten: usize,
    /// Bytes one direction may hold out of order (with a small overhead per segment);
    /// beyond that the hole before them is declared a gap.
    pub max_buffered_per_direction: usize,
    /// Bytes all connections together may hold out of order; beyond that, those holding
    /// the most give up their holes as gaps.
    pub max_buffered_total: usize,
    /// Only the connections of shard `k` of `n` (0-based `k`): the connections are split by a
    /// hash of their two endpoints that is the same in both directions and on every machine,
    /// so that `n` processes, each given one shard, report every connection once between them.
    pub shard: Option<(u32, u32)>,
}

/// A hash of the connection between `a` and `b`: FNV-1a over the two endpoints in a fixed
/// order, so that both directions, every run and every machine agree.
pub fn connection_hash(a: std::net::SocketAddr, b: std::net::SocketAddr) -> u64 {
    let (first, second) = if a <= b { (a, b) } else { (b, a) };
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    let mut eat = |bytes: &[u8]| {
        for &byte in bytes {
            hash ^= u64::from(byte);
            hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
        }
    };
    for end in [first, second] {
        match end.ip() {
            std::net::IpAddr::V4(ip) => eat(&ip.octets()),
            std::net::IpAddr::V6(ip) => eat(&ip.octets()),
        }
        eat(&end.port().to_be_bytes());
    }
    hash
}

/// The shard of `n` that the connection between `a` and `b` falls in ([`connection_hash`]).
pub fn shard_of(a: std::net::SocketAddr, b: std::net::SocketAddr, n: u32) -> u32 {
    (connection_hash(a, b) % u64::from(n.max(1))) as u32
}

impl FlowConfig {
    /// Whether a segment between these ports may belong to a followed connection.
    pub fn wants(&self, src_port: u16, dst_port: u16) -> bool {
        self.detect || self.ports.contains(&src_port) || self.ports.contains(&dst_port)
    }

    /// Whether the connection between these endpoints is in this process's shard.
    pub fn in_shard(&self, src: std::net::SocketAddr, dst: std::net::SocketAddr) -> bool {
        self.shard.is_none_or(|(k, n)| shard_of(src, dst, n) == k)
    }

    /// Whether the connection between these endpoints is followed: [`wants`](Self::wants) and
    /// [`in_shard`](Self::in_shard).
    pub fn follows(&self, src: std::net::SocketAddr, dst: std::net::SocketAddr) -> bool {
        self.wants(src.port(), dst.port()) && self.in_shard(src, dst)
    }
}

impl Default for FlowConfig {
    fn default() -> Self {
        FlowConfig {
            ports: vec![110, 995],
            detect: false,
            // RFC 1939 §3: a server's inactivity timer is at least 10 minutes.
            idle_timeout_secs: 600,
            max_flows: 10_000,
            max_forgotten: 65_536,
            max_buffered_per_direction: 1 << 20,
            max_buffered_total: 32 << 20,
            shard: None,
        }
    }
}

/// A segment further ahead than this is not part of the stream (a TCP window is at most 1 GiB).
pub const MAX_WINDOW_JUMP: i64 = 1 << 30;

fn busiest_five<S: serde::Serializer>(
    counts: &std::collections::HashMap<u16, u64>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    use serde::ser::SerializeSeq;
    let busiest = busiest(counts, 5);
    #[derive(serde::Serialize)]
    struct PortCount {
        port: u16,
        segments: u64,
    }
    let mut seq = serializer.serialize_seq(Some(busiest.len()))?;
    for (port, segments) in busiest {
        seq.serialize_element(&PortCount { port, segments })?;
    }
    seq.end()
}

fn busiest(counts: &std::collections::HashMap<u16, u64>, n: usize) -> Vec<(u16, u64)> {
    let mut ports: Vec<(u16, u64)> = counts.iter().map(|(&p, &c)| (p, c)).collect();
    ports.sort_unstable_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    ports.truncate(n);
    ports
}

impl TableStats {
    /// Adds the counts of another table's (one worker's of a parallel run).
    pub fn add(&mut self, other: &TableStats) {
        let TableStats {
            other_port_segments,
            other_shard_segments,
            other_port_counts,
            late_segments,
            closing_acks,
            flows,
            evicted_flows,
            not_pop3_flows,
            not_pop3_segments,
            unchecked_flows,
        } = other;
        self.other_port_segments += other_port_segments;
        self.other_shard_segments += other_shard_segments;
        for (port, count) in other_port_counts {
            *self.other_port_counts.entry(*port).or_default() += count;
        }
        self.late_segments += late_segments;
        self.closing_acks += closing_acks;
        self.flows += flows;
        self.evicted_flows += evicted_flows;
        self.not_pop3_flows += not_pop3_flows;
        self.not_pop3_segments += not_pop3_segments;
        self.unchecked_flows += unchecked_flows;
    }

    /// The `n` ports that carried the most skipped segments, with their counts.
    pub fn busiest_other_ports(&self, n: usize) -> Vec<(u16, u64)> {
        busiest(&self.other_port_counts, n)
    }
}

/// Counters for segments that belong to no open connection.
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct TableStats {
    /// Segments on other ports, skipped after the TCP header.
    pub other_port_segments: u64,
    /// Segments of connections in other shards (`--shard`), skipped after the TCP header.
    pub other_shard_segments: u64,
    /// Those segments by the lower port of each (the server's, as a rule: clients use high,
    /// ephemeral ports), the busiest first ([`TableStats::busiest_other_ports`]).
    #[serde(rename = "other_ports", serialize_with = "busiest_five")]
    pub other_port_counts: std::collections::HashMap<u16, u64>,
    /// Segments with data, FIN or RST that arrived after their connection had ended.
    pub late_segments: u64,
    /// Bare ACKs after a connection had ended (the last ACK of a FIN exchange): counted here,
    /// not in the connection's packets, which were reported when it ended.
    pub closing_acks: u64,
    /// Connections opened.
    pub flows: u64,
    /// Connections closed early to stay within [`FlowConfig::max_flows`].
    pub evicted_flows: u64,
    /// With [`FlowConfig::detect`]: connections given up because their content is not POP3.
    pub not_pop3_flows: u64,
    /// Segments of those connections after they were given up.
    pub not_pop3_segments: u64,
    /// Connections whose remembered bytes the memory budget took: their later retransmissions
    /// were not compared with what was delivered (a conflict there goes unseen).
    pub unchecked_flows: u64,
}

mod community_id;
mod ranges;
mod stream;
mod table;
#[cfg(test)]
mod tests;

pub use community_id::community_id;
pub use table::{FlowTable, SweepClock};
