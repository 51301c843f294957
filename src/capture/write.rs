//! Capture writing: frames to classic pcap (as `tcpdump -w`) and to pcapng.
//!
//! Contract: what is written reads back through [`crate::capture::CaptureReader`], tcpdump,
//! tshark and Wireshark with the same frames, times and lengths; writing never reorders, drops
//! or alters a frame (a snapshot length cuts the captured bytes and keeps the original length).

use std::io;

use crate::base::Timestamp;
use crate::capture::{Frame, LinkType};

/// A frame that owns its bytes: what the simulator and the tests build before writing a file.
#[derive(Clone, Debug)]
pub struct OwnedFrame {
    /// When the frame was captured.
    pub ts: Timestamp,
    /// The whole frame, link header included.
    pub data: Vec<u8>,
}

/// The snapshot length `tcpdump -w` writes: no packet a capture tool sees is longer.
pub const DEFAULT_SNAPLEN: u32 = 262_144;

/// Writes frames to a classic pcap file (little-endian, microsecond timestamps), as
/// `tcpdump -w` does, or to pcapng (one interface, nanosecond timestamps, named and commented,
/// as dumpcap writes): `open`, Wireshark and tcpdump read both back.
pub struct PcapWriter<W: io::Write> {
    out: W,
    snaplen: u32,
    /// Enhanced packet blocks instead of pcap records.
    pcapng: bool,
    /// Flush after every frame (`tcpdump -U`): a reader of the file, or of a pipe, sees each
    /// packet as it comes, and a killed capture loses none.
    packet_buffered: bool,
}

impl<W: io::Write> PcapWriter<W> {
    /// Writes the file header at once, with the [`DEFAULT_SNAPLEN`].
    pub fn new(out: W, link_type: LinkType) -> io::Result<Self> {
        Self::with_snaplen(out, link_type, DEFAULT_SNAPLEN)
    }

    /// Writes the file header at once; frames longer than `snaplen` are cut to it.
    pub fn with_snaplen(mut out: W, link_type: LinkType, snaplen: u32) -> io::Result<Self> {
        let mut header = Vec::with_capacity(24);
        header.extend_from_slice(&0xa1b2_c3d4u32.to_le_bytes());
        header.extend_from_slice(&2u16.to_le_bytes());
        header.extend_from_slice(&4u16.to_le_bytes());
        // thiszone and sigfigs: always zero.
        header.extend_from_slice(&[0; 8]);
        header.extend_from_slice(&snaplen.to_le_bytes());
        header.extend_from_slice(&link_type.0.to_le_bytes());
        out.write_all(&header)?;
        Ok(PcapWriter {
            out,
            snaplen,
            pcapng: false,
            packet_buffered: false,
        })
    }

    /// A pcapng file: its section header (naming pop3scope as the writer) and one interface
    /// description (`interface`, the link type, nanosecond timestamps, `comment`), at once.
    pub fn pcapng(mut out: W, link_type: LinkType, interface: &str, comment: &str) -> io::Result<Self> {
        let mut head = Vec::new();
        let mut shb = Vec::new();
        shb.extend_from_slice(&0x1a2b_3c4du32.to_le_bytes());
        shb.extend_from_slice(&1u16.to_le_bytes());
        shb.extend_from_slice(&0u16.to_le_bytes());
        shb.extend_from_slice(&(-1i64).to_le_bytes());
        // shb_userappl (4).
        option(
            &mut shb,
            4,
            concat!("pop3scope ", env!("CARGO_PKG_VERSION")).as_bytes(),
        );
        option(&mut shb, 0, &[]);
        block(&mut head, 0x0a0d_0d0a, &shb);
        let mut idb = Vec::new();
        idb.extend_from_slice(&(link_type.0 as u16).to_le_bytes());
        idb.extend_from_slice(&0u16.to_le_bytes());
        idb.extend_from_slice(&DEFAULT_SNAPLEN.to_le_bytes());
        // opt_comment (1), if_name (2), if_tsresol (9) = 9: nanoseconds.
        option(&mut idb, 1, comment.as_bytes());
        option(&mut idb, 2, interface.as_bytes());
        option(&mut idb, 9, &[9]);
        option(&mut idb, 0, &[]);
        block(&mut head, 1, &idb);
        out.write_all(&head)?;
        Ok(PcapWriter {
            out,
            snaplen: DEFAULT_SNAPLEN,
            pcapng: true,
            packet_buffered: false,
        })
    }

