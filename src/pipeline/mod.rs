//! Pipeline: a capture through every analysis layer, into a sink.
//!
//! Contract: [`analyze`] (a capture file) and [`analyze_live`] (a live source) are the entry
//! points; both push frames through the [`Engine`] (wire decoding, defragmentation, the flow
//! table) into a [`StreamSink`] — a printer, or the session layer over one, built by
//! [`Config::sessions`] so that every front end decodes with the same options.
//! [`analyze_parallel`] reads a capture file on several threads and hands a session sink the
//! same events, in the same order, as the session layer over [`analyze`] would. Every frame is
//! accounted for in [`EngineStats`]: decoded into a segment, or counted under the reason it was
//! skipped. The engine itself owns no I/O and no clock.

use crate::base::Timestamp;
use crate::capture::{CaptureError, CaptureReader, Frame};
use crate::flow::{FlowConfig, FlowTable, StreamSink, TableStats};
use crate::session::{SessionConfig, SessionSink, Sessions};
use crate::wire::{self, Decoded, Defragmenter, Segment, Skip};

mod parallel;

pub use parallel::analyze_parallel;

/// How a capture is analysed, resolved once from the command line.
#[derive(Clone, Debug, Default)]
pub struct Config {
    /// Which connections are followed, and the reassembly's bounds.
    pub flow: FlowConfig,
    /// How sessions are decoded.
    pub session: SessionConfig,
}

impl Config {
    /// The session layer over `sink`, decoding as this configuration says.
    pub fn sessions<S: SessionSink>(&self, sink: S) -> Sessions<S> {
        Sessions::new(self.session.clone(), sink)
    }
}

/// What happened to the frames of a capture.
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct EngineStats {
    /// Frames read from the source.
    pub frames: u64,
    /// Captured bytes of all frames.
    pub captured_bytes: u64,
    /// Frames the snapshot length cut short.
    pub truncated_frames: u64,
    /// TCP segments handed to the flow table: one per unfragmented frame, one per reassembled
    /// datagram.
    pub tcp_segments: u64,
    /// Frames that carry no IP (ARP, LLDP, …).
    pub not_ip: u64,
    /// IP packets that carry no TCP (UDP, ICMP, …).
    pub not_tcp: u64,
    /// Frames of a link type pop3scope does not decode.
    pub unsupported_link: u64,
    /// Frames the snapshot length cut inside their link, IP or TCP header.
    pub truncated_headers: u64,
    /// Frames whose headers contradict themselves (bad length fields, bad IP version).
    pub malformed: u64,
    /// Frames that carried an IP fragment, handed to the defragmenter.
    pub ip_fragments: u64,
    /// Fragmented datagrams that could not be put together (timed out, evicted, cut short).
    pub fragments_abandoned: u64,
    /// pcapng packets for an interface the file never described: their link type is
    /// unknown, so they are not decoded.
    pub frames_without_interface: u64,
    /// What the flow table did with the segments; filled in by [`Engine::finish`].
    pub flows: TableStats,
    /// A live capture's kernel counters: packets its filter passed, and those it dropped.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kernel: Option<KernelCounts>,
}

/// What the kernel says about a live capture.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct KernelCounts {
    /// Packets the capture filter passed (on loopback each packet is seen twice, going out and
    /// coming in).
    pub received: u64,
    /// Packets the kernel dropped because the capture's buffer was full.
    pub dropped: u64,
}

/// Frames in, stream events out: wire decoding, IP defragmentation and the flow table, fed one
/// frame at a time.
pub struct Engine {
    table: FlowTable,
    wire: Wire,
}

impl Engine {
    /// An engine with no connections, following those `config` selects.
    pub fn new(config: FlowConfig) -> Self {
        Engine {
            table: FlowTable::new(config),
            wire: Wire::default(),
        }
    }

    /// Decodes one frame and passes what it completes to `sink`; a frame that yields no TCP
    /// segment is counted under the reason in [`EngineStats`].
    pub fn frame(&mut self, frame: &Frame<'_>, sink: &mut (impl StreamSink + ?Sized)) {
        let table = &mut self.table;
        self.wire.frame(frame, |segment| {
            table.segment(frame.number, frame.ts, segment, sink)
        });
    }

    /// Ends every open connection at the time of the last frame, and returns the statistics.
    pub fn finish(mut self, sink: &mut (impl StreamSink + ?Sized)) -> EngineStats {
        self.table.finish(self.wire.last_ts, sink);
        self.wire.stats.flows = self.table.stats.clone();
        self.wire.stats
    }
}

