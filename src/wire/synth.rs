//! Synth: scripted TCP conversations turned into capture files.
//!
//! Contract: a [`Conversation`] is a list of turns (who sends which bytes); [`Conversation::packets`]
//! makes the TCP segments a real stack would send (handshake, MSS-sized data segments with
//! acknowledgements, FIN or RST teardown); [`frames`] wraps them in IP and a link header of any
//! supported type; [`write_pcap`] and [`crate::capture::write_pcapng`] write the capture file. Tests perturb the
//! packet list (reorder, duplicate, drop, split, overlap) before writing it, so every claim the
//! reassembler makes can be checked against bytes whose truth is known.
//!
//! IP and TCP headers are built by etherparse, checksums included, so tcpdump, tshark and tcpflow
//! read the files as they would a real capture.

use std::net::{IpAddr, SocketAddr};

use etherparse::{PacketBuilder, TcpHeader};

use crate::base::Direction;
use crate::base::Timestamp;
use crate::capture::{LinkType, OwnedFrame, write_pcap};
use crate::wire::TcpFlags;

/// How a conversation ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ending {
    /// The client sends FIN, the server answers with FIN.
    Fin,
    /// The client resets the connection.
    Rst,
    /// The capture stops while the connection is open.
    Open,
}

/// One TCP segment of a scripted conversation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TcpPacket {
    /// Who sends it.
    pub dir: Direction,
    /// Absolute sequence number of its first byte (of the SYN itself on a SYN).
    pub seq: u32,
    /// The next byte expected from the peer; 0 on the opening SYN.
    pub ack: u32,
    /// Control bits; on the wire PSH is added whenever there is payload.
    pub flags: TcpFlags,
    /// Data bytes, at most the conversation's MSS.
    pub payload: Vec<u8>,
}

impl TcpPacket {
    /// Splits the payload after `at` bytes into two segments, as a sender with a smaller MSS would.
    pub fn split_at(&self, at: usize) -> (TcpPacket, TcpPacket) {
        let at = at.min(self.payload.len());
        let mut first = self.clone();
        let mut second = self.clone();
        first.payload.truncate(at);
        first.flags.fin = false;
        second.payload.drain(..at);
        second.seq = self.seq.wrapping_add(at as u32);
        (first, second)
    }
}

/// A conversation's segments in three parts (see [`Conversation::segments`]).
#[derive(Clone, Debug)]
pub struct Segments {
    /// The three-way handshake (SYN, SYN-ACK, ACK); empty without [`Conversation::handshake`].
    pub opening: Vec<TcpPacket>,
    /// One per turn: its data segments (at most MSS bytes each), then the peer's ACK.
    pub turns: Vec<Vec<TcpPacket>>,
    /// The teardown [`Conversation::ending`] asks for: FIN, FIN, ACK; a lone RST; or nothing.
    pub closing: Vec<TcpPacket>,
}

/// A scripted TCP conversation between a client and a server.
#[derive(Clone, Debug)]
pub struct Conversation {
    /// The client's address and port: the side that sends the SYN.
    pub client: SocketAddr,
    /// The server's address and port.
    pub server: SocketAddr,
    /// The client's initial sequence number, the one its SYN carries.
    pub client_isn: u32,
    /// The server's initial sequence number, the one its SYN-ACK carries.
    pub server_isn: u32,
    /// Whether the capture has the three-way handshake.
    pub handshake: bool,
    /// How the connection ends after the last turn.
    pub ending: Ending,
    /// Largest payload per segment.
    pub mss: usize,
    turns: Vec<(Direction, Vec<u8>)>,
}

impl Conversation {
    /// A conversation with no turns yet: handshake, FIN ending, MSS 1460, client ISN 1000,
    /// server ISN 5000000.
    pub fn new(client: SocketAddr, server: SocketAddr) -> Self {
        Conversation {
            client,
            server,
            client_isn: 1_000,
            server_isn: 5_000_000,
            handshake: true,
            ending: Ending::Fin,
            mss: 1460,
            turns: Vec::new(),
        }
    }

    /// The client sends `bytes`.
    pub fn client(mut self, bytes: impl AsRef<[u8]>) -> Self {
        self.turns
            .push((Direction::ClientToServer, bytes.as_ref().to_vec()));
        self
    }

    /// The server sends `bytes`.
    pub fn server(mut self, bytes: impl AsRef<[u8]>) -> Self {
        self.turns
            .push((Direction::ServerToClient, bytes.as_ref().to_vec()));
        self
    }

    /// The conversation as a pcap file on Ethernet, packets a millisecond apart from time 0.
    pub fn to_pcap(&self) -> Vec<u8> {
        let frames = frames(self, &self.packets(), &Link::Ethernet, Timestamp(0));
        write_pcap(LinkType::ETHERNET, &frames, 65_535)
    }

