//! The whole pipeline (capture → wire → flow) on synthetic captures whose truth is known:
//! every framing, every perturbation that loses no data gives back the original streams, and
//! every perturbation that loses data says exactly where.

use std::net::SocketAddr;

use pop3scope::base::Direction;
use pop3scope::base::Timestamp;
use pop3scope::capture::{self, LinkType};
use pop3scope::flow::{EndReason, GapCause};
use pop3scope::wire::synth::{self, Conversation, Ending, Link, TcpPacket};
use proptest::prelude::*;

use crate::util::{known, run_pipeline, run_sessions};

const C: Direction = Direction::ClientToServer;
const S: Direction = Direction::ServerToClient;

fn pop3_session(client: &str, server: &str) -> Conversation {
    let client: SocketAddr = client.parse().unwrap();
    let server: SocketAddr = server.parse().unwrap();
    Conversation::new(client, server)
        .server("+OK POP3 server ready <1896.697170952@dbc.mtview.ca.us>\r\n")
        .client("USER mrose\r\n")
        .server("+OK mrose is a real hoopy frood\r\n")
        .client("PASS secret\r\n")
        .server("+OK mrose's maildrop has 2 messages (320 octets)\r\n")
        .client("RETR 1\r\n")
        .server(format!(
            "+OK 120 octets\r\n{}\r\n..stuffed\r\n.\r\n",
            "x".repeat(3000)
        ))
        .client("QUIT\r\n")
        .server("+OK dewey POP3 server signing off\r\n")
}

fn write(conversation: &Conversation, packets: &[TcpPacket], link: &Link) -> Vec<u8> {
    let frames = synth::frames(
        conversation,
        packets,
        link,
        Timestamp::from_secs_nanos(1_700_000_000, 0),
    );
    capture::write_pcap(link.link_type(), &frames, 262_144)
}

fn assert_streams_intact(conversation: &Conversation, capture: Vec<u8>) {
    let (got, stats) = run_pipeline(capture);
    assert_eq!(stats.flows.flows, 1, "one connection");
    assert_eq!(got.stream(1, C), &known(&conversation.stream(C)));
    assert_eq!(got.stream(1, S), &known(&conversation.stream(S)));
    assert!(got.gaps.is_empty(), "no gaps: {:?}", got.gaps);
}

#[test]
fn every_link_type_and_ip_version_gives_back_the_streams() {
    let links = [
        Link::Ethernet,
        Link::Vlan(vec![100]),
        Link::Vlan(vec![200, 300]),
        Link::Sll,
        Link::Sll2,
        Link::Null,
        Link::Loop,
        Link::Raw,
    ];
    for (client, server) in [
        ("192.0.2.10:40000", "192.0.2.20:110"),
        ("[2001:db8::10]:40000", "[2001:db8::20]:110"),
    ] {
        let conversation = pop3_session(client, server);
        for link in &links {
            let capture = write(&conversation, &conversation.packets(), link);
            assert_streams_intact(&conversation, capture);
        }
    }
}

#[test]
fn pcapng_with_two_interfaces_of_different_link_types() {
    let a = pop3_session("192.0.2.10:40000", "192.0.2.20:110");
    let b = pop3_session("[2001:db8::10]:40001", "[2001:db8::20]:110");
    let start = Timestamp::from_secs_nanos(1_700_000_000, 123_456_789);
    let frames_a = synth::frames(&a, &a.packets(), &Link::Ethernet, start);
    let frames_b = synth::frames(&b, &b.packets(), &Link::Sll2, start);
    // Interleave the two connections, each on its own interface.
    let mut frames = Vec::new();
    for i in 0..frames_a.len().max(frames_b.len()) {
        if let Some(f) = frames_a.get(i) {
            frames.push((0, f.clone()));
        }
        if let Some(f) = frames_b.get(i) {
            frames.push((1, f.clone()));
        }
    }
    let capture = capture::write_pcapng(&[LinkType::ETHERNET, LinkType::LINUX_SLL2], &frames, false);
    let (got, _) = run_pipeline(capture);
    assert_eq!(got.stream(1, S), &known(&a.stream(S)));
    assert_eq!(got.stream(2, S), &known(&b.stream(S)));
    assert_eq!(got.summaries[0].first_ts, start, "nanosecond timestamps survive");
}

