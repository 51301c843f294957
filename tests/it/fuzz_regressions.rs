//! Inputs the fuzz targets (fuzz/, cargo-fuzz) found to break a layer, kept as tests once
//! found. Each names its target and the panic it caused.

use std::io::Cursor;

use pop3scope::capture::CaptureReader;
use pop3scope::pipeline::{Config, analyze};
use pop3scope::session::{SessionEvent, SessionSink};

struct Discard;

impl SessionSink for Discard {
    fn event(&mut self, _event: SessionEvent<'_>) {}
}

/// One pcapng block: type, total length, body padded to 32 bits, total length again.
fn block(kind: u32, body: &[u8]) -> Vec<u8> {
    let padded = body.len().next_multiple_of(4);
    let total = (12 + padded) as u32;
    let mut out = Vec::new();
    out.extend(kind.to_le_bytes());
    out.extend(total.to_le_bytes());
    out.extend(body);
    out.resize(8 + padded, 0);
    out.extend(total.to_le_bytes());
    out
}

/// A pcapng file: one section, one RAW interface with the given options, and one Enhanced
/// Packet Block per timestamp (in the interface's units), each a TCP segment from
/// 192.0.2.10:40000 to 192.0.2.20:110 (a SYN, then ACKs).
fn pcapng(interface_options: &[u8], timestamps: &[u64]) -> Vec<u8> {
    let mut shb = Vec::new();
    shb.extend(0x1A2B_3C4Du32.to_le_bytes());
    shb.extend(1u16.to_le_bytes());
    shb.extend(0u16.to_le_bytes());
    shb.extend((-1i64).to_le_bytes());
    let mut out = block(0x0A0D_0D0A, &shb);

    let mut idb = Vec::new();
    idb.extend(101u16.to_le_bytes()); // LINKTYPE_RAW
    idb.extend(0u16.to_le_bytes());
    idb.extend(0u32.to_le_bytes());
    idb.extend(interface_options);
    out.extend(block(1, &idb));

    for (i, &ts) in timestamps.iter().enumerate() {
        let flags = if i == 0 { 0x02 } else { 0x10 };
        let mut packet = vec![
            0x45, 0, 0, 40, 0, 0, 0, 0, 64, 6, 0, 0, 192, 0, 2, 10, 192, 0, 2, 20, // IPv4
            0x9c, 0x40, 0, 110, 0, 0, 0x03, 0xe8, 0, 0, 0, 0, 0x50, flags, 0xff, 0xff, 0, 0, 0,
            0, // TCP
        ];
        if i > 0 {
            packet[27] = 0xe9; // the sequence number after the SYN
        }
        let mut epb = Vec::new();
        epb.extend(0u32.to_le_bytes());
        epb.extend(((ts >> 32) as u32).to_le_bytes());
        epb.extend((ts as u32).to_le_bytes());
        epb.extend((packet.len() as u32).to_le_bytes());
        epb.extend((packet.len() as u32).to_le_bytes());
        epb.extend(&packet);
        out.extend(block(6, &epb));
    }
    out
}

fn analyze_bytes(capture: Vec<u8>) -> u64 {
    let mut reader = CaptureReader::new(Cursor::new(capture)).expect("a capture");
    let config = Config::default();
    let mut sessions = config.sessions(Discard);
    let (stats, result) = analyze(&mut reader, &config, &mut sessions, || {});
    result.expect("the capture reads to the end");
    stats.tcp_segments
}

/// fuzz target `pipeline`: a pcapng timestamp at the top of the range (here the largest
/// 64-bit count of microseconds) saturates to `Timestamp(i64::MAX)`; the flow table's sweep
/// then overflowed computing the next sweep time (`attempt to add with overflow`,
/// src/flow/table.rs `sweep`: `now.0 + NANOS_PER_SEC`).
#[test]
fn pcapng_timestamp_at_the_end_of_time_does_not_panic() {
    assert_eq!(analyze_bytes(pcapng(&[], &[u64::MAX])), 1);
}

/// fuzz target `pipeline` (found by hand from the same sweep): with `if_tsresol` 0 (whole
/// seconds) a timestamp of 2^63 units reads as `Timestamp(i64::MIN)`; the next segment of the
/// connection, at an ordinary time, made the idle check overflow (`attempt to subtract with
/// overflow`, src/flow/table.rs `sweep`: `now.0 - f.summary.last_ts.0`).
#[test]
fn pcapng_timestamp_at_the_start_of_time_does_not_panic() {
    // if_tsresol (option 9, length 1) = 0: units of 10^0 seconds; then opt_endofopt.
    let options = [9, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0];
    assert_eq!(analyze_bytes(pcapng(&options, &[1 << 63, 1_767_603_600])), 2);
}
