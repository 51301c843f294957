//! Engine: drives frames through wire decoding and the flow table into a sink.
//!
//! Contract: every frame is accounted for in [`EngineStats`] — decoded into a segment, or
//! counted under the reason it was skipped. The engine owns no I/O; the caller pushes frames
//! (from a file or a live source) and calls [`Engine::finish`] at the end; [`read_capture`]
//! does both for a capture file the caller has opened.

use crate::capture::{CaptureError, CaptureReader, Frame, Timestamp};
use crate::flow::{FlowConfig, FlowTable, StreamSink, TableStats};
use crate::wire::{self, Decoded, Defragmenter, Skip};

/// What happened to the frames of a capture.
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct EngineStats {
    pub frames: u64,
    /// Captured bytes of all frames.
    pub captured_bytes: u64,
    /// Frames the snapshot length cut short.
    pub truncated_frames: u64,
    pub tcp_segments: u64,
    pub not_ip: u64,
    pub not_tcp: u64,
    pub unsupported_link: u64,
    pub truncated_headers: u64,
    pub malformed: u64,
    pub ip_fragments: u64,
    /// Fragmented datagrams that could not be put together (timed out, evicted, cut short).
    pub fragments_abandoned: u64,
    pub flows: TableStats,
}

pub struct Engine {
    table: FlowTable,
    defragmenter: Defragmenter,
    stats: EngineStats,
    last_ts: Timestamp,
}

impl Engine {
    pub fn new(config: FlowConfig) -> Self {
        Engine {
            table: FlowTable::new(config),
            defragmenter: Defragmenter::default(),
            stats: EngineStats::default(),
            last_ts: Timestamp::default(),
        }
    }

    pub fn frame(&mut self, frame: &Frame<'_>, sink: &mut (impl StreamSink + ?Sized)) {
        self.stats.frames += 1;
        self.stats.captured_bytes += frame.data.len() as u64;
        self.stats.truncated_frames += u64::from(frame.is_truncated());
        self.last_ts = self.last_ts.max(frame.ts);
        match wire::decode(frame.link_type, frame.data) {
            Ok(Decoded::Tcp(segment)) => {
                self.stats.tcp_segments += 1;
                self.table.segment(frame.number, frame.ts, &segment, sink);
            }
            Ok(Decoded::Fragment(fragment)) => {
                self.stats.ip_fragments += 1;
                if let Some(datagram) = self.defragmenter.add(frame.ts, &fragment) {
                    let len = datagram.len();
                    match wire::tcp_segment(fragment.src, fragment.dst, &datagram, len) {
                        Ok(segment) => {
                            self.stats.tcp_segments += 1;
                            self.table.segment(frame.number, frame.ts, &segment, sink);
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

    /// Ends every open connection at the time of the last frame, and returns the statistics.
    pub fn finish(mut self, sink: &mut (impl StreamSink + ?Sized)) -> EngineStats {
        self.table.finish(self.last_ts, sink);
        self.stats.flows = self.table.stats.clone();
        self.stats
    }
}

/// Frames between two calls of [`read_capture`]'s progress callback.
pub const PROGRESS_EVERY: u32 = 4096;

/// Reads a whole capture into `sink` through a new engine, until the end of the file, an error,
/// or a sink that has stopped; `progress` is called every [`PROGRESS_EVERY`] frames. The
/// connections still open are ended at the end. An error after some frames comes back beside
/// the statistics of what was read.
pub fn read_capture(
    reader: &mut CaptureReader,
    config: FlowConfig,
    sink: &mut (impl StreamSink + ?Sized),
    mut progress: impl FnMut(),
) -> (EngineStats, Result<(), CaptureError>) {
    let mut engine = Engine::new(config);
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
    (engine.finish(sink), result)
}