#[test]
fn pcapng_simple_packet_blocks() {
    let conversation = pop3_session("192.0.2.10:40000", "192.0.2.20:110");
    let frames = synth::frames(
        &conversation,
        &conversation.packets(),
        &Link::Ethernet,
        Timestamp(0),
    );
    let frames: Vec<_> = frames.into_iter().map(|f| (0, f)).collect();
    let capture = capture::write_pcapng(&[LinkType::ETHERNET], &frames, true);
    assert_streams_intact(&conversation, capture);
}

#[test]
fn big_endian_nanosecond_pcap() {
    let conversation = pop3_session("192.0.2.10:40000", "192.0.2.20:110");
    let frames = synth::frames(
        &conversation,
        &conversation.packets(),
        &Link::Ethernet,
        Timestamp(1_500_000_000_987_654_321),
    );
    let little = capture::write_pcap(LinkType::ETHERNET, &frames, 65_535);
    // Rewrite the file in big-endian byte order with the nanosecond magic number.
    let mut big = Vec::new();
    big.extend_from_slice(&0xa1b2_3c4du32.to_be_bytes());
    big.extend_from_slice(&2u16.to_be_bytes());
    big.extend_from_slice(&4u16.to_be_bytes());
    big.extend_from_slice(&[0; 8]);
    big.extend_from_slice(&65_535u32.to_be_bytes());
    big.extend_from_slice(&1u32.to_be_bytes());
    for frame in &frames {
        big.extend_from_slice(&(frame.ts.secs() as u32).to_be_bytes());
        big.extend_from_slice(&frame.ts.subsec_nanos().to_be_bytes());
        big.extend_from_slice(&(frame.data.len() as u32).to_be_bytes());
        big.extend_from_slice(&(frame.data.len() as u32).to_be_bytes());
        big.extend_from_slice(&frame.data);
    }
    let (from_big, _) = run_pipeline(big);
    let (from_little, _) = run_pipeline(little);
    assert_eq!(from_big.stream(1, S), &known(&conversation.stream(S)));
    assert_eq!(
        from_big.summaries[0].first_ts,
        Timestamp(1_500_000_000_987_654_321)
    );
    assert_eq!(
        from_little.summaries[0].first_ts,
        Timestamp(1_500_000_000_987_654_000)
    );
}

#[test]
fn ipv4_fragments_are_put_back_together() {
    let conversation = pop3_session("192.0.2.10:40000", "192.0.2.20:110");
    let start = Timestamp(0);
    let mut frames = Vec::new();
    for (i, packet) in conversation.packets().iter().enumerate() {
        let ip = synth::frame_bytes(&conversation, packet, &Link::Raw);
        for piece in synth::fragment_ipv4(&ip, 200) {
            frames.push(capture::OwnedFrame {
                ts: Timestamp(start.0 + i as i64),
                data: piece,
            });
        }
    }
    let (got, stats) = run_pipeline(capture::write_pcap(LinkType::RAW, &frames, 65_535));
    assert!(stats.ip_fragments > 10);
    assert_eq!(got.stream(1, S), &known(&conversation.stream(S)));
    assert_eq!(got.stream(1, C), &known(&conversation.stream(C)));
}

