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

use std::fmt;
use std::io::{self, Read};

use pcap_parser::pcapng::Block;
use pcap_parser::traits::PcapReaderIterator;
use pcap_parser::{LegacyPcapReader, Linktype, PcapBlockOwned, PcapError, PcapNGReader};

/// A point in time, in nanoseconds since the Unix epoch (UTC).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(pub i64);

impl Timestamp {
    pub fn from_secs_nanos(secs: i64, nanos: i64) -> Self {
        Timestamp(secs.saturating_mul(1_000_000_000).saturating_add(nanos))
    }
    pub fn secs(self) -> i64 {
        self.0.div_euclid(1_000_000_000)
    }
    /// `HH:MM:SS.mmm` in UTC: the time column of the text output and the terminal view.
    pub fn time_of_day(self) -> String {
        let of_day = self.secs().rem_euclid(86_400);
        format!(
            "{:02}:{:02}:{:02}.{:03}",
            of_day / 3600,
            of_day / 60 % 60,
            of_day % 60,
            self.subsec_nanos() / 1_000_000
        )
    }

    pub fn subsec_nanos(self) -> u32 {
        self.0.rem_euclid(1_000_000_000) as u32
    }
    /// Seconds from `earlier` to `self`, negative when `self` is earlier.
    pub fn seconds_since(self, earlier: Timestamp) -> f64 {
        (self.0 - earlier.0) as f64 / 1e9
    }
}

impl Timestamp {
    /// RFC 3339 in UTC with microseconds, as tcpdump prints them: `2026-11-27T03:26:49.123456Z`;
    /// `None` for a year outside 0–9999. Written digit by digit: this is on the path of every
    /// JSON record.
    pub(crate) fn rfc3339(self) -> Option<[u8; 27]> {
        let secs = self.secs();
        let (year, month, day) = civil_from_days(secs.div_euclid(86_400));
        if !(0..=9999).contains(&year) {
            return None;
        }
        let of_day = secs.rem_euclid(86_400) as u32;
        let mut text = *b"0000-00-00T00:00:00.000000Z";
        let mut put = |at: usize, width: usize, mut value: u32| {
            for i in (at..at + width).rev() {
                text[i] = b'0' + (value % 10) as u8;
                value /= 10;
            }
        };
        put(0, 4, year as u32);
        put(5, 2, month);
        put(8, 2, day);
        put(11, 2, of_day / 3600);
        put(14, 2, of_day / 60 % 60);
        put(17, 2, of_day % 60);
        put(20, 6, self.subsec_nanos() / 1000);
        Some(text)
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.rfc3339() {
            Some(text) => f.write_str(std::str::from_utf8(&text).map_err(|_| fmt::Error)?),
            None => {
                let secs = self.secs();
                let (year, month, day) = civil_from_days(secs.div_euclid(86_400));
                let of_day = secs.rem_euclid(86_400);
                let (h, m, s) = (of_day / 3600, of_day / 60 % 60, of_day % 60);
                write!(
                    f,
                    "{year}-{month:02}-{day:02}T{h:02}:{m:02}:{s:02}.{:06}Z",
                    self.subsec_nanos() / 1000
                )
            }
        }
    }
}

impl serde::Serialize for Timestamp {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self.rfc3339() {
            Some(text) => serializer.serialize_str(std::str::from_utf8(&text).unwrap_or_default()),
            None => serializer.collect_str(self),
        }
    }
}

/// Days since 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's algorithm).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

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

/// Statistics the reader keeps about blocks that carry no frame.
#[derive(Clone, Debug, Default)]
pub struct CaptureStats {
    pub frames: u64,
    pub bytes_read: u64,
    /// pcapng packets that name an interface the file never described.
    pub frames_without_interface: u64,
}

/// Reads a file on a second thread, a few blocks ahead of the reader: the system calls and the
/// kernel's copying then overlap with decoding. Memory stays bounded (four
/// blocks of 1 MiB).
pub struct ReadAhead {
    blocks: std::sync::mpsc::Receiver<io::Result<Vec<u8>>>,
    spent: std::sync::mpsc::SyncSender<Vec<u8>>,
    current: Vec<u8>,
    at: usize,
    done: bool,
}

const READ_AHEAD_BLOCK: usize = 1 << 20;
const READ_AHEAD_BLOCKS: usize = 4;

