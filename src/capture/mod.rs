//! Capture: turn a .pcap or .pcapng byte stream into [`Frame`]s.
//!
//! Contract:
//! - The format is recognised by its magic number, never by the file name: classic pcap in both
//!   byte orders with microsecond or nanosecond timestamps, and pcapng with any number of sections
//!   and interfaces, each with its own link type and timestamp resolution (EPB and SPB blocks).
//! - Reading streams through a bounded buffer: a capture is never loaded whole.
//! - Frames borrow their bytes from the reader's buffer (zero-copy); they are pushed to a callback
//!   because the buffer moves as soon as the next block is read.
//! - Every frame is delivered with its 1-based number, its captured bytes and its original length,
//!   so later layers can tell a snaplen-truncated packet from a short one.
//! - A damaged or truncated file is an error that names the file offset and the number of the last
//!   good frame; the frames before it have already been delivered.
//! - Never panics, whatever the input.

use std::io;

use crate::base::Timestamp;

#[cfg(unix)]
pub mod live;
mod mapped;
mod read;
mod write;

pub(crate) use mapped::MappedFile;
pub use read::{CaptureReader, CaptureStats, Format, ReadAhead};
pub use write::{DEFAULT_SNAPLEN, OwnedFrame, PcapWriter, write_pcap, write_pcapng};

/// The link-layer header type of a frame (the tcpdump.org LINKTYPE_ number).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct LinkType(pub u32);

impl LinkType {
    /// BSD loopback: a 4-byte address family in the capturing host's byte order.
    pub const NULL: LinkType = LinkType(0);
    /// Ethernet II, with or without 802.1Q / 802.1ad VLAN tags.
    pub const ETHERNET: LinkType = LinkType(1);
    /// DLT_RAW as some systems number it in files (12 on most BSDs, 14 on OpenBSD).
    pub const RAW_BSD: LinkType = LinkType(12);
    /// DLT_RAW as OpenBSD numbers it in files: a bare IPv4 or IPv6 packet.
    pub const RAW_OPENBSD: LinkType = LinkType(14);
    /// A bare IPv4 or IPv6 packet, no link header: the version nibble tells which.
    pub const RAW: LinkType = LinkType(101);
    /// OpenBSD loopback: like [`NULL`](Self::NULL), with the family in network byte order.
    pub const LOOP: LinkType = LinkType(108);
    /// Linux cooked capture v1, what older `tcpdump -i any` writes: a 16-byte pseudo-header.
    pub const LINUX_SLL: LinkType = LinkType(113);
    /// A bare IPv4 packet, no link header.
    pub const IPV4: LinkType = LinkType(228);
    /// A bare IPv6 packet, no link header.
    pub const IPV6: LinkType = LinkType(229);
    /// Linux cooked capture v2, what `tcpdump -i any` writes: a 20-byte pseudo-header that
    /// names the interface.
    pub const LINUX_SLL2: LinkType = LinkType(276);

    /// The tcpdump.org name without its `LINKTYPE_` prefix (`ETHERNET`, `LINUX_SLL2`), for
    /// messages; `other` for a type pop3scope does not decode.
    pub fn name(self) -> &'static str {
        match self {
            LinkType::NULL => "NULL",
            LinkType::ETHERNET => "ETHERNET",
            LinkType::RAW | LinkType::RAW_BSD | LinkType::RAW_OPENBSD => "RAW",
            LinkType::LOOP => "LOOP",
            LinkType::LINUX_SLL => "LINUX_SLL",
            LinkType::IPV4 => "IPV4",
            LinkType::IPV6 => "IPV6",
            LinkType::LINUX_SLL2 => "LINUX_SLL2",
            _ => "other",
        }
    }
}

/// One captured packet, borrowed from the reader's buffer.
#[derive(Clone, Copy, Debug)]
pub struct Frame<'a> {
    /// 1-based position in the capture, as Wireshark numbers frames.
    pub number: u64,
    /// Capture time, by the capturing host's clock; zero for a pcapng Simple Packet Block,
    /// which has none.
    pub ts: Timestamp,
    /// How to read `data`: the link type of the file, or of the pcapng interface it came on.
    pub link_type: LinkType,
    /// The captured bytes (at most the snapshot length).
    pub data: &'a [u8],
    /// The length of the packet on the wire; larger than `data.len()` when the snapshot length cut it.
    pub orig_len: u32,
}

impl Frame<'_> {
    /// Whether the snapshot length cut the packet: some of its bytes on the wire are not in
    /// `data`.
    pub fn is_truncated(&self) -> bool {
        (self.orig_len as usize) > self.data.len()
    }
}

/// What went wrong reading a capture file.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CaptureError {
    /// The input could not be read: an I/O error, not bad content.
    #[error("cannot read")]
    Io(#[from] io::Error),
    /// The input has no bytes at all.
    #[error("empty input: no capture header")]
    Empty,
    /// The first bytes are no pcap or pcapng magic number.
    #[error(
        "not a pcap or pcapng capture: it starts with {found} (a pcap file starts with a1b2c3d4 or \
         a1b23c4d in either byte order, a pcapng file with 0a0d0d0a)"
    )]
    NotACapture {
        /// The first bytes (up to four), in hex and as text.
        found: String,
    },
    /// The file header or a block does not parse, or claims an impossible size.
    #[error("damaged capture at byte offset {offset} (after frame {frame}): {what}")]
    Damaged {
        /// Byte offset in the file of the header or block that failed.
        offset: u64,
        /// Number of the last frame delivered before it; 0 when none was.
        frame: u64,
        /// What is wrong with it, for the message.
        what: String,
    },
    /// The input ended in the middle of a block.
    #[error("truncated capture at byte offset {offset} (after frame {frame}): the last block is cut short")]
    Truncated {
        /// Byte offset in the file of the block that is cut short.
        offset: u64,
        /// Number of the last frame delivered before it; 0 when none was.
        frame: u64,
    },
}
