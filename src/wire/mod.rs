//! Wire: zero-copy views of the link, IP and TCP headers of a captured frame.
//!
//! Contract:
//! - [`decode`] borrows the frame's bytes and returns a [`Segment`] whose payload is a slice of
//!   them: nothing is copied on this path.
//! - Link types: Ethernet (with any number of 802.1Q / 802.1ad VLAN tags), Linux cooked capture
//!   SLL and SLL2 (`tcpdump -i any`), BSD NULL and LOOP, raw IPv4/IPv6. etherparse has no SLL2 and
//!   no NULL/LOOP, and its SLL rejects loopback packets, so link headers are read here.
//! - IPv4 and IPv6 (extension headers included) through etherparse's lax slices, which accept a
//!   packet the snapshot length cut short. A cut-short TCP payload is returned with the number of
//!   bytes the capture is missing ([`Segment::missing`]); bytes that were not captured are never
//!   read or guessed.
//! - IP fragments are handed back as [`Decoded::Fragment`]; [`Defragmenter`] puts them together
//!   under a hard memory cap.
//! - Anything else is a [`Skip`] with its reason, so the caller can count it: nothing is dropped
//!   silently. Never panics on any input.

use std::fmt;
use std::net::{IpAddr, SocketAddr};

use etherparse::{IpNumber, Ipv6ExtensionSlice, LaxIpSlice, TcpSlice};

use crate::capture::LinkType;

/// A TCP sequence number: arithmetic wraps at 2^32 (RFC 9293 §3.4).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub struct SeqNum(pub u32);

impl SeqNum {
    /// The signed distance from `other` to `self`, correct across wrap-around as long as the
    /// two are less than 2^31 apart.
    pub fn minus(self, other: SeqNum) -> i64 {
        i64::from(self.0.wrapping_sub(other.0) as i32)
    }
    /// The sequence number `n` bytes further on, wrapping at 2^32.
    pub fn plus(self, n: u32) -> SeqNum {
        SeqNum(self.0.wrapping_add(n))
    }
}

/// The TCP flags pop3scope acts on.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TcpFlags {
    /// SYN: the segment opens its side of the connection and takes one sequence number.
    pub syn: bool,
    /// ACK: the acknowledgment number is valid (on every segment after the first SYN).
    pub ack: bool,
    /// FIN: the sender has no more data; it takes one sequence number, after the payload.
    pub fin: bool,
    /// RST: the sender aborts the connection.
    pub rst: bool,
}

/// One TCP segment, borrowed from its frame.
#[derive(Clone, Copy, Debug)]
pub struct Segment<'a> {
    /// The sender's address and port.
    pub src: SocketAddr,
    /// The receiver's address and port.
    pub dst: SocketAddr,
    /// Sequence number of the first payload byte (of the SYN itself when SYN is set).
    pub seq: SeqNum,
    /// The next sequence number the sender expects from its peer; meaningful only with ACK.
    pub ack: SeqNum,
    /// The control bits pop3scope acts on.
    pub flags: TcpFlags,
    /// The payload bytes that were captured.
    pub payload: &'a [u8],
    /// Payload bytes the segment carried on the wire that the capture does not have.
    pub missing: u32,
}

/// Why a frame yields no TCP segment.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Skip {
    /// A link type pop3scope does not decode.
    UnsupportedLink(LinkType),
    /// ARP, LLDP and other frames that carry no IP.
    NotIp,
    /// UDP, ICMP and other IP payloads.
    NotTcp,
    /// The capture cut the packet inside its link, IP or TCP header.
    TruncatedHeader,
    /// A header that contradicts itself (bad length fields, bad IP version).
    Malformed,
}

impl fmt::Display for Skip {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Skip::UnsupportedLink(link) => write!(f, "unsupported link type {}", link.0),
            Skip::NotIp => f.write_str("not IP"),
            Skip::NotTcp => f.write_str("not TCP"),
            Skip::TruncatedHeader => f.write_str("headers cut short by the snapshot length"),
            Skip::Malformed => f.write_str("malformed headers"),
        }
    }
}

