#![warn(missing_docs)]
//! pop3scope: see and teach what POP3 really does on the wire.
//!
//! The library is a pipeline; each layer knows only the ones before it:
//!
//! ```text
//! capture ──Frame──▶ wire ──Segment──▶ flow ──StreamEvent──▶ pop3 ──Pop3Event──▶ session ──SessionEvent──▶ output
//! (file/live)                                   (Decoder)          (model)                 (text, JSON)
//! ```
//!
//! The layers, in the order of that pipeline (each a folder):
//!
//! | layer | what it is | knows |
//! |---|---|---|
//! | [`base`] | time, direction, the safe showing of wire bytes | nothing |
//! | [`capture`] | pcap / pcapng files to [`capture::Frame`]s, pcap writing, live capture | base |
//! | [`wire`] | link, IP and TCP headers to [`wire::Segment`]s; defragmentation; crafting | base, capture |
//! | [`flow`] | the flow table and TCP reassembly to [`flow::StreamEvent`]s | … wire |
//! | [`tls`] | what a TLS handshake leaves in the clear, and the sizes of what it hides: [`tls::TlsFacts`] | base |
//! | [`pop3`] | the pure decoder: framing, pairing, the phase table, SASL, notes | base, tls |
//! | [`mail`] | messages: what a RETR carried, read as RFC 5322 and MIME: [`mail::MessageFacts`] | base, pop3 |
//! | [`session`] | sessions, the mailbox mirror, credentials, each retrieved message read once: [`session::SessionEvent`]s | … mail |
//! | [`pipeline`] | one entry point: a capture through every layer into a sink | … session |
//! | [`view`] | UI-free: the timeline kept for browsing, the words a row says | … pipeline |
//! | [`output`] | the printers behind one trait: text, JSON Lines, flows, stream export | … view |
//! | [`teach`] | lessons, the teaching server, the simulator | … output |
//! | [`tui`] | the interactive terminal view and the class view (ratatui) | … teach |
//! | [`cli`] | the command line: argument definitions and calls | everything |
//!
//! **The dependency rule**: a module imports only from its own layer and the layers above it in
//! this table. The analysis layers (base to output) never import the teaching side, the TUI or
//! the CLI, and nothing below [`tui`] draws on a terminal. The teaching side comes before the
//! terminal view because the class view draws lessons. A test (`tests/it/layers.rs`) reads
//! every `crate::` path in `src/` and fails on an import against the rule.
//!
//! The crate root re-exports what a program needs to analyse a capture:
//!
//! ```no_run
//! use pop3scope::{CaptureReader, Config, SessionEvent, SessionSink, analyze};
//!
//! struct Count(usize);
//! impl SessionSink for Count {
//!     fn event(&mut self, event: SessionEvent<'_>) {
//!         if let SessionEvent::Exchange { .. } = event {
//!             self.0 += 1;
//!         }
//!     }
//! }
//!
//! let file = std::fs::File::open("trace.pcap")?;
//! let mut reader = CaptureReader::new(file)?;
//! let config = Config::default();
//! let mut sessions = config.sessions(Count(0));
//! let (stats, result) = analyze(&mut reader, &config, &mut sessions, || {});
//! result?;
//! println!("{} frames, {} exchanges", stats.frames, sessions.into_sink().0);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! No layer panics on input: what cannot be decoded is counted or reported, never dropped silently.

pub mod base;
pub mod capture;
pub mod wire;
pub mod flow;
pub mod tls;
pub mod pop3;
pub mod mail;
pub mod session;
pub mod pipeline;
pub mod view;
pub mod output;
// The teaching side, the terminal view and the command line are the program, not the analysis
// library: public for the binary and the integration tests, left out of the documented API.
#[doc(hidden)]
pub mod teach;
#[doc(hidden)]
pub mod tui;
#[doc(hidden)]
pub mod cli;

pub use base::{Direction, Timestamp};
pub use capture::{CaptureError, CaptureReader, Frame, LinkType};
pub use flow::{FlowConfig, StreamEvent, StreamSink};
pub use output::{Printer, SessionPrinter};
pub use pipeline::{Config, EngineStats, analyze};
pub use pop3::{Decoder, Exchange, NoteCode, Phase, Pop3Event, Verb};
pub use session::{SessionEvent, SessionSink, Sessions};