#[test]
fn a_dropped_segment_is_a_gap_of_its_exact_length_and_place() {
    let conversation = pop3_session("192.0.2.10:40000", "192.0.2.20:110");
    let mut packets = conversation.packets();
    let lost = packets
        .iter()
        .position(|p| p.dir == S && p.payload.len() == 1460)
        .unwrap();
    let gone = packets.remove(lost);
    let (got, _) = run_pipeline(write(&conversation, &packets, &Link::Ethernet));
    let mut expected = known(&conversation.stream(S));
    let at = gone.seq.wrapping_sub(conversation.server_isn + 1) as usize;
    expected[at..at + 1460].fill(None);
    assert_eq!(got.stream(1, S), &expected);
    assert_eq!(got.gaps, vec![(1, S, at as u64, 1460, GapCause::NotCaptured)]);
}

#[test]
fn a_snapshot_length_cut_is_a_truncated_gap() {
    let conversation = pop3_session("192.0.2.10:40000", "192.0.2.20:110");
    let frames = synth::frames(
        &conversation,
        &conversation.packets(),
        &Link::Ethernet,
        Timestamp(0),
    );
    let (got, stats) = run_pipeline(capture::write_pcap(LinkType::ETHERNET, &frames, 96));
    assert!(stats.truncated_frames > 0);
    // 96 bytes of frame leave 96 - 14 - 20 - 20 = 42 payload bytes of each segment.
    let stream = got.stream(1, S);
    assert_eq!(
        stream.len(),
        conversation.stream(S).len(),
        "every position is accounted for"
    );
    assert!(got.gaps.iter().all(|gap| gap.4 == GapCause::Truncated));
    for (i, byte) in stream.iter().enumerate() {
        if let Some(b) = byte {
            assert_eq!(*b, conversation.stream(S)[i], "captured bytes are right at {i}");
        }
    }
}

#[test]
fn an_overlap_with_different_bytes_is_flagged_and_the_first_copy_wins() {
    let conversation = pop3_session("192.0.2.10:40000", "192.0.2.20:110");
    let mut packets = conversation.packets();
    let retr = packets.iter().position(|p| p.payload == b"RETR 1\r\n").unwrap();
    let mut forged = packets[retr].clone();
    forged.payload = b"DELE 1\r\n".to_vec();
    packets.insert(retr + 1, forged);
    let (got, _) = run_pipeline(write(&conversation, &packets, &Link::Ethernet));
    assert_eq!(got.stream(1, C), &known(&conversation.stream(C)));
    assert_eq!(got.summaries[0].to_server.conflicting_bytes, 3);
}

#[test]
fn a_reset_mid_reply_ends_the_connection_as_rst() {
    let mut conversation = pop3_session("192.0.2.10:40000", "192.0.2.20:110");
    conversation.ending = Ending::Rst;
    let (got, _) = run_pipeline(write(&conversation, &conversation.packets(), &Link::Ethernet));
    assert_eq!(got.summaries[0].end, Some(EndReason::Rst));
}

/// One way of disturbing a packet list without losing a byte.
#[derive(Clone, Debug)]
enum Perturbation {
    /// Split packet `i` after `at` bytes.
    Split(usize, usize),
    /// Send packet `i` again, `later` packets later.
    Duplicate(usize, usize),
    /// Swap packet `i` with one up to 16 places later (the handshake stays first): further
    /// apart, the held-back segments outgrow their bound and the missing bytes become gaps.
    Swap(usize, usize),
    /// Merge packet `i` with the next packet of its direction, and send the merge too.
    Overlap(usize),
    /// Move packet `i` `by` places later: within a window, whatever the directions.
    Nudge(usize, usize),
}

fn perturbation() -> impl Strategy<Value = Perturbation> {
    prop_oneof![
        (any::<usize>(), any::<usize>()).prop_map(|(i, at)| Perturbation::Split(i, at)),
        (any::<usize>(), 0usize..5).prop_map(|(i, later)| Perturbation::Duplicate(i, later)),
        (any::<usize>(), any::<usize>()).prop_map(|(i, j)| Perturbation::Swap(i, j)),
        any::<usize>().prop_map(Perturbation::Overlap),
    ]
}

