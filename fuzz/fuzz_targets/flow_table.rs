//! The flow table and TCP reassembly on segments built from the bytes, with a table small
//! enough (16 flows) that eviction happens.
//!
//! Input scheme: records of a 9-byte header and a payload, until the bytes run out.
//! - byte 0, flags: bit 0 SYN, bit 1 ACK, bit 2 FIN, bit 3 RST; bit 4 the direction (0: client
//!   to server); bit 5 "far": the sequence offsets are shifted 16 bits up, so segments can land
//!   out of the window or wrap.
//! - byte 1, connection: bits 0..=4 the client (32 of them, twice the table), bits 5..=6 the
//!   server port (110, 995, 110, 143: one untracked), bit 7 IPv6 addresses.
//! - bytes 2..4, 4..6: sequence and acknowledgment numbers, as little-endian offsets from a
//!   fixed initial sequence number per direction (the client's wraps past 2^32 early).
//! - byte 6: payload length (the payload follows the header; fewer bytes at the end).
//! - byte 7: payload bytes the capture is missing (the snapshot length cut them).
//! - byte 8: time since the previous segment: milliseconds, or 255 for eleven minutes (past
//!   the idle timeout).
#![no_main]

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use libfuzzer_sys::fuzz_target;
use pop3scope::base::Timestamp;
use pop3scope::flow::{FlowConfig, FlowTable, StreamEvent, StreamSink};
use pop3scope::wire::{Segment, SeqNum, TcpFlags};

struct Discard;

impl StreamSink for Discard {
    fn event(&mut self, event: StreamEvent<'_>) {
        std::hint::black_box(&event);
    }
}

const CLIENT_ISN: u32 = 0xffff_ff00;
const SERVER_ISN: u32 = 0x1000_0000;
const HEADER: usize = 9;

fn addresses(conn: u8) -> (SocketAddr, SocketAddr) {
    let client_port = 40_000 + u16::from(conn & 0x1f);
    let server_port = [110, 995, 110, 143][usize::from((conn >> 5) & 0x3)];
    let (client_ip, server_ip): (IpAddr, IpAddr) = if conn & 0x80 == 0 {
        (
            Ipv4Addr::new(192, 0, 2, 10).into(),
            Ipv4Addr::new(192, 0, 2, 20).into(),
        )
    } else {
        (
            Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 10).into(),
            Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 20).into(),
        )
    };
    (
        SocketAddr::new(client_ip, client_port),
        SocketAddr::new(server_ip, server_port),
    )
}

fuzz_target!(|data: &[u8]| {
    let mut table = FlowTable::new(FlowConfig {
        max_flows: 16,
        ..Default::default()
    });
    let mut sink = Discard;
    let mut ts = Timestamp(1_767_603_600_000_000_000);
    let mut frame = 0u64;
    let mut rest = data;
    while rest.len() >= HEADER {
        let (header, tail) = rest.split_at(HEADER);
        let flags_byte = header[0];
        let (client, server) = addresses(header[1]);
        let to_server = flags_byte & 0x10 == 0;
        let shift = if flags_byte & 0x20 == 0 { 0 } else { 16 };
        let seq_off = u32::from(u16::from_le_bytes([header[2], header[3]])) << shift;
        let ack_off = u32::from(u16::from_le_bytes([header[4], header[5]])) << shift;
        let (src, dst, seq_isn, ack_isn) = if to_server {
            (client, server, CLIENT_ISN, SERVER_ISN)
        } else {
            (server, client, SERVER_ISN, CLIENT_ISN)
        };
        let (payload, tail) = tail.split_at(usize::from(header[6]).min(tail.len()));
        ts = Timestamp(
            ts.0 + if header[8] == 255 {
                660_000_000_000
            } else {
                i64::from(header[8]) * 1_000_000
            },
        );
        frame += 1;
        let segment = Segment {
            src,
            dst,
            seq: SeqNum(seq_isn).plus(seq_off),
            ack: SeqNum(ack_isn).plus(ack_off),
            flags: TcpFlags {
                syn: flags_byte & 0x01 != 0,
                ack: flags_byte & 0x02 != 0,
                fin: flags_byte & 0x04 != 0,
                rst: flags_byte & 0x08 != 0,
            },
            payload,
            missing: u32::from(header[7]),
        };
        table.segment(frame, ts, &segment, &mut sink);
        rest = tail;
    }
    table.finish(ts, &mut sink);
    std::hint::black_box(&table.stats);
});