impl ReadAhead {
    pub fn new<R: Read + Send + 'static>(mut input: R) -> Self {
        let (full, blocks) = std::sync::mpsc::sync_channel::<io::Result<Vec<u8>>>(READ_AHEAD_BLOCKS);
        let (spent, empty) = std::sync::mpsc::sync_channel::<Vec<u8>>(READ_AHEAD_BLOCKS + 2);
        std::thread::spawn(move || {
            loop {
                let mut block = empty.try_recv().unwrap_or_default();
                block.resize(READ_AHEAD_BLOCK, 0);
                // One read, not a full block: from a pipe (`tcpdump -w - | …`) packets must flow
                // on as they come.
                match input.read(&mut block) {
                    Err(error) if error.kind() == io::ErrorKind::Interrupted => continue,
                    Ok(0) => break,
                    Ok(n) => {
                        block.truncate(n);
                        if full.send(Ok(block)).is_err() {
                            break;
                        }
                    }
                    Err(error) => {
                        let _ = full.send(Err(error));
                        break;
                    }
                }
            }
        });
        ReadAhead {
            blocks,
            spent,
            current: Vec::new(),
            at: 0,
            done: false,
        }
    }
}

impl Read for ReadAhead {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.at == self.current.len() {
            if self.done {
                return Ok(0);
            }
            match self.blocks.recv() {
                Ok(block) => {
                    let old = std::mem::replace(&mut self.current, block?);
                    let _ = self.spent.try_send(old);
                    self.at = 0;
                }
                Err(_) => self.done = true,
            }
        }
        let n = buf.len().min(self.current.len() - self.at);
        buf[..n].copy_from_slice(&self.current[self.at..self.at + n]);
        self.at += n;
        Ok(n)
    }
}

/// Writes frames to a classic pcap file (microsecond timestamps, snapshot length 262144), as
/// `tcpdump -w` does: `open`, Wireshark and tcpdump read it back.
pub struct PcapWriter<W: io::Write> {
    out: W,
}

impl<W: io::Write> PcapWriter<W> {
    pub fn new(mut out: W, link_type: LinkType) -> io::Result<Self> {
        let mut header = Vec::with_capacity(24);
        header.extend_from_slice(&0xa1b2_c3d4u32.to_le_bytes());
        header.extend_from_slice(&2u16.to_le_bytes());
        header.extend_from_slice(&4u16.to_le_bytes());
        header.extend_from_slice(&[0; 8]);
        header.extend_from_slice(&262_144u32.to_le_bytes());
        header.extend_from_slice(&link_type.0.to_le_bytes());
        out.write_all(&header)?;
        Ok(PcapWriter { out })
    }

    pub fn write(&mut self, frame: &Frame<'_>) -> io::Result<()> {
        let mut record = [0u8; 16];
        record[0..4].copy_from_slice(&(frame.ts.secs() as u32).to_le_bytes());
        record[4..8].copy_from_slice(&(frame.ts.subsec_nanos() / 1000).to_le_bytes());
        record[8..12].copy_from_slice(&(frame.data.len() as u32).to_le_bytes());
        record[12..16].copy_from_slice(&frame.orig_len.to_le_bytes());
        self.out.write_all(&record)?;
        self.out.write_all(frame.data)
    }

    pub fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

/// The first bytes of a pcap or pcapng file, used to recognise the format.
const PCAP_MAGICS: [[u8; 4]; 4] = [
    [0xd4, 0xc3, 0xb2, 0xa1],
    [0xa1, 0xb2, 0xc3, 0xd4],
    [0x4d, 0x3c, 0xb2, 0xa1],
    [0xa1, 0xb2, 0x3c, 0x4d],
];
const PCAPNG_MAGIC: [u8; 4] = [0x0a, 0x0d, 0x0d, 0x0a];

/// The reader starts with this buffer and grows it up to [`MAX_BLOCK`] for larger blocks.
/// (A 64 KiB buffer is too small for a 70 KB loopback frame.)
const INITIAL_BUFFER: usize = 1 << 20;
/// No frame a capture tool writes is larger; a block that claims more is damage.
const MAX_BLOCK: usize = 16 << 20;

/// Per-interface facts a pcapng packet block needs to be understood.
#[derive(Clone, Copy)]
struct Interface {
    link_type: LinkType,
    /// Timestamp units per second.
    units_per_sec: u64,
    offset_secs: i64,
    snaplen: u32,
}

/// A streaming reader of a pcap or pcapng capture.
pub struct CaptureReader {
    inner: Box<dyn PcapReaderIterator + Send>,
    format: Format,
    stats: CaptureStats,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Pcap,
    PcapNg,
}

impl CaptureReader {
    /// Recognises the format from the first bytes of `input` and prepares to read it.
    pub fn new<R: Read + Send + 'static>(input: R) -> Result<Self, CaptureError> {
        let mut input = FullReads(input);
        let mut magic = [0u8; 4];
        let got = read_up_to(&mut input, &mut magic)?;
        if got == 0 {
            return Err(CaptureError::Empty);
        }
        let format = if PCAP_MAGICS.contains(&magic) && got == 4 {
            Format::Pcap
        } else if magic == PCAPNG_MAGIC {
            Format::PcapNg
        } else {
            return Err(CaptureError::NotACapture {
                found: describe_start(&magic[..got]),
            });
        };
        let input = FullReads(io::Cursor::new(magic).chain(input.0));
        let inner: Box<dyn PcapReaderIterator + Send> = match format {
            Format::Pcap => {
                Box::new(LegacyPcapReader::new(INITIAL_BUFFER, input).map_err(|e| header_error(&e))?)
            }
            Format::PcapNg => {
                Box::new(PcapNGReader::new(INITIAL_BUFFER, input).map_err(|e| header_error(&e))?)
            }
        };
        Ok(CaptureReader {
            inner,
            format,
            stats: CaptureStats::default(),
        })
    }