    /// Flushes the output after every frame from now on (`tcpdump -U`).
    pub fn packet_buffered(mut self) -> Self {
        self.packet_buffered = true;
        self
    }

    /// Writes one frame as it was captured.
    pub fn write(&mut self, frame: &Frame<'_>) -> io::Result<()> {
        self.write_record(frame.ts, frame.data, frame.orig_len)
    }

    fn write_record(&mut self, ts: Timestamp, data: &[u8], orig_len: u32) -> io::Result<()> {
        let captured = &data[..data.len().min(self.snaplen as usize)];
        if self.pcapng {
            let units = ts.0 as u64;
            let mut epb = Vec::with_capacity(20 + captured.len() + 3);
            epb.extend_from_slice(&0u32.to_le_bytes());
            epb.extend_from_slice(&((units >> 32) as u32).to_le_bytes());
            epb.extend_from_slice(&(units as u32).to_le_bytes());
            epb.extend_from_slice(&(captured.len() as u32).to_le_bytes());
            epb.extend_from_slice(&orig_len.to_le_bytes());
            epb.extend_from_slice(captured);
            let mut record = Vec::with_capacity(epb.len() + 16);
            block(&mut record, 6, &epb);
            self.out.write_all(&record)?;
            if self.packet_buffered {
                self.out.flush()?;
            }
            return Ok(());
        }
        let mut record = [0u8; 16];
        record[0..4].copy_from_slice(&(ts.secs() as u32).to_le_bytes());
        record[4..8].copy_from_slice(&(ts.subsec_nanos() / 1000).to_le_bytes());
        record[8..12].copy_from_slice(&(captured.len() as u32).to_le_bytes());
        record[12..16].copy_from_slice(&orig_len.to_le_bytes());
        self.out.write_all(&record)?;
        self.out.write_all(captured)?;
        if self.packet_buffered {
            self.out.flush()?;
        }
        Ok(())
    }

    /// Flushes what is buffered to the output.
    pub fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }

    /// The output, after the last frame.
    pub fn into_inner(self) -> W {
        self.out
    }
}

/// A classic pcap file in memory, each frame cut at `snaplen`.
pub fn write_pcap(link_type: LinkType, frames: &[OwnedFrame], snaplen: u32) -> Vec<u8> {
    // Writing into a Vec cannot fail.
    let mut writer = match PcapWriter::with_snaplen(Vec::new(), link_type, snaplen) {
        Ok(writer) => writer,
        Err(_) => unreachable!("a Vec takes every write"),
    };
    for frame in frames {
        let orig_len = frame.data.len() as u32;
        if writer.write_record(frame.ts, &frame.data, orig_len).is_err() {
            unreachable!("a Vec takes every write");
        }
    }
    writer.into_inner()
}

/// One pcapng block: its type, its body padded to 32 bits, its length before and after.
fn block(out: &mut Vec<u8>, kind: u32, body: &[u8]) {
    let padded = body.len().div_ceil(4) * 4;
    let total = (12 + padded) as u32;
    out.extend_from_slice(&kind.to_le_bytes());
    out.extend_from_slice(&total.to_le_bytes());
    out.extend_from_slice(body);
    out.resize(out.len() + padded - body.len(), 0);
    out.extend_from_slice(&total.to_le_bytes());
}

