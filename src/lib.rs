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
//! | [`pop3`] | the pure decoder: framing, pairing, the phase table, SASL, notes | … flow |
//! | [`session`] | sessions, the mailbox mirror, credentials: [`session::SessionEvent`]s | … pop3 |
//! | [`pipeline`] | one entry point: a capture through every layer into a sink | … session |
//! | [`view`] | UI-free: the timeline kept for browsing, the words a row says | … pipeline |
//! | [`output`] | the printers behind one trait: text, JSON Lines, flows, stream export | … view |
//! | [`teach`] | lessons, the teaching server, the simulator | … output |
//! | [`tui`] | the interactive terminal view and the class view (ratatui) | … teach |
//! | [`cli`] | the command line: argument definitions and calls | everything |
//!
//! **The dependency rule**: a module imports only from its own layer and the layers above it in
//! this table. The analysis layers (base to view) never import the teaching side, the TUI or
//! the CLI, and nothing below [`tui`] draws on a terminal. The teaching side comes before the
//! terminal view because the class view draws lessons. A test (`tests/it/layers.rs`) reads
//! every `crate::` path in `src/` and fails on an import against the rule.
//!
//! No layer panics on input: what cannot be decoded is counted or reported, never dropped silently.

pub mod base;
pub mod capture;
pub mod wire;
pub mod flow;
pub mod pop3;
pub mod session;
pub mod pipeline;
pub mod view;
pub mod output;
pub mod teach;
pub mod tui;
pub mod cli;
