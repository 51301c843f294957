//! Makes a large capture for benchmarks from the real sessions in captures/.
//!
//! `cargo run --release --example make-bench-capture -- OUT.pcap [MEGABYTES [CAPTURE…]]`
//!
//! CAPTURE names files in captures/ to replay instead of the usual mix (for example only
//! `13-large-retr.pcap`: few exchanges, many bytes).
//!
//! The plain-text Dovecot sessions recorded in captures/ (Ethernet framing, as tcpdump writes on
//! loopback) are replayed again and again, 32 at a time interleaved frame by frame, each copy
//! with its own client address and port and later timestamps, until the file reaches the size
//! asked for (default 200 MB). The bytes of every segment are the real ones.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;

use pop3scope::base::Timestamp;
use pop3scope::capture::{CaptureReader, LinkType};

const SESSIONS: &[&str] = &[
    "01-full-session.pcap",
    "08-pipelined.pcap",
    "09-top.pcap",
    "10-dele-rset.pcap",
    "13-large-retr.pcap",
    "16-curl.pcap",
    "18-fetchmail-delete.pcap",
];
const CONCURRENT: usize = 32;

struct Recorded {
    frames: Vec<(Timestamp, Vec<u8>)>,
}

fn read(path: &Path) -> Recorded {
    let file = File::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut reader = CaptureReader::new(file).expect("a capture");
    let mut frames = Vec::new();
    reader
        .for_each_frame(|frame| {
            assert_eq!(frame.link_type, LinkType::ETHERNET, "{}", path.display());
            frames.push((frame.ts, frame.data.to_vec()));
            true
        })
        .expect("readable");
    Recorded { frames }
}

/// Gives copy `n` its own client: 10.(n>>8).(n&255).1 replaces 127.0.0.1 on the client side,
/// and the client port is shifted so no two copies share a connection.
fn rewrite(frame: &[u8], n: u32) -> Vec<u8> {
    let mut out = frame.to_vec();
    if out.len() < 14 + 20 + 20 || out[12..14] != [0x08, 0x00] {
        return out;
    }
    let ip = 14;
    let ihl = usize::from(out[ip] & 0x0f) * 4;
    let tcp = ip + ihl;
    let src_port = u16::from_be_bytes([out[tcp], out[tcp + 1]]);
    let client_addr = [10, (n >> 8) as u8, n as u8, 1];
    let client_port = |port: u16| 1024 + (port.wrapping_add(n as u16 * 7) % 60000);
    if src_port == 110 {
        out[ip + 16..ip + 20].copy_from_slice(&client_addr);
        let dst = u16::from_be_bytes([out[tcp + 2], out[tcp + 3]]);
        out[tcp + 2..tcp + 4].copy_from_slice(&client_port(dst).to_be_bytes());
    } else {
        out[ip + 12..ip + 16].copy_from_slice(&client_addr);
        out[tcp..tcp + 2].copy_from_slice(&client_port(src_port).to_be_bytes());
    }
    out
}

fn main() {
    let mut args = std::env::args().skip(1);
    let out_path = args
        .next()
        .expect("usage: make-bench-capture OUT.pcap [MEGABYTES [CAPTURE…]]");
    let megabytes: u64 = args
        .next()
        .map_or(200, |m| m.parse().expect("MEGABYTES is a number"));
    let captures = Path::new(env!("CARGO_MANIFEST_DIR")).join("captures");
    let chosen: Vec<String> = args.collect();
    let names: Vec<&str> = if chosen.is_empty() {
        SESSIONS.to_vec()
    } else {
        chosen.iter().map(String::as_str).collect()
    };
    let sessions: Vec<Recorded> = names.iter().map(|name| read(&captures.join(name))).collect();

    let mut out = BufWriter::new(File::create(&out_path).expect("can create the output"));
    let mut header = Vec::new();
    header.extend_from_slice(&0xa1b2_c3d4u32.to_le_bytes());
    header.extend_from_slice(&[2, 0, 4, 0]);
    header.extend_from_slice(&[0; 8]);
    header.extend_from_slice(&262_144u32.to_le_bytes());
    header.extend_from_slice(&1u32.to_le_bytes());
    out.write_all(&header).unwrap();
    let mut written = header.len() as u64;

    let target = megabytes * 1_000_000;
    let mut copy = 0u32;
    let mut round = 0i64;
    while written < target {
        // One round: CONCURRENT copies, interleaved frame by frame.
        let group: Vec<(u32, &Recorded)> = (0..CONCURRENT)
            .map(|i| {
                copy += 1;
                (copy, &sessions[i % sessions.len()])
            })
            .collect();
        let longest = group.iter().map(|(_, s)| s.frames.len()).max().unwrap_or(0);
        for index in 0..longest {
            for (n, session) in &group {
                let Some((ts, data)) = session.frames.get(index) else {
                    continue;
                };
                let ts = Timestamp(
                    ts.0 - session.frames[0].0.0 + 1_700_000_000_000_000_000 + round * 10_000_000_000,
                );
                let data = rewrite(data, *n);
                let mut record = Vec::with_capacity(16 + data.len());
                record.extend_from_slice(&(ts.secs() as u32).to_le_bytes());
                record.extend_from_slice(&(ts.subsec_nanos() / 1000).to_le_bytes());
                record.extend_from_slice(&(data.len() as u32).to_le_bytes());
                record.extend_from_slice(&(data.len() as u32).to_le_bytes());
                record.extend_from_slice(&data);
                out.write_all(&record).unwrap();
                written += record.len() as u64;
            }
        }
        round += 1;
    }
    out.flush().unwrap();
    eprintln!("{out_path}: {written} bytes, {copy} sessions");
}