/// One fragment of an IP datagram that carries TCP.
#[derive(Clone, Copy, Debug)]
pub struct Fragment<'a> {
    /// Source address of the datagram.
    pub src: IpAddr,
    /// Destination address of the datagram.
    pub dst: IpAddr,
    /// The datagram's identification: IPv4's 16 bits, or the 32 of IPv6's Fragment header.
    pub id: u32,
    /// Offset of this fragment's data in the datagram's payload, in bytes.
    pub offset: usize,
    /// More Fragments: further fragments of the datagram follow this one.
    pub more: bool,
    /// The captured bytes of this fragment's part of the payload (the TCP header and data).
    pub data: &'a [u8],
    /// The fragment was cut short by the snapshot length.
    pub truncated: bool,
}

/// What one frame carries: a whole TCP segment, or one fragment of an IP datagram.
#[derive(Clone, Copy, Debug)]
pub enum Decoded<'a> {
    /// The TCP segment of an unfragmented IP packet.
    Tcp(Segment<'a>),
    /// A fragment, for a [`Defragmenter`]; the whole datagram's TCP part is then read with
    /// [`tcp_segment`].
    Fragment(Fragment<'a>),
}

/// Decodes a frame of the given link type down to its TCP segment.
pub fn decode(link_type: LinkType, frame: &[u8]) -> Result<Decoded<'_>, Skip> {
    decode_ip(ip_packet(link_type, frame)?)
}

const ETHERTYPE_IPV4: u16 = 0x0800;
const ETHERTYPE_IPV6: u16 = 0x86dd;
const VLAN_TAGS: [u16; 3] = [0x8100, 0x88a8, 0x9100];

fn be16(bytes: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes([*bytes.get(at)?, *bytes.get(at + 1)?]))
}

/// Strips the link-layer header and returns the IP packet it carries.
fn ip_packet(link_type: LinkType, frame: &[u8]) -> Result<&[u8], Skip> {
    let by_ethertype = |ethertype: u16, start: usize| match ethertype {
        ETHERTYPE_IPV4 | ETHERTYPE_IPV6 => frame.get(start..).ok_or(Skip::TruncatedHeader),
        _ => Err(Skip::NotIp),
    };
    match link_type {
        LinkType::ETHERNET => {
            let mut start = 14;
            let mut ethertype = be16(frame, 12).ok_or(Skip::TruncatedHeader)?;
            while VLAN_TAGS.contains(&ethertype) {
                ethertype = be16(frame, start + 2).ok_or(Skip::TruncatedHeader)?;
                start += 4;
            }
            by_ethertype(ethertype, start)
        }
        // SLL: packet type, ARPHRD type, address length, 8 address bytes, protocol.
        LinkType::LINUX_SLL => by_ethertype(be16(frame, 14).ok_or(Skip::TruncatedHeader)?, 16),
        // SLL2: protocol first, then reserved, interface index, ARPHRD type, packet type, address.
        LinkType::LINUX_SLL2 => by_ethertype(be16(frame, 0).ok_or(Skip::TruncatedHeader)?, 20),
        LinkType::NULL | LinkType::LOOP => {
            let family = frame.get(..4).ok_or(Skip::TruncatedHeader)?;
            let family = [family[0], family[1], family[2], family[3]];
            // NULL stores the family in the capturing host's byte order, LOOP in network order.
            let family = if link_type == LinkType::LOOP || family[0] == 0 {
                u32::from_be_bytes(family)
            } else {
                u32::from_le_bytes(family)
            };
            match family {
                // AF_INET everywhere; AF_INET6 on NetBSD/OpenBSD, FreeBSD, macOS.
                2 | 24 | 28 | 30 => Ok(&frame[4..]),
                _ => Err(Skip::NotIp),
            }
        }
        LinkType::RAW | LinkType::RAW_BSD | LinkType::RAW_OPENBSD | LinkType::IPV4 | LinkType::IPV6 => {
            Ok(frame)
        }
        other => Err(Skip::UnsupportedLink(other)),
    }
}

