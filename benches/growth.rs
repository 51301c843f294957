//! Hostile captures at size N and 4N: does the cost grow linearly, and memory stay bounded?
//!
//! `cargo build --release && cargo run --release --example growth [N]` writes each adversarial
//! shape at N and 4N (N = 50,000 connections, datagrams, or — for the two floods inside one
//! session, which cost little each — 8N commands and 32N SASL lines) into a temporary directory, runs
//! `target/release/pop3scope open FILE --json` on each (output to /dev/null), and prints the
//! wall time, the peak resident memory of the process, and the growth from N to 4N. Linear cost
//! is a time growth of about 4 (up to ~4.5), bounded memory a memory growth of about 1.
//!
//! The shapes: a pipelined flood (N NOOPs sent before any reply), a SASL flood (N lines after
//! `AUTH PLAIN`, never answered), a SYN flood (N connections that only say SYN), a half-open
//! flood (N connections each with a hole, so the bytes after it wait), and a fragment flood (N/50
//! datagrams of 8,000 octets, each in 1,000 fragments of 8 octets sent last piece first: N × 20
//! fragments), and a long-line flood (N/5 connections, each sending a 4 KB line that never
//! ends, in 1,460-byte segments), and a held-back flood (N/20 connections whose server sends a
//! 32 KB reply to a command the capture lost: every segment of the reply waits for it). `… growth N DIR` keeps the captures.

use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4};
use std::process::{Command, Stdio};

use pop3scope::base::Timestamp;
use pop3scope::capture::{LinkType, OwnedFrame, write_pcap};
use pop3scope::wire::synth::{self, Conversation, Ending, Link};

const SERVER: &str = "192.0.2.1:110";

/// The `n`th client address: a different host and port for each connection.
fn client(n: usize) -> SocketAddr {
    let host = Ipv4Addr::new(10, (n >> 16) as u8, (n >> 8) as u8, n as u8);
    SocketAddr::V4(SocketAddrV4::new(host, 1024 + (n % 60_000) as u16))
}

fn one_session(conversation: &Conversation) -> Vec<u8> {
    conversation.to_pcap()
}

fn pipelined(n: usize) -> Vec<u8> {
    let conversation = Conversation::new(client(1), SERVER.parse().unwrap())
        .server("+OK ready\r\n")
        .client("USER a\r\nPASS b\r\n")
        .server("+OK\r\n+OK\r\n")
        .client("NOOP\r\n".repeat(n))
        .server("+OK\r\n".repeat(n))
        .client("QUIT\r\n")
        .server("+OK\r\n");
    one_session(&conversation)
}

fn sasl(n: usize) -> Vec<u8> {
    let conversation = Conversation::new(client(1), SERVER.parse().unwrap())
        .server("+OK ready\r\n")
        .client("AUTH PLAIN\r\n")
        .server("+ \r\n")
        .client("dGVzdHRlc3R0ZXN0\r\n".repeat(n));
    let mut conversation = conversation;
    conversation.ending = Ending::Open;
    one_session(&conversation)
}

/// Many connections, each made of the packets `pick` keeps of its conversation.
fn many(
    n: usize,
    conversation: impl Fn(usize) -> Conversation,
    pick: impl Fn(Vec<synth::TcpPacket>) -> Vec<synth::TcpPacket>,
) -> Vec<u8> {
    let mut frames: Vec<OwnedFrame> = Vec::new();
    for i in 0..n {
        let conversation = conversation(i);
        let packets = pick(conversation.packets());
        let start = Timestamp(i as i64 * 10_000);
        frames.extend(synth::frames(&conversation, &packets, &Link::Ethernet, start));
    }
    write_pcap(LinkType::ETHERNET, &frames, 65_535)
}

fn syn_flood(n: usize) -> Vec<u8> {
    many(
        n,
        |i| Conversation::new(client(i), SERVER.parse().unwrap()),
        |packets| packets.into_iter().take(1).collect(),
    )
}

fn half_open(n: usize) -> Vec<u8> {
    many(
        n,
        |i| {
            let mut conversation = Conversation::new(client(i), SERVER.parse().unwrap())
                .server("+OK ready\r\n")
                .client("USER alice\r\n")
                .client("PASS wonderland\r\n");
            conversation.ending = Ending::Open;
            conversation.mss = 12;
            conversation
        },
        // Drop the client's first data segment: what follows waits behind the hole.
        |packets| {
            let first_data = packets
                .iter()
                .position(|p| p.dir == pop3scope::base::Direction::ClientToServer && !p.payload.is_empty());
            packets
                .into_iter()
                .enumerate()
                .filter(|(i, _)| Some(*i) != first_data)
                .map(|(_, p)| p)
                .collect()
        },
    )
}

/// Connections that open properly and then send a line that never ends, 1,460 bytes a
/// segment: each decoder holds its part of a line, and each connection remembers its last
/// bytes to compare retransmissions with, until the budgets over all of them are reached.
fn long_lines(n: usize) -> Vec<u8> {
    many(
        n / 5,
        |i| {
            let mut conversation = Conversation::new(client(i), SERVER.parse().unwrap())
                .server("+OK ready\r\n")
                .client("x".repeat(4 * 1024));
            conversation.ending = Ending::Open;
            conversation.mss = 1460;
            conversation
        },
        |packets| packets,
    )
}