/// What a capture point between the endpoints does to a conversation without losing a byte:
/// splits, duplicates and merges, and packets moved a few places, across the two directions.
fn local_perturbation() -> impl Strategy<Value = Perturbation> {
    prop_oneof![
        (any::<usize>(), any::<usize>()).prop_map(|(i, at)| Perturbation::Split(i, at)),
        (any::<usize>(), 0usize..5).prop_map(|(i, later)| Perturbation::Duplicate(i, later)),
        any::<usize>().prop_map(Perturbation::Overlap),
        (any::<usize>(), 1usize..6).prop_map(|(i, by)| Perturbation::Nudge(i, by)),
    ]
}

fn apply(packets: &mut Vec<TcpPacket>, perturbation: &Perturbation, fixed: usize) {
    let movable = packets.len() - fixed;
    let pick = |i: usize| fixed + i % movable;
    match *perturbation {
        Perturbation::Split(i, at) => {
            let i = pick(i);
            if packets[i].payload.len() > 1 && !packets[i].flags.rst {
                let at = 1 + at % (packets[i].payload.len() - 1);
                let (a, b) = packets[i].split_at(at);
                packets[i] = a;
                packets.insert(i + 1, b);
            }
        }
        Perturbation::Duplicate(i, later) => {
            let i = pick(i);
            if !packets[i].flags.rst {
                let copy = packets[i].clone();
                let at = (i + 1 + later).min(packets.len());
                packets.insert(at, copy);
            }
        }
        Perturbation::Nudge(i, by) => {
            let i = pick(i);
            let to = (i + by).min(packets.len() - 1);
            let moved = packets.remove(i);
            packets.insert(to, moved);
        }
        Perturbation::Swap(i, j) => {
            let i = pick(i);
            let j = (i + j % 17).min(packets.len() - 1);
            if !packets[i].flags.rst && !packets[j].flags.rst {
                packets.swap(i, j);
            }
        }
        Perturbation::Overlap(i) => {
            let i = pick(i);
            let next = (i + 1..packets.len()).find(|&j| {
                packets[j].dir == packets[i].dir
                    && packets[j].seq == packets[i].seq.wrapping_add(packets[i].payload.len() as u32)
                    && !packets[j].payload.is_empty()
            });
            if let Some(j) = next
                && !packets[i].payload.is_empty()
            {
                let mut merged = packets[i].clone();
                merged.payload.extend_from_slice(&packets[j].payload);
                merged.flags.fin = false;
                // Sent after both, it acknowledges what the later one did: a sender's ACKs
                // never go back.
                merged.ack = packets[j].ack;
                packets.insert(j + 1, merged);
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn any_perturbation_that_loses_no_data_gives_back_the_streams(
        perturbations in prop::collection::vec(perturbation(), 0..12),
        isn_below_wrap in 0u32..5000,
        handshake in any::<bool>(),
        mss in 1usize..1460,
        link in 0usize..5,
    ) {
        let mut conversation = pop3_session("192.0.2.10:40000", "192.0.2.20:110");
        // Sequence numbers start just below 2^32, so most streams wrap around.
        conversation.client_isn = u32::MAX - isn_below_wrap;
        conversation.server_isn = u32::MAX - isn_below_wrap / 2;
        conversation.handshake = handshake;
        conversation.mss = mss;
        let mut packets = conversation.packets();
        // Without a handshake, the first byte of each side must come first to be known as first.
        let fixed = if handshake { 3 } else { 0 };
        if handshake {
            for p in &perturbations {
                apply(&mut packets, p, fixed);
            }
        }
        let link = [Link::Ethernet, Link::Sll2, Link::Null, Link::Vlan(vec![7, 8]), Link::Raw][link].clone();
        let (got, _) = run_pipeline(write(&conversation, &packets, &link));
        prop_assert_eq!(got.stream(1, C), &known(&conversation.stream(C)));
        prop_assert_eq!(got.stream(1, S), &known(&conversation.stream(S)));
        prop_assert!(got.gaps.is_empty());
    }

    #[test]
    fn the_two_directions_reordered_against_each_other_pair_as_in_order(
        perturbations in prop::collection::vec(local_perturbation(), 1..16),
        mss in prop_oneof![Just(1460usize), 1usize..64],
    ) {
        // The endpoints' order is in the ACKs: a reply captured before the command it
        // answers waits for it, and every exchange pairs as it did on the wire.
        let mut conversation = pop3_session("192.0.2.10:40000", "192.0.2.20:110");
        conversation.mss = mss;
        let in_order = conversation.packets();
        let expected = run_sessions(write(&conversation, &in_order, &Link::Ethernet));
        let mut packets = in_order.clone();
        for p in &perturbations {
            apply(&mut packets, p, 3);
        }
        let got = run_sessions(write(&conversation, &packets, &Link::Ethernet));
        prop_assert_eq!(got, expected);
    }

    #[test]
    fn a_lost_command_costs_only_its_own_exchange(
        lost in 0usize..4,
        nudges in prop::collection::vec((any::<usize>(), 1usize..4), 0..4),
    ) {
        // One command's segment never reaches the capture, but its reply does: that exchange
        // says so, and every other pairs as in order.
        let conversation = pop3_session("192.0.2.10:40000", "192.0.2.20:110");
        let in_order = conversation.packets();
        let expected = run_sessions(write(&conversation, &in_order, &Link::Ethernet));
        let commands: Vec<usize> = (0..in_order.len())
            .filter(|&i| in_order[i].dir == C && !in_order[i].payload.is_empty())
            .collect();
        let mut packets = in_order.clone();
        let dropped = packets.remove(commands[lost]);
        for (i, by) in &nudges {
            apply(&mut packets, &Perturbation::Nudge(*i, *by), 3);
        }
        let got = run_sessions(write(&conversation, &packets, &Link::Ethernet));
        prop_assert_eq!(got.len(), expected.len());
        let command = String::from_utf8_lossy(&dropped.payload).trim_end().to_string();
        for (g, e) in got.iter().zip(&expected) {
            if e.starts_with(&command) {
                prop_assert!(g.starts_with("(none)") || g.contains("incomplete"), "{}", g);
            } else {
                prop_assert_eq!(g, e);
            }
        }
    }

    #[test]
    fn random_bytes_at_every_layer_never_panic(
        bytes in prop::collection::vec(any::<u8>(), 0..300),
        link in 0usize..8,
        at in any::<usize>(),
    ) {
        let conversation = pop3_session("192.0.2.10:40000", "192.0.2.20:110");
        let links = [Link::Ethernet, Link::Vlan(vec![1]), Link::Sll, Link::Sll2, Link::Null, Link::Loop, Link::Raw, Link::Ethernet];
        let link = &links[link];
        // Garbage as a whole frame, and garbage written over part of a real frame.
        let mut real = synth::frame_bytes(&conversation, &conversation.packets()[5], link);
        let from = at % real.len();
        for (i, b) in bytes.iter().enumerate() {
            if let Some(slot) = real.get_mut(from + i) {
                *slot = *b;
            }
        }
        let frames = vec![
            capture::OwnedFrame { ts: Timestamp(0), data: bytes.clone() },
            capture::OwnedFrame { ts: Timestamp(1), data: real },
        ];
        let _ = run_pipeline(capture::write_pcap(link.link_type(), &frames, 65_535));
        // Garbage as the capture file itself, alone and after a good pcap or pcapng header.
        let pcap_header = capture::write_pcap(LinkType::ETHERNET, &[], 65_535);
        let pcapng_header = capture::write_pcapng(&[LinkType::ETHERNET], &[], false);
        for prefix in [&[][..], &pcap_header, &pcapng_header] {
            let mut file = prefix.to_vec();
            file.extend_from_slice(&bytes);
            if let Ok(mut reader) = pop3scope::capture::CaptureReader::new(std::io::Cursor::new(file)) {
                let _ = reader.for_each_frame(|_| true);
            }
        }
    }
}
