//! Output: sinks that show connections and POP3 sessions to people and programs.
//!
//! Contract: bytes from the wire never reach a terminal raw — text output escapes them
//! ([`crate::text::escape`]), JSON output keeps them exact (a string when they are UTF-8,
//! `{"bytes": base64}` otherwise). Secrets are masked unless the user asked to see them.
//! A write error stops the sink; the caller reports it (a closed pipe is not an error).

mod flows;
pub mod json;
pub mod text;

pub use flows::{
    FlowPrinter, FlowRecord, StreamExporter, SummaryRecord, Tee, write_flow_text, write_summary_text,
};

/// Human text or JSON Lines.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Text,
    Json,
}

/// What every session printer needs to know.
#[derive(Clone, Copy, Debug)]
pub struct PrintOptions {
    /// Show passwords and tokens instead of masking them.
    pub show_secrets: bool,
    /// Colour the text output.
    pub color: bool,
    /// Data lines of a multi-line reply shown in text output.
    pub body_lines: usize,
}

/// What a masked secret looks like.
pub const MASK: &str = "********";
