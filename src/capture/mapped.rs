//! A capture file read where it lies: mapped into memory, its blocks parsed in place.
//!
//! Reading a file through `read` copies every byte twice (the kernel into a buffer, the buffer
//! into the parser's). With one thread that copying is nearly free, done a few blocks ahead on
//! another core ([`super::ReadAhead`]); with every core decoding it is not, and a mapping hands
//! the parser, and the workers after it, the page cache itself: a segment's payload is passed
//! on as its place in the file, never copied. A helper thread maps the pages a few MiB ahead of
//! the reader (reading them from the disk if they are not cached), so that the reader seldom
//! waits for a page; the holder of the [`MappedFile`] hands back to the kernel what everyone is
//! done with, so that the process's memory stays that of a few MiB of the file.
//!
//! A mapped file that another program shortens while it is read ends the process with SIGBUS,
//! as it does for ripgrep; standard input, pipes and compressed captures are read as streams.

use std::fs::File;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};

use memmap2::Mmap;
use pcap_parser::nom;
use pcap_parser::pcap::{LegacyPcapBlock, parse_pcap_frame, parse_pcap_frame_be, parse_pcap_frame_modified};
use pcap_parser::pcapng::{Block, parse_block_be, parse_block_le};
use pcap_parser::traits::PcapReaderIterator;
use pcap_parser::{PcapBlockOwned, PcapError, PcapHeader, parse_pcap_header};

/// Pages ahead of the reader are asked for in steps of this size.
const STEP: usize = 1 << 20;
/// How far ahead of the reader pages are mapped.
const AHEAD: usize = 2 * STEP;
/// Released ranges start and end on multiples of this, a multiple of the pages of every Linux
/// architecture: releasing pages costs every core a TLB flush, so it is done in large steps.
const RELEASE_STEP: usize = 4 << 20;

type LegacyParse = fn(&[u8]) -> nom::IResult<&[u8], LegacyPcapBlock<'_>, PcapError<&[u8]>>;

enum Layout {
    /// A pcap file: its header, and how its records are parsed.
    Legacy { header: PcapHeader, parse: LegacyParse },
    /// A pcapng file: the byte order of the current section.
    Ng { big_endian: bool },
}

/// The map, shared by the reader, the thread that maps pages ahead of it, and whoever holds a
/// [`MappedFile`].
struct Shared {
    map: Mmap,
    /// Pages up to this offset are wanted now.
    wanted: AtomicUsize,
    /// Pages before this offset were handed back to the kernel.
    released: AtomicUsize,
    /// The reader is gone: the helper thread ends.
    done: AtomicBool,
}

/// The bytes of a mapped capture file, for reading payloads by their place in the file.
#[derive(Clone)]
pub(crate) struct MappedFile(Arc<Shared>);

impl MappedFile {
    /// The whole file.
    pub(crate) fn bytes(&self) -> &[u8] {
        &self.0.map
    }

    /// Where `slice` lies in the file, if it lies in it.
    pub(crate) fn offset_of(&self, slice: &[u8]) -> Option<usize> {
        let start = (slice.as_ptr() as usize).checked_sub(self.0.map.as_ptr() as usize)?;
        (start + slice.len() <= self.0.map.len()).then_some(start)
    }

    /// Hands the pages before `offset` back to the kernel: they stay in the page cache but no
    /// longer count as this process's memory. Whoever calls it must be done with those bytes,
    /// and so must every thread it shared them with.
    pub(crate) fn release_until(&self, offset: usize) {
        let until = offset / RELEASE_STEP * RELEASE_STEP;
        let from = self.0.released.load(Ordering::Relaxed);
        if until <= from {
            return;
        }
        // SAFETY: MADV_DONTNEED on a read-only file mapping only drops this process's page
        // table entries: a later read of the range faults the file's bytes in again, so no
        // reference into it can see anything but the file.
        #[cfg(unix)]
        let _ = unsafe {
            self.0
                .map
                .unchecked_advise_range(memmap2::UncheckedAdvice::DontNeed, from, until - from)
        };
        self.0.released.store(until, Ordering::Relaxed);
    }
}

/// A pcap or pcapng file mapped into memory, read by the same loop as a streamed one.
pub(super) struct Mapped {
    shared: Arc<Shared>,
    ahead: std::thread::Thread,
    layout: Layout,
    /// Bytes consumed.
    at: usize,
    /// Where the helper was last asked to map up to, less [`AHEAD`].
    asked_at: usize,
    /// Bytes consumed, for a progress bar on another thread.
    progress: Arc<AtomicU64>,
}

