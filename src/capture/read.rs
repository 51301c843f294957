//! Reading pcap and pcapng files, streaming: frames are lent to a callback one at a time.

use std::fs::File;
use std::io::{self, Read, Seek};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use pcap_parser::pcapng::Block;
use pcap_parser::traits::PcapReaderIterator;
use pcap_parser::{LegacyPcapReader, Linktype, PcapBlockOwned, PcapError, PcapNGReader};

use super::mapped::{Mapped, MappedFile};
use crate::base::Timestamp;
use crate::capture::{CaptureError, DEFAULT_SNAPLEN, Frame, LinkType};

/// Statistics the reader keeps about blocks that carry no frame.
#[derive(Clone, Debug, Default)]
pub struct CaptureStats {
    /// Frames delivered to the callback so far.
    pub frames: u64,
    /// Bytes of the file consumed; set when reading stops, at the end of the capture or when
    /// the callback asks to stop.
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
    /// Starts reading `input` on a new thread. The thread stops at end of input, after handing
    /// on a read error, or after its current read once `self` is dropped.
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
/// The first bytes of a gzip stream (RFC 1952) and of a zstd frame (RFC 8878).
const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];
const ZSTD_MAGIC: [u8; 4] = [0x28, 0xb5, 0x2f, 0xfd];
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

/// A streaming reader of a pcap or pcapng capture, or of several merged by time
/// ([`CaptureReader::merge`]).
pub struct CaptureReader {
    source: Source,
    format: Format,
    stats: CaptureStats,
    /// The file's bytes, when it is read mapped into memory.
    mapped: Option<MappedFile>,
}

/// The container format, as its magic number tells it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// Classic pcap: one link type and one timestamp resolution for the whole file.
    Pcap,
    /// pcapng: sections of interfaces, each with its own link type and timestamp resolution.
    PcapNg,
}

