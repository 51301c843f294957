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

use std::net::SocketAddr;

use crate::base::{Direction, Timestamp};

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

mod stream;
mod table;
#[cfg(test)]
mod tests;

pub use table::FlowTable;