fn decode_ip(packet: &[u8]) -> Result<Decoded<'_>, Skip> {
    let (ip, _extension_error) = LaxIpSlice::from_slice(packet).map_err(|error| match error {
        etherparse::err::ip::LaxHeaderSliceError::Len(_) => Skip::TruncatedHeader,
        etherparse::err::ip::LaxHeaderSliceError::Content(_) => Skip::Malformed,
    })?;
    let payload = ip.payload();
    if payload.ip_number != IpNumber::TCP {
        return Err(Skip::NotTcp);
    }
    let (src, dst) = (ip.source_addr(), ip.destination_addr());
    // Where the TCP header starts in `packet`, and how long the datagram was on the wire.
    let tcp_start = payload.payload.as_ptr() as usize - packet.as_ptr() as usize;
    let (wire_len, fragment) = match &ip {
        LaxIpSlice::Ipv4(v4) => {
            let header = v4.header();
            let fragment = header.is_fragmenting_payload().then(|| {
                (
                    u32::from(header.identification()),
                    usize::from(header.fragments_offset().value()) * 8,
                    header.more_fragments(),
                )
            });
            (usize::from(header.total_len()), fragment)
        }
        LaxIpSlice::Ipv6(v6) => {
            let fragment = v6.extensions().clone().into_iter().find_map(|ext| match ext {
                Ipv6ExtensionSlice::Fragment(frag) if frag.is_fragmenting_payload() => Some((
                    frag.identification(),
                    usize::from(frag.fragment_offset().value()) * 8,
                    frag.more_fragments(),
                )),
                _ => None,
            });
            (40 + usize::from(v6.header().payload_length()), fragment)
        }
    };
    if let Some((id, offset, more)) = fragment {
        return Ok(Decoded::Fragment(Fragment {
            src,
            dst,
            id,
            offset,
            more,
            data: payload.payload,
            truncated: payload.incomplete,
        }));
    }
    let tcp_wire_len = if payload.incomplete {
        wire_len.saturating_sub(tcp_start)
    } else {
        payload.payload.len()
    };
    tcp_segment(src, dst, payload.payload, tcp_wire_len).map(Decoded::Tcp)
}

/// Reads a TCP header and payload; `wire_len` is how long the TCP part was on the wire.
pub fn tcp_segment(src: IpAddr, dst: IpAddr, tcp: &[u8], wire_len: usize) -> Result<Segment<'_>, Skip> {
    let slice = TcpSlice::from_slice(tcp).map_err(|error| match error {
        etherparse::err::tcp::HeaderSliceError::Len(_) => Skip::TruncatedHeader,
        etherparse::err::tcp::HeaderSliceError::Content(_) => Skip::Malformed,
    })?;
    let payload = slice.payload();
    let wire_payload = wire_len.saturating_sub(slice.header_slice().len());
    Ok(Segment {
        src: SocketAddr::new(src, slice.source_port()),
        dst: SocketAddr::new(dst, slice.destination_port()),
        seq: SeqNum(slice.sequence_number()),
        ack: SeqNum(slice.acknowledgment_number()),
        flags: TcpFlags {
            syn: slice.syn(),
            ack: slice.ack(),
            fin: slice.fin(),
            rst: slice.rst(),
        },
        payload,
        missing: u32::try_from(wire_payload.saturating_sub(payload.len())).unwrap_or(u32::MAX),
    })
}

mod defrag;
pub mod synth;

pub use defrag::Defragmenter;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sequence_numbers_compare_across_wrap_around() {
        assert_eq!(SeqNum(5).minus(SeqNum(u32::MAX - 4)), 10);
        assert_eq!(SeqNum(u32::MAX - 4).minus(SeqNum(5)), -10);
        assert_eq!(SeqNum(u32::MAX).plus(2), SeqNum(1));
    }

    #[test]
    fn unknown_link_types_are_skipped_with_their_number() {
        assert_eq!(
            decode(LinkType(147), &[0; 40]).err(),
            Some(Skip::UnsupportedLink(LinkType(147)))
        );
    }

    #[test]
    fn arp_is_not_ip() {
        let mut frame = vec![0u8; 42];
        frame[12..14].copy_from_slice(&[0x08, 0x06]);
        assert_eq!(decode(LinkType::ETHERNET, &frame).err(), Some(Skip::NotIp));
    }

    #[test]
    fn a_frame_shorter_than_its_link_header_is_truncated() {
        assert_eq!(
            decode(LinkType::ETHERNET, &[0; 10]).err(),
            Some(Skip::TruncatedHeader)
        );
        assert_eq!(
            decode(LinkType::LINUX_SLL2, &[0x08]).err(),
            Some(Skip::TruncatedHeader)
        );
    }
}