    /// Everything one side sent, in order: what a reassembler must give back.
    pub fn stream(&self, dir: Direction) -> Vec<u8> {
        self.turns
            .iter()
            .filter(|(d, _)| *d == dir)
            .flat_map(|(_, b)| b.iter().copied())
            .collect()
    }

    /// The segments a TCP stack would send for this conversation, in order.
    pub fn packets(&self) -> Vec<TcpPacket> {
        let segments = self.segments();
        let mut out = segments.opening;
        out.extend(segments.turns.into_iter().flatten());
        out.extend(segments.closing);
        out
    }

    /// The segments, grouped: the handshake, each turn (its data segments, then the peer's
    /// acknowledgement), the teardown.
    pub fn segments(&self) -> Segments {
        const C: Direction = Direction::ClientToServer;
        const S: Direction = Direction::ServerToClient;
        // Next sequence number of each side, indexed by `dir as usize`.
        let mut next = [self.client_isn, self.server_isn];
        let mut opening = Vec::new();
        let flags = |syn, ack, fin, rst| TcpFlags { syn, ack, fin, rst };
        // A segment without payload from `dir`, acknowledging everything the peer sent.
        let bare = |dir: Direction, next: &[u32; 2], flags: TcpFlags| TcpPacket {
            dir,
            seq: next[dir as usize],
            ack: next[1 - dir as usize],
            flags,
            payload: Vec::new(),
        };
        if self.handshake {
            opening.push(TcpPacket {
                ack: 0,
                ..bare(C, &next, flags(true, false, false, false))
            });
            opening.push(TcpPacket {
                ack: next[0].wrapping_add(1),
                ..bare(S, &next, flags(true, true, false, false))
            });
        }
        next[0] = next[0].wrapping_add(1);
        next[1] = next[1].wrapping_add(1);
        let ack = flags(false, true, false, false);
        if self.handshake {
            opening.push(bare(C, &next, ack));
        }
        let mut turns = Vec::new();
        for (dir, bytes) in &self.turns {
            let me = *dir as usize;
            let mut turn = Vec::new();
            for chunk in bytes.chunks(self.mss.max(1)) {
                turn.push(TcpPacket {
                    payload: chunk.to_vec(),
                    ..bare(*dir, &next, ack)
                });
                next[me] = next[me].wrapping_add(chunk.len() as u32);
            }
            // The peer acknowledges each turn.
            turn.push(bare(if *dir == C { S } else { C }, &next, ack));
            turns.push(turn);
        }
        let mut closing = Vec::new();
        match self.ending {
            Ending::Fin => {
                for dir in [C, S] {
                    closing.push(bare(dir, &next, flags(false, true, true, false)));
                    next[dir as usize] = next[dir as usize].wrapping_add(1);
                }
                closing.push(bare(C, &next, ack));
            }
            Ending::Rst => closing.push(bare(C, &next, flags(false, true, false, true))),
            Ending::Open => {}
        }
        Segments {
            opening,
            turns,
            closing,
        }
    }
}

/// The link-layer framing of a synthetic capture.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Link {
    /// Ethernet II, no VLAN tag.
    Ethernet,
    /// Ethernet with these VLAN tags, outermost first (two make QinQ).
    Vlan(Vec<u16>),
    /// Linux cooked capture v1, as on a loopback device.
    Sll,
    /// Linux cooked capture v2, as on a loopback device with interface index 1.
    Sll2,
    /// BSD loopback, family in little-endian host order.
    Null,
    /// OpenBSD loopback, family in network order.
    Loop,
    /// Bare IP, no link header.
    Raw,
}

impl Link {
    /// The LINKTYPE_ number a capture file of this framing carries.
    pub fn link_type(&self) -> LinkType {
        match self {
            Link::Ethernet | Link::Vlan(_) => LinkType::ETHERNET,
            Link::Sll => LinkType::LINUX_SLL,
            Link::Sll2 => LinkType::LINUX_SLL2,
            Link::Null => LinkType::NULL,
            Link::Loop => LinkType::LOOP,
            Link::Raw => LinkType::RAW,
        }
    }

