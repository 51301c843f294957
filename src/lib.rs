//! pop3scope: see and teach what POP3 really does on the wire.
//!
//! The library is a pipeline; each layer knows only the next one:
//!
//! ```text
//! capture ──Frame──▶ wire ──Segment──▶ flow ──StreamEvent──▶ pop3 ──Pop3Event──▶ session ──▶ output
//! (file/live)                                   (Decoder)          (model)       (text, JSON)
//! ```
//!
//! - [`capture`]: pcap / pcapng files to [`capture::Frame`]s, streaming, zero-copy; pcap writing.
//! - `live` (Unix): live capture through AF_PACKET on Linux, and libpcap with the `libpcap`
//!   feature, as frames like those of a file.
//! - [`wire`]: link, IP and TCP headers to [`wire::Segment`]s; IP defragmentation.
//! - [`flow`]: the flow table and per-direction TCP reassembly to [`flow::StreamEvent`]s
//!   (data in order, explicit gaps, open and close).
//! - [`engine`]: drives frames through wire and flow into a [`flow::StreamSink`].
//! - [`pop3`]: the pure decoder: framing, command/reply pairing, phases, notes.
//! - [`session`]: sessions, the mailbox mirror, credentials; feeds a [`session::SessionSink`].
//! - [`output`]: text and JSON Lines printers, the flow listing, the stream export.
//! - [`text`]: showing wire bytes safely.
//! - [`cli`]: the command line (the binary only calls [`cli::main`]).
//! - [`timeline`]: the session events kept for browsing: conversation in wire order, mailbox
//!   at any line (UI-free; the TUI and lessons read it).
//! - [`explain`]: what a row says and means, as plain text (RFC sections, packets, bytes).
//! - [`lesson`]: guided lessons over bundled captures: files, moments by meaning, replay
//!   state, plain text and Markdown handouts.
//! - [`tui`]: the interactive terminal view (ratatui); the only module that draws.
//! - [`server`]: the teaching POP3 server of `serve`: the protocol as a pure session, mailboxes,
//!   TCP and TLS.
//! - [`simulate`]: scripted conversations (or a client's commands answered by the server)
//!   written as realistic captures, with the network's misdeeds.
//! - [`synth`]: scripted TCP conversations written as capture files, for tests and teaching.
//!
//! No layer panics on input: what cannot be decoded is counted or reported, never dropped silently.

pub mod capture;
pub mod cli;
pub mod engine;
pub mod explain;
pub mod flow;
pub mod lesson;
#[cfg(unix)]
pub mod live;
#[cfg(all(unix, feature = "libpcap"))]
pub mod live_pcap;
pub mod output;
pub mod pop3;
pub mod server;
pub mod session;
pub mod simulate;
pub mod synth;
pub mod text;
pub mod timeline;
pub mod tui;
pub mod wire;