/// Connections whose server answers a command the capture never saw: each data segment of
/// the reply acknowledges client bytes that never come, so the reply waits for them, until the
/// bounds on what a connection holds back give the command up as a gap.
fn held_back(n: usize) -> Vec<u8> {
    many(
        n / 20,
        |i| {
            let mut conversation = Conversation::new(client(i), SERVER.parse().unwrap())
                .server("+OK ready\r\n")
                .client("RETR 1\r\n")
                .server(format!(
                    "+OK\r\n{}.\r\n",
                    format!("{}\r\n", "x".repeat(78)).repeat(400)
                ));
            conversation.ending = Ending::Open;
            conversation.mss = 1460;
            conversation
        },
        // The command's segment is lost on the way to the capture.
        |packets| {
            packets
                .into_iter()
                .filter(|p| p.dir != pop3scope::base::Direction::ClientToServer || p.payload.is_empty())
                .collect()
        },
    )
}

/// Fragments one datagram is cut into: just under the bound a datagram may have
/// (`MAX_FRAGMENTS_PER_DATAGRAM`), so each is put back together at the most it can cost.
const PIECES_PER_DATAGRAM: usize = 1000;

fn fragments(n: usize) -> Vec<u8> {
    let mut frames = Vec::new();
    for i in 0..n / 50 {
        let mut conversation = Conversation::new(client(i), SERVER.parse().unwrap());
        conversation.mss = PIECES_PER_DATAGRAM * 8 - 20;
        let conversation = conversation.client("x".repeat(PIECES_PER_DATAGRAM * 8 - 20));
        let packets = conversation.packets();
        let Some(data) = packets.iter().find(|p| !p.payload.is_empty()) else {
            continue;
        };
        let packet = synth::frame_bytes(&conversation, data, &Link::Raw);
        let mut pieces = synth::fragment_ipv4(&packet, 8);
        pieces.reverse();
        for (k, piece) in pieces.into_iter().enumerate() {
            frames.push(OwnedFrame {
                ts: Timestamp(i as i64 * 10_000 + k as i64),
                data: piece,
            });
        }
    }
    write_pcap(LinkType::RAW, &frames, 65_535)
}

/// A shape's name, how many units of it make one N (the small shapes take more, to be timed),
/// and how to make a capture of it at a size.
type Shape = (&'static str, usize, fn(usize) -> Vec<u8>);

/// Runs pop3scope on `path` under GNU time (`apt-get install time`): (seconds, peak resident
/// KiB). (The child's own rusage would count the pages it shared with this process, which
/// holds the captures it made.)
fn measure(path: &std::path::Path) -> (f64, i64) {
    let output = Command::new("/usr/bin/time")
        .args(["-f", "%e %M", "target/release/pop3scope", "open", "--json"])
        .arg(path)
        .stdout(Stdio::null())
        .output()
        .expect("/usr/bin/time (apt-get install time) and target/release/pop3scope");
    let stderr = String::from_utf8_lossy(&output.stderr);
    let mut last = stderr.lines().last().unwrap_or_default().split_whitespace();
    let seconds = last.next().and_then(|s| s.parse().ok()).unwrap_or(f64::NAN);
    let kib = last.next().and_then(|s| s.parse().ok()).unwrap_or(0);
    (seconds, kib)
}

fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|n| n.parse().ok())
        .unwrap_or(50_000);
    // A second argument keeps the captures in that directory, to look at them afterwards.
    let kept = std::env::args().nth(2).map(std::path::PathBuf::from);
    let temporary = tempfile::tempdir().expect("a temporary directory");
    let dir = kept.as_deref().unwrap_or(temporary.path());
    let shapes: [Shape; 7] = [
        ("pipelined flood", 8, pipelined),
        ("SASL flood", 32, sasl),
        ("SYN flood", 1, syn_flood),
        ("half-open flood (holes)", 1, half_open),
        ("fragment flood", 1, fragments),
        ("long-line flood", 1, long_lines),
        ("held-back flood", 1, held_back),
    ];
    println!("| shape (N = {n} units) | N | 4N | time growth | memory N → 4N |");
    println!("|---|---|---|---|---|");
    for (name, units, make) in shapes {
        let mut results = Vec::new();
        for size in [n * units, 4 * n * units] {
            let path = dir.join(format!("{}-{size}.pcap", name.split(' ').next().unwrap()));
            std::fs::write(&path, make(size)).expect("the capture is written");
            let megabytes = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0) as f64 / 1e6;
            let (seconds, kib) = measure(&path);
            results.push((seconds, kib, megabytes));
        }
        let (t1, m1, s1) = results[0];
        let (t4, m4, s4) = results[1];
        println!(
            "| {name} | {t1:.2} s ({s1:.0} MB) | {t4:.2} s ({s4:.0} MB) | {:.1}× | {} → {} MiB |",
            t4 / t1.max(1e-6),
            m1 / 1024,
            m4 / 1024
        );
    }
}