/// One pcapng option: its code, its length, its value padded to 32 bits (code 0 ends them).
fn option(out: &mut Vec<u8>, code: u16, value: &[u8]) {
    out.extend_from_slice(&code.to_le_bytes());
    out.extend_from_slice(&(value.len() as u16).to_le_bytes());
    out.extend_from_slice(value);
    out.resize(out.len() + value.len().div_ceil(4) * 4 - value.len(), 0);
}

/// A pcapng file in memory: one interface per link type (nanosecond timestamps), each frame
/// `(interface index, frame)` as an enhanced packet block, or as a simple packet block (no
/// timestamp) when `simple`.
pub fn write_pcapng(links: &[LinkType], frames: &[(usize, OwnedFrame)], simple: bool) -> Vec<u8> {
    let mut out = Vec::new();
    let mut shb = Vec::new();
    shb.extend_from_slice(&0x1a2b_3c4du32.to_le_bytes());
    shb.extend_from_slice(&1u16.to_le_bytes());
    shb.extend_from_slice(&0u16.to_le_bytes());
    shb.extend_from_slice(&(-1i64).to_le_bytes());
    block(&mut out, 0x0a0d_0d0a, &shb);
    for link in links {
        let mut idb = Vec::new();
        idb.extend_from_slice(&(link.0 as u16).to_le_bytes());
        idb.extend_from_slice(&0u16.to_le_bytes());
        idb.extend_from_slice(&0u32.to_le_bytes());
        // if_tsresol = 9: nanoseconds; then opt_endofopt.
        idb.extend_from_slice(&[9, 0, 1, 0, 9, 0, 0, 0, 0, 0, 0, 0]);
        block(&mut out, 1, &idb);
    }
    for (interface, frame) in frames {
        if simple {
            let mut spb = Vec::new();
            spb.extend_from_slice(&(frame.data.len() as u32).to_le_bytes());
            spb.extend_from_slice(&frame.data);
            block(&mut out, 3, &spb);
        } else {
            let units = frame.ts.0 as u64;
            let mut epb = Vec::new();
            epb.extend_from_slice(&(*interface as u32).to_le_bytes());
            epb.extend_from_slice(&((units >> 32) as u32).to_le_bytes());
            epb.extend_from_slice(&(units as u32).to_le_bytes());
            epb.extend_from_slice(&(frame.data.len() as u32).to_le_bytes());
            epb.extend_from_slice(&(frame.data.len() as u32).to_le_bytes());
            epb.extend_from_slice(&frame.data);
            block(&mut out, 6, &epb);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::capture::{CaptureReader, Format};

    #[test]
    fn a_pcapng_written_frame_by_frame_reads_back_the_same_frames() {
        let frames = [
            (
                Timestamp::from_secs_nanos(1_795_750_584, 973_797_123),
                vec![1u8; 60],
            ),
            (Timestamp::from_secs_nanos(1_795_750_585, 5), vec![2u8; 1514]),
        ];
        let mut writer = PcapWriter::pcapng(Vec::new(), LinkType::ETHERNET, "lo", "a test").unwrap();
        for (ts, data) in &frames {
            writer
                .write(&Frame {
                    number: 0,
                    ts: *ts,
                    link_type: LinkType::ETHERNET,
                    data,
                    orig_len: data.len() as u32,
                })
                .unwrap();
        }
        let bytes = writer.into_inner();
        assert_eq!(&bytes[..4], &[0x0a, 0x0d, 0x0d, 0x0a]);
        let mut reader = CaptureReader::new(std::io::Cursor::new(bytes)).unwrap();
        assert_eq!(reader.format(), Format::PcapNg);
        let mut read = Vec::new();
        reader
            .for_each_frame(|frame| {
                read.push((frame.ts, frame.data.to_vec(), frame.link_type));
                true
            })
            .unwrap();
        let expected: Vec<_> = frames
            .iter()
            .map(|(ts, d)| (*ts, d.clone(), LinkType::ETHERNET))
            .collect();
        assert_eq!(read, expected);
    }
}