    fn header(&self, ipv6: bool) -> Vec<u8> {
        let ethertype: [u8; 2] = if ipv6 { [0x86, 0xdd] } else { [0x08, 0x00] };
        match self {
            Link::Ethernet | Link::Vlan(_) => {
                let mut h = vec![0x02, 0, 0, 0, 0, 0x02, 0x02, 0, 0, 0, 0, 0x01];
                if let Link::Vlan(tags) = self {
                    for (i, tag) in tags.iter().enumerate() {
                        let tpid: [u8; 2] = if i + 1 < tags.len() {
                            [0x88, 0xa8]
                        } else {
                            [0x81, 0x00]
                        };
                        h.extend_from_slice(&tpid);
                        h.extend_from_slice(&(tag & 0x0fff).to_be_bytes());
                    }
                }
                h.extend_from_slice(&ethertype);
                h
            }
            Link::Sll => {
                // Outgoing packet on a loopback device (ARPHRD_LOOPBACK = 772), no address.
                let mut h = vec![0, 4, 0x03, 0x04, 0, 0];
                h.extend_from_slice(&[0; 8]);
                h.extend_from_slice(&ethertype);
                h
            }
            Link::Sll2 => {
                let mut h = ethertype.to_vec();
                h.extend_from_slice(&[0, 0]); // reserved
                h.extend_from_slice(&1u32.to_be_bytes()); // interface index
                h.extend_from_slice(&[0x03, 0x04, 0, 0]); // ARPHRD_LOOPBACK, packet type, address length
                h.extend_from_slice(&[0; 8]);
                h
            }
            Link::Null => (if ipv6 { 30u32 } else { 2 }).to_le_bytes().to_vec(),
            Link::Loop => (if ipv6 { 24u32 } else { 2 }).to_be_bytes().to_vec(),
            Link::Raw => Vec::new(),
        }
    }
}

/// Wraps each packet in TCP, IP and the link header; one millisecond apart from `start`.
pub fn frames(
    conversation: &Conversation,
    packets: &[TcpPacket],
    link: &Link,
    start: Timestamp,
) -> Vec<OwnedFrame> {
    packets
        .iter()
        .enumerate()
        .map(|(i, packet)| OwnedFrame {
            ts: Timestamp(start.0 + i as i64 * 1_000_000),
            data: frame_bytes(conversation, packet, link),
        })
        .collect()
}

/// The bytes of one packet: link header, IP, TCP, payload.
pub fn frame_bytes(conversation: &Conversation, packet: &TcpPacket, link: &Link) -> Vec<u8> {
    let (src, dst) = match packet.dir {
        Direction::ClientToServer => (conversation.client, conversation.server),
        Direction::ServerToClient => (conversation.server, conversation.client),
    };
    let mut tcp = TcpHeader::new(src.port(), dst.port(), packet.seq, 65_535);
    tcp.acknowledgment_number = packet.ack;
    tcp.syn = packet.flags.syn;
    tcp.ack = packet.flags.ack;
    tcp.fin = packet.flags.fin;
    tcp.rst = packet.flags.rst;
    tcp.psh = !packet.payload.is_empty();
    let builder = match (src.ip(), dst.ip()) {
        (IpAddr::V4(s), IpAddr::V4(d)) => PacketBuilder::ipv4(s.octets(), d.octets(), 64),
        (IpAddr::V6(s), IpAddr::V6(d)) => PacketBuilder::ipv6(s.octets(), d.octets(), 64),
        (s, d) => {
            let (s, d) = (to_v6(s), to_v6(d));
            PacketBuilder::ipv6(s, d, 64)
        }
    };
    let ipv6 = matches!(src.ip(), IpAddr::V6(_)) || matches!(dst.ip(), IpAddr::V6(_));
    let mut out = link.header(ipv6);
    let builder = builder.tcp_header(tcp);
    // Writing to a Vec cannot fail; a payload too large for one IP packet is a test bug.
    builder
        .write(&mut out, &packet.payload)
        .expect("a synthetic payload fits in one IP packet");
    out
}

fn to_v6(ip: IpAddr) -> [u8; 16] {
    match ip {
        IpAddr::V4(v4) => v4.to_ipv6_mapped().octets(),
        IpAddr::V6(v6) => v6.octets(),
    }
}

/// Splits a raw IPv4 packet (no options) into fragments carrying `piece` payload bytes each
/// (rounded down to a multiple of 8), as a router with a small MTU would (RFC 791 §3.2).
pub fn fragment_ipv4(packet: &[u8], piece: usize) -> Vec<Vec<u8>> {
    let header_len = usize::from(packet[0] & 0x0f) * 4;
    let (header, payload) = packet.split_at(header_len);
    let piece = (piece / 8).max(1) * 8;
    let count = payload.len().div_ceil(piece);
    payload
        .chunks(piece)
        .enumerate()
        .map(|(i, chunk)| {
            let mut fragment = header.to_vec();
            let total = (header_len + chunk.len()) as u16;
            fragment[2..4].copy_from_slice(&total.to_be_bytes());
            let more = if i + 1 < count { 0x2000 } else { 0 };
            let flags_offset = more | ((i * piece / 8) as u16);
            fragment[6..8].copy_from_slice(&flags_offset.to_be_bytes());
            fragment[10..12].copy_from_slice(&[0, 0]);
            let sum = ipv4_checksum(&fragment);
            fragment[10..12].copy_from_slice(&sum.to_be_bytes());
            fragment.extend_from_slice(chunk);
            fragment
        })
        .collect()
}

fn ipv4_checksum(header: &[u8]) -> u16 {
    let mut sum: u32 = header
        .chunks(2)
        .map(|w| u32::from(u16::from_be_bytes([w[0], w[1]])))
        .sum();
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}