    pub fn format(&self) -> Format {
        self.format
    }

    pub fn stats(&self) -> &CaptureStats {
        &self.stats
    }

    /// Pushes every frame to `on_frame`, in file order, until the end of the capture, an error,
    /// or `on_frame` returns `false`.
    pub fn for_each_frame(
        &mut self,
        mut on_frame: impl FnMut(Frame<'_>) -> bool,
    ) -> Result<(), CaptureError> {
        let mut legacy: Option<(LinkType, bool)> = None;
        let mut interfaces: Vec<Interface> = Vec::new();
        loop {
            let offset = self.inner.consumed() as u64;
            let frame_number = self.stats.frames;
            let consumed = match self.inner.next() {
                Ok((consumed, block)) => {
                    let frame = match block {
                        PcapBlockOwned::LegacyHeader(header) => {
                            legacy = Some((
                                LinkType(header.network.0 as u32),
                                header.is_nanosecond_precision(),
                            ));
                            None
                        }
                        PcapBlockOwned::Legacy(record) => {
                            let (link_type, nanos) = legacy.unwrap_or((LinkType::ETHERNET, false));
                            let frac = i64::from(record.ts_usec);
                            let nanos = if nanos { frac } else { frac * 1000 };
                            let captured = clamp_len(record.data, record.caplen);
                            Some(Frame {
                                number: frame_number + 1,
                                ts: Timestamp::from_secs_nanos(i64::from(record.ts_sec), nanos),
                                link_type,
                                data: captured,
                                orig_len: record.origlen.max(captured.len() as u32),
                            })
                        }
                        PcapBlockOwned::NG(Block::SectionHeader(_)) => {
                            // Interface numbers are local to a section.
                            interfaces.clear();
                            None
                        }
                        PcapBlockOwned::NG(Block::InterfaceDescription(idb)) => {
                            interfaces.push(Interface {
                                link_type: LinkType(link_type_number(idb.linktype)),
                                units_per_sec: idb.ts_resolution().unwrap_or(1_000_000),
                                offset_secs: idb.ts_offset(),
                                snaplen: idb.snaplen,
                            });
                            None
                        }
                        PcapBlockOwned::NG(Block::EnhancedPacket(epb)) => {
                            match interfaces.get(epb.if_id as usize) {
                                Some(interface) => {
                                    let captured = clamp_len(epb.data, epb.caplen);
                                    let units = (u64::from(epb.ts_high) << 32) | u64::from(epb.ts_low);
                                    Some(Frame {
                                        number: frame_number + 1,
                                        ts: pcapng_timestamp(units, interface),
                                        link_type: interface.link_type,
                                        data: captured,
                                        orig_len: epb.origlen.max(captured.len() as u32),
                                    })
                                }
                                None => {
                                    self.stats.frames_without_interface += 1;
                                    None
                                }
                            }
                        }
                        PcapBlockOwned::NG(Block::SimplePacket(spb)) => match interfaces.first() {
                            Some(interface) => {
                                // An SPB stores min(original length, snaplen) bytes plus padding.
                                let snap = if interface.snaplen == 0 {
                                    u32::MAX
                                } else {
                                    interface.snaplen
                                };
                                let captured = clamp_len(spb.data, spb.origlen.min(snap));
                                Some(Frame {
                                    number: frame_number + 1,
                                    ts: Timestamp::default(),
                                    link_type: interface.link_type,
                                    data: captured,
                                    orig_len: spb.origlen.max(captured.len() as u32),
                                })
                            }
                            None => {
                                self.stats.frames_without_interface += 1;
                                None
                            }
                        },
                        PcapBlockOwned::NG(_) => None,
                    };
                    let keep_going = match frame {
                        Some(frame) => {
                            self.stats.frames += 1;
                            on_frame(frame)
                        }
                        None => true,
                    };
                    if !keep_going {
                        self.inner.consume_noshift(consumed);
                        self.stats.bytes_read = self.inner.consumed() as u64;
                        return Ok(());
                    }
                    consumed
                }
                Err(PcapError::Eof) => {
                    self.stats.bytes_read = offset;
                    return Ok(());
                }
                Err(PcapError::Incomplete(_)) => {
                    self.refill(offset, frame_number)?;
                    continue;
                }
                Err(PcapError::BufferTooSmall) => {
                    let size = self.inner.data().len().max(INITIAL_BUFFER) * 2;
                    if size > MAX_BLOCK || !self.inner.grow(size) {
                        return Err(CaptureError::Damaged {
                            offset,
                            frame: frame_number,
                            what: format!("a block claims to be larger than {} MiB", MAX_BLOCK >> 20),
                        });
                    }
                    self.refill(offset, frame_number)?;
                    continue;
                }
                Err(PcapError::UnexpectedEof) => {
                    return Err(CaptureError::Truncated {
                        offset,
                        frame: frame_number,
                    });
                }
                Err(PcapError::ReadError) => {
                    return Err(CaptureError::Io(io::Error::other(format!(
                        "read failed at byte offset {offset}"
                    ))));
                }
                Err(other) => {
                    return Err(CaptureError::Damaged {
                        offset,
                        frame: frame_number,
                        what: describe_parse_error(&other),
                    });
                }
            };
            self.inner.consume_noshift(consumed);
        }
    }

    fn refill(&mut self, offset: u64, frame: u64) -> Result<(), CaptureError> {
        self.inner.refill().map_err(|_| {
            CaptureError::Io(io::Error::other(format!(
                "read failed at byte offset {offset} (after frame {frame})"
            )))
        })
    }
}

fn link_type_number(link: Linktype) -> u32 {
    link.0 as u32
}

/// The captured bytes of a record: `data` may carry block padding beyond the captured length.
fn clamp_len(data: &[u8], caplen: u32) -> &[u8] {
    &data[..data.len().min(caplen as usize)]
}

fn pcapng_timestamp(units: u64, interface: &Interface) -> Timestamp {
    let per_sec = interface.units_per_sec.max(1);
    let secs = (units / per_sec) as i64;
    let nanos = (u128::from(units % per_sec) * 1_000_000_000 / u128::from(per_sec)) as i64;
    Timestamp::from_secs_nanos(secs.saturating_add(interface.offset_secs), nanos)
}

fn header_error(error: &PcapError<&[u8]>) -> CaptureError {
    match error {
        PcapError::Incomplete(_) | PcapError::UnexpectedEof | PcapError::Eof => {
            CaptureError::Truncated { offset: 0, frame: 0 }
        }
        other => CaptureError::Damaged {
            offset: 0,
            frame: 0,
            what: format!("bad file header ({})", describe_parse_error(other)),
        },
    }
}

fn describe_parse_error(error: &PcapError<&[u8]>) -> String {
    match error {
        PcapError::NomError(_, kind) | PcapError::OwnedNomError(_, kind) => {
            format!("unreadable block ({kind:?})")
        }
        PcapError::HeaderNotRecognized => "unrecognised block header".to_string(),
        other => format!("{other:?}"),
    }
}

fn describe_start(bytes: &[u8]) -> String {
    let hex: Vec<String> = bytes.iter().map(|b| format!("{b:02x}")).collect();
    let text: String = bytes
        .iter()
        .map(|&b| if b.is_ascii_graphic() { b as char } else { '.' })
        .collect();
    format!("{} (\"{}\")", hex.join(" "), text)
}

fn read_up_to(input: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match input.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

/// A reader that fills the caller's buffer as far as the input allows.
///
/// pcap-parser reads the file header with a single `read` call and treats a short read as the
/// end of the input; a pipe (`tcpdump -w - | pop3scope open -`) hands out short reads.
struct FullReads<R>(R);

impl<R: Read> Read for FullReads<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        read_up_to(&mut self.0, buf)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_print_as_rfc3339_utc() {
        assert_eq!(Timestamp(0).to_string(), "1970-01-01T00:00:00.000000Z");
        let ts = Timestamp::from_secs_nanos(1_795_750_009, 123_456_789);
        assert_eq!(ts.to_string(), "2026-11-27T03:26:49.123456Z");
        assert_eq!(
            Timestamp::from_secs_nanos(951_782_400, 0).to_string(),
            "2000-02-29T00:00:00.000000Z"
        );
    }

    #[test]
    fn text_is_not_a_capture() {
        let err = CaptureReader::new(&b"+OK POP3 ready\r\n"[..]).err().unwrap();
        assert!(err.to_string().contains("not a pcap or pcapng capture"), "{err}");
    }

    #[test]
    fn empty_input_is_reported() {
        assert!(matches!(CaptureReader::new(&b""[..]), Err(CaptureError::Empty)));
    }
}