impl Mapped {
    /// Maps `file` if it is a regular file that starts like a pcap or pcapng capture (`pcapng`
    /// says which); `None` when it cannot be mapped, and the caller reads it as a stream.
    pub(super) fn new(file: &File, pcapng: bool, progress: Arc<AtomicU64>) -> Option<Mapped> {
        let metadata = file.metadata().ok()?;
        if !metadata.is_file() || metadata.len() == 0 {
            return None;
        }
        // SAFETY: the map is only read, as a byte slice whose every length the parser checks.
        // The file is a regular file the user named. If another program changes it meanwhile,
        // Rust's rules for the slice are broken (bytes change under a shared reference): the
        // trade-off every tool that maps its input makes (ripgrep), taken here only with
        // `--threads`; if it shortens it, reading past the new end raises SIGBUS (see the module
        // documentation).
        let map = unsafe { Mmap::map(file) }.ok()?;
        #[cfg(unix)]
        let _ = map.advise(memmap2::Advice::Sequential);
        // A file whose first block does not parse is read as a stream, which says why.
        let layout = if pcapng {
            let big_endian = map.get(8..12) == Some(&[0x1a, 0x2b, 0x3c, 0x4d][..]);
            let first_block = if big_endian {
                parse_block_be
            } else {
                parse_block_le
            };
            first_block(&map).ok()?;
            Layout::Ng { big_endian }
        } else {
            let (_, header) = parse_pcap_header(&map).ok()?;
            let parse: LegacyParse = match (header.is_modified_format(), header.is_bigendian()) {
                (true, _) => parse_pcap_frame_modified,
                (false, true) => parse_pcap_frame_be,
                (false, false) => parse_pcap_frame,
            };
            Layout::Legacy { header, parse }
        };
        let shared = Arc::new(Shared {
            map,
            wanted: AtomicUsize::new(AHEAD),
            released: AtomicUsize::new(0),
            done: AtomicBool::new(false),
        });
        let ahead = {
            let shared = shared.clone();
            std::thread::Builder::new()
                .name("map-ahead".into())
                .spawn(move || map_ahead(&shared))
                .ok()?
                .thread()
                .clone()
        };
        Some(Mapped {
            shared,
            ahead,
            layout,
            at: 0,
            asked_at: 0,
            progress,
        })
    }

    /// The file's bytes, for whoever reads payloads by their place.
    pub(super) fn file(&self) -> MappedFile {
        MappedFile(self.shared.clone())
    }
}

impl Drop for Mapped {
    fn drop(&mut self) {
        self.shared.done.store(true, Ordering::Relaxed);
        self.ahead.unpark();
    }
}

/// Maps the pages the reader will want next, a step at a time, and sleeps when it is far enough
/// ahead.
fn map_ahead(shared: &Shared) {
    let len = shared.map.len();
    let mut mapped = 0;
    while mapped < len && !shared.done.load(Ordering::Relaxed) {
        let wanted = shared.wanted.load(Ordering::Relaxed).min(len);
        // Behind the reader (it faulted the pages in itself): on from where it is.
        mapped = mapped.max(wanted.saturating_sub(AHEAD));
        if mapped >= wanted {
            std::thread::park();
            continue;
        }
        let step = (wanted - mapped).min(STEP);
        // Only a hint (Linux 5.14): elsewhere, the reader faults the pages in itself.
        #[cfg(target_os = "linux")]
        let _ = shared
            .map
            .advise_range(memmap2::Advice::PopulateRead, mapped, step);
        mapped += step;
    }
}

impl PcapReaderIterator for Mapped {
    fn next(&mut self) -> Result<(usize, PcapBlockOwned<'_>), PcapError<&[u8]>> {
        let data = &self.shared.map[self.at..];
        let parsed = match &mut self.layout {
            Layout::Legacy { header, .. } if self.at == 0 => {
                return Ok((header.size(), PcapBlockOwned::from(header.clone())));
            }
            _ if data.is_empty() => return Err(PcapError::Eof),
            Layout::Legacy { parse, .. } => {
                parse(data).map(|(rest, block)| (rest, PcapBlockOwned::from(block)))
            }
            Layout::Ng { big_endian } => {
                let parse = if *big_endian {
                    parse_block_be
                } else {
                    parse_block_le
                };
                parse(data).map(|(rest, block)| {
                    if let Block::SectionHeader(section) = &block {
                        *big_endian = section.big_endian();
                    }
                    (rest, PcapBlockOwned::from(block))
                })
            }
        };
        match parsed {
            Ok((rest, block)) => Ok((data.len() - rest.len(), block)),
            Err(nom::Err::Error(e) | nom::Err::Failure(e)) => Err(e),
            // The whole file is there: a block that wants more is cut short.
            Err(nom::Err::Incomplete(_)) => Err(PcapError::UnexpectedEof),
        }
    }

    fn consume(&mut self, offset: usize) {
        self.consume_noshift(offset);
    }

    fn consume_noshift(&mut self, offset: usize) {
        self.at += offset;
        self.progress.store(self.at as u64, Ordering::Relaxed);
        if self.at >= self.asked_at + STEP {
            self.asked_at = self.at;
            self.shared.wanted.store(self.at + AHEAD, Ordering::Relaxed);
            self.ahead.unpark();
        }
    }

    fn consumed(&self) -> usize {
        self.at
    }

    fn refill(&mut self) -> Result<(), PcapError<&[u8]>> {
        Ok(())
    }

    fn position(&self) -> usize {
        0
    }

    fn grow(&mut self, _new_size: usize) -> bool {
        false
    }

    fn data(&self) -> &[u8] {
        &self.shared.map[self.at..]
    }

    fn reader_exhausted(&self) -> bool {
        true
    }
}
