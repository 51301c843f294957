//! The flow table and reassembly, checked segment by segment and against a byte oracle.

use super::*;
use std::collections::HashMap;
use std::net::SocketAddr;

use crate::base::{Direction, Timestamp};
use crate::wire::{Segment, SeqNum, TcpFlags};
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
    /// Differing bytes reported by `Conflict` events, per direction.
    conflicts: HashMap<(FlowId, Direction), u64>,
    /// The two copies the last conflict showed: kept, other.
    last_copies: Option<(Vec<u8>, Vec<u8>)>,
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
            StreamEvent::Conflict {
                flow,
                dir,
                differing,
                kept,
                other,
                ..
            } => {
                assert!(differing > 0, "a conflict has bytes that differ");
                assert_ne!(
                    kept.first(),
                    other.first(),
                    "the copies are shown from a difference"
                );
                self.last_copies = Some((kept.to_vec(), other.to_vec()));
                *self.conflicts.entry((flow, dir)).or_default() += differing;
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
    assert_eq!(w.sink.conflicts[&(1, C)], 3, "and the decoder is told");
    assert_eq!(
        w.sink.last_copies,
        Some((b"RETR 1\r\n".to_vec(), b"DELE 1\r\n".to_vec()))
    );
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
    assert_eq!(w.sink.conflicts[&(1, C)], 3);
    // From the first difference: "def" is kept where "XYZ" came again; "ghi" was new.
    assert_eq!(w.sink.last_copies, Some((b"defghi".to_vec(), b"XYZghi".to_vec())));
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

/// A segment from the `n`th of many clients (port 40000 + n) to the server.
fn from_client_n(n: u16, seq: u32, flags: TcpFlags, payload: &'static [u8]) -> Segment<'static> {
    Segment {
        src: SocketAddr::new("192.0.2.1".parse().unwrap(), 40000 + n),
        dst: SERVER.parse().unwrap(),
        seq: SeqNum(seq),
        ack: SeqNum(0),
        flags,
        payload,
        missing: 0,
    }
}

#[test]
fn a_flood_of_connections_with_holes_stays_within_the_memory_budget() {
    // Thirty connections each send 100 bytes after a 10-byte hole: the bytes would wait for
    // ever. A budget of 1,000 bytes over all of them holds a few; each connection that would
    // go over it gives up its own hole (a gap) instead of growing the total.
    let config = FlowConfig {
        max_buffered_total: 1000,
        ..FlowConfig::default()
    };
    let mut table = FlowTable::new(config);
    let mut sink = Recorder::default();
    for n in 0..30u16 {
        let segment = |seq, flags, payload| from_client_n(n, seq, flags, payload);
        let frame = u64::from(n) * 2;
        table.segment(frame, Timestamp(0), &segment(CLIENT_ISN, syn(), b""), &mut sink);
        let early = segment(CLIENT_ISN + 11, ack(), &[b'x'; 100]);
        table.segment(frame + 1, Timestamp(0), &early, &mut sink);
        assert!(
            table.buffered_total <= 1000,
            "{} bytes wait",
            table.buffered_total
        );
    }
    let gave_up = (1..=30)
        .filter(|&flow| sink.gap_causes(flow, C) == vec![GapCause::BufferLimit])
        .count();
    assert!(gave_up >= 20, "only {gave_up} connections gave up their hole");
    table.finish(Timestamp(0), &mut sink);
    // Every byte is accounted for: delivered after its gap, or reported missing at the end.
    for flow in 1..=30 {
        assert_eq!(sink.stream(flow, C), format!("<gap 10>{}", "x".repeat(100)));
    }
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
    // A late segment of the evicted connection is late: it does not open it again.
    let flows = w.table.stats.flows;
    w.client = "192.0.2.1:50000".parse().unwrap();
    w.data(C, 9, "PASS b\r\n");
    assert_eq!(w.table.stats.flows, flows);
    assert_eq!(w.table.stats.late_segments, 1);
}

#[test]
fn a_syn_flood_evicts_the_oldest_first_and_each_connection_once() {
    let config = FlowConfig {
        max_flows: 100,
        ..FlowConfig::default()
    };
    let mut w = Wire::with_config(config);
    for port in 0..1000u16 {
        w.client = SocketAddr::new("192.0.2.1".parse().unwrap(), 20_000 + port);
        w.handshake();
    }
    assert_eq!(w.table.stats.flows, 1000);
    assert_eq!(w.table.stats.evicted_flows, 900);
    assert_eq!(w.sink.closed.len(), 900);
    let first_closed: Vec<u16> = w.sink.closed.iter().take(3).map(|s| s.client.port()).collect();
    assert_eq!(first_closed, [20_000, 20_001, 20_002]);
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
        prop_assert_eq!(sink.conflicts.get(&(1, C)).copied().unwrap_or(0), conflicts);
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

#[test]
fn bytes_remembered_for_retransmission_checks_count_in_the_memory_budget() {
    // Thirty connections each deliver 1,000 bytes: each remembers them to compare
    // retransmissions with. Over a budget of 8,000 bytes, the connection that goes over gives
    // its memory up, for good, and the summary counts it; a retransmission there then passes
    // unchecked rather than growing the total again.
    let config = FlowConfig {
        max_buffered_total: 8000,
        ..FlowConfig::default()
    };
    let mut table = FlowTable::new(config);
    let mut sink = Recorder::default();
    for n in 0..30u16 {
        let segment = |seq, flags, payload| from_client_n(n, seq, flags, payload);
        let frame = u64::from(n) * 3;
        table.segment(frame, Timestamp(0), &segment(CLIENT_ISN, syn(), b""), &mut sink);
        table.segment(
            frame + 1,
            Timestamp(0),
            &segment(CLIENT_ISN + 1, ack(), &[b'x'; 1000]),
            &mut sink,
        );
        let forged = segment(CLIENT_ISN + 1, ack(), &[b'y'; 1000]);
        table.segment(frame + 2, Timestamp(0), &forged, &mut sink);
        assert!(
            table.buffered_total <= 8000,
            "{} bytes kept",
            table.buffered_total
        );
    }
    let unchecked = table.stats.unchecked_flows;
    assert!(
        unchecked >= 20,
        "only {unchecked} connections gave up their memory"
    );
    let checked = (1..=30)
        .filter(|&flow| sink.conflicts.contains_key(&(flow, C)))
        .count();
    assert_eq!(
        checked as u64 + unchecked,
        30,
        "each forgery is either caught or counted unchecked"
    );
}

#[test]
fn a_closed_connection_gives_its_remembered_bytes_back_to_the_budget() {
    // Thirty connections one after another, each delivering 1,000 bytes and closing with both
    // FINs: once closed, a retransmission is a late segment, never compared, so the bytes kept
    // to compare them with must leave the budget. Otherwise a long capture of short sessions
    // would fill it with closed connections and take the memory of the open ones.
    let config = FlowConfig {
        max_buffered_total: 8000,
        ..FlowConfig::default()
    };
    let mut table = FlowTable::new(config);
    let mut sink = Recorder::default();
    for n in 0..30u16 {
        let segment = |seq, flags, payload| from_client_n(n, seq, flags, payload);
        let frame = u64::from(n) * 3;
        table.segment(frame, Timestamp(0), &segment(CLIENT_ISN, syn(), b""), &mut sink);
        let data = segment(CLIENT_ISN + 1, ack(), &[b'x'; 1000]);
        table.segment(frame + 1, Timestamp(0), &data, &mut sink);
        let mut fin = segment(CLIENT_ISN + 1001, ack(), b"");
        fin.flags.fin = true;
        table.segment(frame + 2, Timestamp(0), &fin, &mut sink);
        let mut server_fin = fin;
        (server_fin.src, server_fin.dst) = (fin.dst, fin.src);
        server_fin.seq = SeqNum(1);
        table.segment(frame + 2, Timestamp(0), &server_fin, &mut sink);
        assert_eq!(table.buffered_total, 0, "after connection {n}");
    }
    assert_eq!(table.stats.unchecked_flows, 0);
}
