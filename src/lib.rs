//! pop3scope: see and teach what POP3 really does on the wire.
//!
//! The library is a pipeline; each layer knows only the next one:
//!
//! ```text
//! capture ──Frame──▶ wire ──Segment──▶ flow ──StreamEvent──▶ (pop3, session, output)
//! ```
//!
//! - [`capture`]: pcap / pcapng files to [`capture::Frame`]s, streaming, zero-copy.
//! - [`wire`]: link, IP and TCP headers to [`wire::Segment`]s; IP defragmentation.
//! - [`flow`]: the flow table and per-direction TCP reassembly to [`flow::StreamEvent`]s
//!   (data in order, explicit gaps, open and close).
//! - [`engine`]: drives a capture through the layers into a [`flow::StreamSink`].
//! - `live` (Linux): live capture through AF_PACKET, as frames like those of a file.
//! - [`output`]: the sinks that print flows and export streams.
//! - [`synth`]: scripted TCP conversations written as capture files, for tests and teaching.
//!
//! No layer panics on input: what cannot be decoded is counted or reported, never dropped silently.

pub mod capture;
pub mod cli;
pub mod engine;
pub mod flow;
#[cfg(target_os = "linux")]
pub mod live;
#[cfg(all(target_os = "linux", feature = "libpcap"))]
pub mod live_pcap;
pub mod output;
pub mod pop3;
pub mod session;
pub mod synth;
pub mod text;
pub mod wire;
