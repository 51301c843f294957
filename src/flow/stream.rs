//! One direction of a connection put back in order: waiting chunks, retransmissions, gaps.

use super::ranges::Ranges;
use super::{DirectionStats, FlowId, GapCause, StreamEvent, StreamSink};
use crate::base::{Direction, Timestamp};
use crate::wire::SeqNum;

/// How many delivered bytes each direction remembers to check retransmissions against: a
/// retransmitted segment of a real link (1,460 bytes) fits whole, a GRO-merged one of a
/// loopback capture is compared as far as it reaches back. The memory counts in the flow
/// table's budget.
const RECENT_BYTES: usize = 4 * 1024;

/// Bytes of each copy a conflict shows, from the first difference: both fit on a line.
const CONFLICT_SAMPLE: usize = 14;

/// Tells `sink` that `other`, a retransmission at stream offset `offset`, differs in
/// `differing` bytes from the copy kept, which `kept_at` gives byte by byte: both copies are
/// shown from their first difference, [`CONFLICT_SAMPLE`] bytes at most.
fn report_conflict(
    sink: &mut (impl StreamSink + ?Sized),
    (flow, dir, ts, frame): (FlowId, Direction, Timestamp, u64),
    offset: u64,
    other: &[u8],
    differing: u64,
    kept_at: impl Fn(u64) -> Option<u8>,
) {
    let first = (0..other.len())
        .find(|&i| kept_at(offset + i as u64).is_some_and(|b| b != other[i]))
        .unwrap_or(0);
    let at = offset + first as u64;
    let other = &other[first..(first + CONFLICT_SAMPLE).min(other.len())];
    let kept: Vec<u8> = (0..other.len() as u64).map_while(|i| kept_at(at + i)).collect();
    sink.event(StreamEvent::Conflict {
        flow,
        dir,
        ts,
        frame,
        offset: at,
        differing,
        kept: &kept,
        other,
    });
}

/// One direction of a connection being put back in order.
#[derive(Default)]
pub(super) struct HalfStream {
    /// The sequence number of the byte at stream offset `delivered`; unknown until the first
    /// segment of this direction.
    pub(super) next_seq: Option<SeqNum>,
    /// Stream offset of the next byte to deliver (everything before has been delivered or gapped).
    pub(super) delivered: u64,
    /// The bytes that came early, waiting for the ones before them.
    pending: Ranges,
    /// Stream offset of the FIN, once seen.
    pub(super) fin_at: Option<u64>,
    /// The first byte is known from the SYN (else from the first segment seen).
    pub(super) started_by_syn: bool,
    recent: Recent,
}

/// The last [`RECENT_BYTES`] delivered bytes, to compare retransmissions with.
#[derive(Default)]
struct Recent {
    ring: Vec<u8>,
    /// Stream offset just past the last byte written.
    end: u64,
    /// Bytes before this offset are not comparable (a gap lies in between).
    comparable_from: u64,
    /// The memory budget took the ring: retransmissions are no longer compared.
    given_up: bool,
}

impl Recent {
    fn record(&mut self, offset: u64, bytes: &[u8]) {
        if self.given_up {
            self.skip(offset + bytes.len() as u64);
            return;
        }
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

    /// The delivered byte at stream offset `at`, while it is remembered.
    fn byte_at(&self, at: u64) -> Option<u8> {
        if at < self.comparable_from || at >= self.end || self.end - at > RECENT_BYTES as u64 {
            return None;
        }
        self.ring.get((at % RECENT_BYTES as u64) as usize).copied()
    }

    /// Counts the bytes of `bytes` (at `offset`) that differ from what was delivered there.
    fn conflicts(&self, offset: u64, bytes: &[u8]) -> u64 {
        (offset..offset + bytes.len() as u64)
            .filter(|&at| {
                self.byte_at(at)
                    .is_some_and(|b| b != bytes[(at - offset) as usize])
            })
            .count() as u64
    }
}

impl HalfStream {
    /// Forgets the chunks waiting for earlier bytes (memory pressure, a reset).
    pub(super) fn drop_buffers(&mut self) {
        self.pending.clear();
    }

    /// The memory the bytes kept here cost: those waiting, and those remembered to compare
    /// retransmissions with.
    pub(super) fn buffered(&self) -> usize {
        self.pending.cost() + self.recent.ring.capacity()
    }

    /// Frees the delivered bytes remembered for retransmission checks, for good: a
    /// retransmission is no longer compared with what was delivered. True when there were
    /// some.
    pub(super) fn forget_recent(&mut self) -> bool {
        let had = self.recent.ring.capacity() > 0;
        self.recent.ring = Vec::new();
        self.recent.given_up = true;
        self.recent.skip(self.recent.end);
        had
    }

    pub(super) fn finished(&self) -> bool {
        self.fin_at.is_some_and(|fin| self.delivered >= fin)
    }

    /// Takes a segment's bytes at stream offset `offset`: delivers them if they are next, keeps
    /// them if they are early, counts them if they are old.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn accept(
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
                let differing = self.recent.conflicts(offset as u64, seen);
                if differing > 0 {
                    stats.conflicting_bytes += differing;
                    let packet = (flow, dir, ts, frame);
                    report_conflict(sink, packet, offset as u64, seen, differing, |at| {
                        self.recent.byte_at(at)
                    });
                }
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
        let differing = self.keep(frame, ts, start, captured, missing, stats);
        if differing > 0 {
            let packet = (flow, dir, ts, frame);
            report_conflict(sink, packet, start, captured, differing, |at| {
                self.pending.byte_at(at)
            });
        }
        self.drain(flow, dir, stats, sink);
    }

    /// Stores early bytes, trimmed against what already waits (the first copy wins); returns
    /// how many of the overlapping bytes differed.
    fn keep(
        &mut self,
        frame: u64,
        ts: Timestamp,
        start: u64,
        captured: &[u8],
        missing: u64,
        stats: &mut DirectionStats,
    ) -> u64 {
        let overlap = self.pending.add(frame, ts, start, captured, missing);
        stats.retransmitted_bytes += overlap.repeated;
        stats.conflicting_bytes += overlap.conflicting;
        overlap.conflicting
    }

    /// Delivers the waiting chunks that have become next in line.
    fn drain(
        &mut self,
        flow: FlowId,
        dir: Direction,
        stats: &mut DirectionStats,
        sink: &mut (impl StreamSink + ?Sized),
    ) {
        while let Some((chunk_start, chunk)) = self.pending.take_ready(self.delivered) {
            let chunk_end = chunk_start + chunk.len;
            let skip = self.delivered - chunk_start;
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
    pub(super) fn flush(
        &mut self,
        flow: FlowId,
        dir: Direction,
        cause: GapCause,
        ts: Timestamp,
        stats: &mut DirectionStats,
        sink: &mut (impl StreamSink + ?Sized),
    ) {
        while let Some(next_start) = self.pending.first_start() {
            if next_start > self.delivered {
                self.gap(flow, dir, ts, next_start - self.delivered, cause, stats, sink);
            }
            self.drain(flow, dir, stats, sink);
        }
    }

    /// Gives up on the bytes before stream offset `until` that have not been received: holes
    /// before it become gaps, the chunks waiting before it are delivered.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn flush_until(
        &mut self,
        flow: FlowId,
        dir: Direction,
        until: u64,
        cause: GapCause,
        ts: Timestamp,
        stats: &mut DirectionStats,
        sink: &mut (impl StreamSink + ?Sized),
    ) {
        while self.delivered < until {
            let next_start = self.pending.first_start().unwrap_or(until).min(until);
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
    pub(super) fn gap(
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