impl CaptureReader {
    /// Recognises the format from the first bytes of `input` and prepares to read it; a
    /// capture compressed with gzip or zstd (as `tcpdump -w - | gzip` or a log rotation leave
    /// it) is decompressed as it is read.
    pub fn new<R: Read + Send + 'static>(input: R) -> Result<Self, CaptureError> {
        Self::open(Box::new(input), true)
    }

    /// Reads a capture file mapped into memory and parsed where it lies when it is a plain pcap
    /// or pcapng file, else as a stream read on a second thread
    /// ([`ReadAhead`]); `progress` follows the bytes read so far.
    pub fn map_file(file: File, progress: Arc<AtomicU64>) -> Result<Self, CaptureError> {
        let mut file = file;
        let mut magic = [0u8; 4];
        let plain =
            file.read_exact(&mut magic).is_ok() && (PCAP_MAGICS.contains(&magic) || magic == PCAPNG_MAGIC);
        file.seek(io::SeekFrom::Start(0))?;
        let pcapng = magic == PCAPNG_MAGIC;
        match plain
            .then(|| Mapped::new(&file, pcapng, progress.clone()))
            .flatten()
        {
            Some(mapped) => Ok(CaptureReader {
                mapped: Some(mapped.file()),
                source: Source::One(Box::new(mapped)),
                format: if pcapng { Format::PcapNg } else { Format::Pcap },
                stats: CaptureStats::default(),
            }),
            None => Self::from_stream(file, progress),
        }
    }

    /// Reads a capture from a stream (a file, standard input, a pipe), a few blocks ahead on a
    /// second thread; `progress` follows the bytes read so far.
    pub fn from_stream<R: Read + Send + 'static>(
        input: R,
        progress: Arc<AtomicU64>,
    ) -> Result<Self, CaptureError> {
        Self::new(Counting {
            inner: ReadAhead::new(input),
            read: progress,
        })
    }

    /// The file's bytes when it is read mapped into memory: the frames handed to
    /// [`for_each_frame`](Self::for_each_frame) lie in them, and stay there after the call.
    pub(crate) fn mapped(&self) -> Option<&MappedFile> {
        self.mapped.as_ref()
    }

    fn open(mut input: Box<dyn Read + Send>, may_be_compressed: bool) -> Result<Self, CaptureError> {
        let mut start = [0u8; 12];
        let got = read_up_to(&mut input, &mut start[..4])?;
        if got == 0 {
            return Err(CaptureError::Empty);
        }
        let magic = [start[0], start[1], start[2], start[3]];
        let whole = io::Cursor::new(start[..got].to_vec());
        // One layer of compression: a capture inside it, not another archive.
        if may_be_compressed && magic[..2] == GZIP_MAGIC {
            let decoder = flate2::read::MultiGzDecoder::new(whole.chain(input));
            return Self::open(Box::new(decoder), false);
        }
        if may_be_compressed && magic == ZSTD_MAGIC {
            let decoder = ruzstd::decoding::StreamingDecoder::new(whole.chain(input))
                .map_err(|e| CaptureError::Io(io::Error::other(format!("zstd: {e}"))))?;
            return Self::open(Box::new(decoder), false);
        }
        // How many bytes pcap-parser must find in its first read: it parses the file header
        // (pcap) or the Section Header Block (pcapng) from that read alone.
        let (format, header_len, prefix) = if PCAP_MAGICS.contains(&magic) && got == 4 {
            (Format::Pcap, 24, 4)
        } else if magic == PCAPNG_MAGIC {
            let got = 4 + read_up_to(&mut input, &mut start[4..12])?;
            let length = |bytes: [u8; 4]| match [start[8], start[9], start[10], start[11]] {
                [0x1a, 0x2b, 0x3c, 0x4d] => u32::from_be_bytes(bytes),
                _ => u32::from_le_bytes(bytes),
            };
            let block = length([start[4], start[5], start[6], start[7]]) as usize;
            (Format::PcapNg, block.clamp(28, MAX_BLOCK), got)
        } else {
            return Err(CaptureError::NotACapture {
                found: describe_start(&magic[..got]),
            });
        };
        let input = HeaderFirst {
            inner: io::Cursor::new(start[..prefix].to_vec()).chain(input),
            need: header_len,
        };
        let inner: Box<dyn PcapReaderIterator + Send> = match format {
            Format::Pcap => {
                Box::new(LegacyPcapReader::new(INITIAL_BUFFER, input).map_err(|e| header_error(&e))?)
            }
            Format::PcapNg => {
                Box::new(PcapNGReader::new(INITIAL_BUFFER, input).map_err(|e| header_error(&e))?)
            }
        };
        Ok(CaptureReader {
            source: Source::One(inner),
            format,
            stats: CaptureStats::default(),
            mapped: None,
        })
    }

    /// Several captures read as one, frame by frame in time order (as `mergecap` merges them;
    /// a tie goes to the capture named first), each read on its own thread. Frames are numbered
    /// in the merged order.
    pub fn merge(readers: Vec<CaptureReader>) -> CaptureReader {
        let format = readers.first().map_or(Format::Pcap, |r| r.format);
        CaptureReader {
            source: Source::Merged(readers),
            format,
            stats: CaptureStats::default(),
            mapped: None,
        }
    }

    /// Which format the magic number showed the input to be.
    pub fn format(&self) -> Format {
        self.format
    }

    /// The counters so far; final once [`for_each_frame`](Self::for_each_frame) has returned.
    pub fn stats(&self) -> &CaptureStats {
        &self.stats
    }

    /// Pushes every frame to `on_frame`, in file order, until the end of the capture, an error,
    /// or `on_frame` returns `false`.
    pub fn for_each_frame(
        &mut self,
        mut on_frame: impl FnMut(Frame<'_>) -> bool,
    ) -> Result<(), CaptureError> {
        let inner = match &mut self.source {
            Source::One(inner) => inner,
            Source::Merged(readers) => {
                let readers = std::mem::take(readers);
                return merge_frames(readers, &mut self.stats, &mut on_frame);
            }
        };
        let mut legacy: Option<(LinkType, bool)> = None;
        // The legacy header's byte order and snapshot length: a record longer than either
        // limit is damaged, not cut short.
        let mut legacy_limits: Option<(bool, u32)> = None;
        let mut interfaces: Vec<Interface> = Vec::new();
        loop {
            let offset = inner.consumed() as u64;
            let frame_number = self.stats.frames;
            let consumed = match inner.next() {
                Ok((consumed, block)) => {
                    let frame = match block {
                        PcapBlockOwned::LegacyHeader(header) => {
                            legacy_limits = Some((header.is_bigendian(), header.snaplen));
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
                        inner.consume_noshift(consumed);
                        self.stats.bytes_read = inner.consumed() as u64;
                        return Ok(());
                    }
                    consumed
                }
                Err(PcapError::Eof) => {
                    self.stats.bytes_read = offset;
                    return Ok(());
                }
                Err(PcapError::Incomplete(_)) => {
                    refill(inner, offset, frame_number)?;
                    continue;
                }
                Err(PcapError::BufferTooSmall) => {
                    let size = inner.data().len().max(INITIAL_BUFFER) * 2;
                    if size > MAX_BLOCK || !inner.grow(size) {
                        return Err(CaptureError::Damaged {
                            offset,
                            frame: frame_number,
                            what: format!("a block claims to be larger than {} MiB", MAX_BLOCK >> 20),
                        });
                    }
                    refill(inner, offset, frame_number)?;
                    continue;
                }
                Err(PcapError::UnexpectedEof) => {
                    // A record header whose length no file can hold is damage, as tshark says.
                    let record = inner.data().get(8..12).map(|b| [b[0], b[1], b[2], b[3]]);
                    if let (Some((big_endian, snaplen)), Some(bytes)) = (legacy_limits, record) {
                        let length = if big_endian {
                            u32::from_be_bytes(bytes)
                        } else {
                            u32::from_le_bytes(bytes)
                        };
                        let most = snaplen.max(DEFAULT_SNAPLEN);
                        if length > most {
                            return Err(CaptureError::Damaged {
                                offset,
                                frame: frame_number,
                                what: format!(
                                    "a record claims {length} captured bytes, more than any packet ({most}, the file's \
                                     snapshot length or tcpdump's largest)"
                                ),
                            });
                        }
                    }
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
            inner.consume_noshift(consumed);
        }
    }
}

/// Where a reader's frames come from.
enum Source {
    One(Box<dyn PcapReaderIterator + Send>),
    Merged(Vec<CaptureReader>),
}

fn refill(
    inner: &mut Box<dyn PcapReaderIterator + Send>,
    offset: u64,
    frame: u64,
) -> Result<(), CaptureError> {
    inner.refill().map_err(|_| {
        CaptureError::Io(io::Error::other(format!(
            "read failed at byte offset {offset} (after frame {frame})"
        )))
    })
}

/// A frame read on a capture's own thread, for the merge.
struct OwnedFrame {
    ts: Timestamp,
    link_type: LinkType,
    data: Vec<u8>,
    orig_len: u32,
}

/// Frames sent from a capture's thread at once.
const MERGE_BATCH: usize = 256;
/// Batches waiting per capture at most: memory stays bounded whatever the files.
const MERGE_QUEUE: usize = 16;

/// Reads every capture on its own thread and hands `on_frame` their frames in time order.
fn merge_frames(
    readers: Vec<CaptureReader>,
    stats: &mut CaptureStats,
    on_frame: &mut dyn FnMut(Frame<'_>) -> bool,
) -> Result<(), CaptureError> {
    use std::cmp::Reverse;
    use std::collections::{BinaryHeap, VecDeque};
    let mut sources = Vec::new();
    for mut reader in readers {
        let (send, receive) = std::sync::mpsc::sync_channel::<Vec<OwnedFrame>>(MERGE_QUEUE);
        let thread = std::thread::spawn(move || {
            let mut batch = Vec::with_capacity(MERGE_BATCH);
            let result = reader.for_each_frame(|frame| {
                batch.push(OwnedFrame {
                    ts: frame.ts,
                    link_type: frame.link_type,
                    data: frame.data.to_vec(),
                    orig_len: frame.orig_len,
                });
                batch.len() < MERGE_BATCH
                    || send
                        .send(std::mem::replace(&mut batch, Vec::with_capacity(MERGE_BATCH)))
                        .is_ok()
            });
            if !batch.is_empty() {
                let _ = send.send(batch);
            }
            (result, reader.stats)
        });
        sources.push((receive, VecDeque::new(), thread));
    }
    // The next frame of capture `i`, fetched when its queue is empty.
    let next = |sources: &mut Vec<(
        std::sync::mpsc::Receiver<Vec<OwnedFrame>>,
        VecDeque<OwnedFrame>,
        _,
    )>,
                i: usize| {
        let (receive, queue, _) = &mut sources[i];
        if queue.is_empty()
            && let Ok(batch) = receive.recv()
        {
            queue.extend(batch);
        }
        queue.front().map(|frame| frame.ts)
    };
    let mut heads = BinaryHeap::new();
    for i in 0..sources.len() {
        if let Some(ts) = next(&mut sources, i) {
            heads.push(Reverse((ts, i)));
        }
    }
    let mut stopped = false;
    while let Some(Reverse((_, i))) = heads.pop() {
        let Some(frame) = sources[i].1.pop_front() else {
            continue;
        };
        stats.frames += 1;
        let keep_going = on_frame(Frame {
            number: stats.frames,
            ts: frame.ts,
            link_type: frame.link_type,
            data: &frame.data,
            orig_len: frame.orig_len,
        });
        if !keep_going {
            stopped = true;
            break;
        }
        if let Some(ts) = next(&mut sources, i) {
            heads.push(Reverse((ts, i)));
        }
    }
    let mut first_error = None;
    for (receive, _, thread) in sources {
        // A thread still sending sees its receiver gone, and stops.
        drop(receive);
        let (result, read) = thread
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        stats.bytes_read += read.bytes_read;
        stats.frames_without_interface += read.frames_without_interface;
        if let Err(error) = result
            && first_error.is_none()
            && !stopped
        {
            first_error = Some(error);
        }
    }
    first_error.map_or(Ok(()), Err)
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
    let secs = i64::try_from(units / per_sec).unwrap_or(i64::MAX);
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
        PcapError::NomError(_, pcap_parser::nom::error::ErrorKind::Verify) | PcapError::OwnedNomError(_, pcap_parser::nom::error::ErrorKind::Verify) => {
            "a block whose length fields disagree (its trailer does not repeat its length, or the length is impossible)".to_string()
        }
        PcapError::NomError(_, kind) | PcapError::OwnedNomError(_, kind) => {
            format!("a block that cannot be read as pcap or pcapng ({kind:?})")
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

/// Counts the bytes read, for a progress bar.
struct Counting<R> {
    inner: R,
    read: Arc<AtomicU64>,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

/// A reader whose first reads hand on the capture's header whole, and later reads whatever
/// the input has.
///
/// pcap-parser reads the file header with a single `read` call and treats a short read as the
/// end of the input; a pipe (`tcpdump -w - | pop3scope open -`) hands out short reads. After
/// the header, each read returns what the pipe has: packets flow on as they come, never
/// waiting for a buffer to fill.
struct HeaderFirst<R> {
    inner: R,
    /// Header bytes still to hand on whole.
    need: usize,
}

impl<R: Read> Read for HeaderFirst<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.need == 0 {
            loop {
                match self.inner.read(buf) {
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    other => return other,
                }
            }
        }
        let target = self.need.min(buf.len());
        let mut filled = 0;
        while filled < target {
            match self.inner.read(&mut buf[filled..]) {
                Ok(0) => break,
                Ok(n) => filled += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        self.need = self.need.saturating_sub(filled);
        Ok(filled)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_not_a_capture() {
        let err = CaptureReader::new(&b"+OK POP3 ready\r\n"[..]).err().unwrap();
        assert!(err.to_string().contains("not a pcap or pcapng capture"), "{err}");
    }

    #[test]
    fn empty_input_is_reported() {
        assert!(matches!(CaptureReader::new(&b""[..]), Err(CaptureError::Empty)));
    }

    /// A frame's number, time, link type, bytes and length on the wire.
    type FrameFacts = (u64, Timestamp, u32, Vec<u8>, u32);

    /// Every frame of a reader, and how the reading ended.
    fn frames_of(mut reader: CaptureReader) -> (Vec<FrameFacts>, String) {
        let mut frames = Vec::new();
        let result = reader.for_each_frame(|frame| {
            frames.push((
                frame.number,
                frame.ts,
                frame.link_type.0,
                frame.data.to_vec(),
                frame.orig_len,
            ));
            true
        });
        (frames, format!("{result:?} {:?}", reader.stats()))
    }

    #[test]
    fn a_mapped_file_reads_as_the_same_file_streamed() {
        // Every bundled capture, whole and cut short at a few places (in the file header, in
        // a record header, in a payload): the same frames, and the same end.
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("captures");
        let scratch = tempfile::tempdir().expect("a temporary directory");
        let mut checked = 0;
        for entry in std::fs::read_dir(dir).expect("captures/") {
            let path = entry.expect("an entry").path();
            if !path.extension().is_some_and(|e| e == "pcap" || e == "pcapng") {
                continue;
            }
            let whole = std::fs::read(&path).expect("a capture");
            for len in [whole.len(), whole.len() - 1, whole.len() * 2 / 3, 100, 30, 20] {
                let cut = scratch.path().join("cut");
                std::fs::write(&cut, &whole[..len.min(whole.len())]).expect("written");
                let open = || File::open(&cut).expect("opened");
                let mapped = CaptureReader::map_file(open(), Arc::default());
                let streamed = CaptureReader::from_stream(open(), Arc::default());
                let name = format!("{} cut to {len}", path.display());
                match (mapped, streamed) {
                    (Ok(mapped), Ok(streamed)) => {
                        assert!(mapped.mapped().is_some(), "{name}: mapped");
                        assert_eq!(frames_of(mapped), frames_of(streamed), "{name}");
                    }
                    (mapped, streamed) => assert_eq!(
                        mapped.err().map(|e| e.to_string()),
                        streamed.err().map(|e| e.to_string()),
                        "{name}"
                    ),
                }
                checked += 1;
            }
        }
        assert!(checked > 100, "{checked} files");
    }
}