/// The engine's first stage: frames to TCP segments (wire decoding, IP defragmentation), with
/// every frame counted.
#[derive(Default)]
struct Wire {
    defragmenter: Defragmenter,
    stats: EngineStats,
    /// The latest capture time seen.
    last_ts: Timestamp,
}

impl Wire {
    /// Decodes one frame and hands the TCP segment it completes, if any, to `on_segment`.
    fn frame(&mut self, frame: &Frame<'_>, mut on_segment: impl FnMut(&Segment<'_>)) {
        self.stats.frames += 1;
        self.stats.captured_bytes += frame.data.len() as u64;
        self.stats.truncated_frames += u64::from(frame.is_truncated());
        self.last_ts = self.last_ts.max(frame.ts);
        match wire::decode(frame.link_type, frame.data) {
            Ok(Decoded::Tcp(segment)) => {
                self.stats.tcp_segments += 1;
                on_segment(&segment);
            }
            Ok(Decoded::Fragment(fragment)) => {
                self.stats.ip_fragments += 1;
                if let Some(datagram) = self.defragmenter.add(frame.ts, &fragment) {
                    let len = datagram.len();
                    match wire::tcp_segment(fragment.src, fragment.dst, &datagram, len) {
                        Ok(segment) => {
                            self.stats.tcp_segments += 1;
                            on_segment(&segment);
                        }
                        Err(skip) => self.count_skip(skip),
                    }
                }
                self.stats.fragments_abandoned = self.defragmenter.abandoned;
            }
            Err(skip) => self.count_skip(skip),
        }
    }

    fn count_skip(&mut self, skip: Skip) {
        let counter = match skip {
            Skip::UnsupportedLink(_) => &mut self.stats.unsupported_link,
            Skip::NotIp => &mut self.stats.not_ip,
            Skip::NotTcp => &mut self.stats.not_tcp,
            Skip::TruncatedHeader => &mut self.stats.truncated_headers,
            Skip::Malformed => &mut self.stats.malformed,
        };
        *counter += 1;
    }
}

/// Frames between two calls of [`analyze`]'s progress callback.
pub const PROGRESS_EVERY: u32 = 4096;

/// Reads a whole capture into `sink` through a new engine, until the end of the file, an error,
/// or a sink that has stopped; `progress` is called every [`PROGRESS_EVERY`] frames. The
/// connections still open are ended at the end. An error after some frames comes back beside
/// the statistics of what was read.
pub fn analyze(
    reader: &mut CaptureReader,
    config: &Config,
    sink: &mut (impl StreamSink + ?Sized),
    mut progress: impl FnMut(),
) -> (EngineStats, Result<(), CaptureError>) {
    let mut engine = Engine::new(config.flow.clone());
    let mut since_progress = 0u32;
    let result = reader.for_each_frame(|frame| {
        since_progress += 1;
        if since_progress == PROGRESS_EVERY {
            since_progress = 0;
            progress();
        }
        engine.frame(&frame, sink);
        !sink.stopped()
    });
    let mut stats = engine.finish(sink);
    stats.frames_without_interface = reader.stats().frames_without_interface;
    (stats, result)
}

/// Captures live into `sink` (and into `writer`, a `-w` file, frame by frame) until a stop is
/// requested (Ctrl-C, SIGTERM, [`crate::capture::live::request_stop`]), the sink has enough, or
/// the source fails. Returns the statistics and, when the source or the writer failed, why the
/// capture stopped early; a writer that failed (a full disk) is dropped, so that what was
/// decoded is still printed and summed up.
#[cfg(unix)]
pub fn analyze_live<W: std::io::Write>(
    source: &mut dyn crate::capture::live::LiveSource,
    writer: &mut Option<crate::capture::PcapWriter<W>>,
    config: &Config,
    sink: &mut (impl StreamSink + ?Sized),
) -> std::io::Result<(EngineStats, Option<std::io::Error>)> {
    use crate::capture::live::stop_requested;
    /// How long a read waits before looking at the stop flag again.
    const POLL: std::time::Duration = std::time::Duration::from_millis(200);
    let mut engine = Engine::new(config.flow.clone());
    let mut failure = None;
    while !stop_requested() {
        match source.next(POLL) {
            Ok(Some(frame)) => {
                if let Some(error) = writer.as_mut().and_then(|w| w.write(&frame).err()) {
                    *writer = None;
                    failure = Some(std::io::Error::new(
                        error.kind(),
                        format!("cannot write the capture file: {error}"),
                    ));
                    break;
                }
                engine.frame(&frame, sink);
                if sink.stopped() {
                    break;
                }
            }
            Ok(None) => {}
            Err(error) => {
                failure = Some(error);
                break;
            }
        }
    }
    Ok((engine.finish(sink), failure))
}
