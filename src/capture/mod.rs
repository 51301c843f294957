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
mod read;
mod write;

pub use read::{CaptureReader, CaptureStats, Format, ReadAhead};
pub use write::{DEFAULT_SNAPLEN, OwnedFrame, PcapWriter, write_pcap, write_pcapng};

/// The link-layer header type of a frame (the tcpdump.org LINKTYPE_ number).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct LinkType(pub u32);

impl LinkType {
    pub const NULL: LinkType = LinkType(0);
    pub const ETHERNET: LinkType = LinkType(1);
    /// DLT_RAW as some systems number it in files (12 on most BSDs, 14 on OpenBSD).
    pub const RAW_BSD: LinkType = LinkType(12);
    pub const RAW_OPENBSD: LinkType = LinkType(14);
    pub const RAW: LinkType = LinkType(101);
    pub const LOOP: LinkType = LinkType(108);
    pub const LINUX_SLL: LinkType = LinkType(113);
    pub const IPV4: LinkType = LinkType(228);
    pub const IPV6: LinkType = LinkType(229);
    pub const LINUX_SLL2: LinkType = LinkType(276);

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
    pub ts: Timestamp,
    pub link_type: LinkType,
    /// The captured bytes (at most the snapshot length).
    pub data: &'a [u8],
    /// The length of the packet on the wire; larger than `data.len()` when the snapshot length cut it.
    pub orig_len: u32,
}

impl Frame<'_> {
    pub fn is_truncated(&self) -> bool {
        (self.orig_len as usize) > self.data.len()
    }
}

/// What went wrong reading a capture file.
#[derive(Debug, thiserror::Error)]
pub enum CaptureError {
    #[error("cannot read")]
    Io(#[from] io::Error),
    #[error("empty input: no capture header")]
    Empty,
    #[error(
        "not a pcap or pcapng capture: it starts with {found} (a pcap file starts with a1b2c3d4 or \
         a1b23c4d in either byte order, a pcapng file with 0a0d0d0a)"
    )]
    NotACapture { found: String },
    #[error("damaged capture at byte offset {offset} (after frame {frame}): {what}")]
    Damaged { offset: u64, frame: u64, what: String },
    #[error("truncated capture at byte offset {offset} (after frame {frame}): the last block is cut short")]
    Truncated { offset: u64, frame: u64 },
}
