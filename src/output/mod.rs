//! Output: printers that show connections and POP3 sessions to people and programs.
//!
//! Contract: bytes from the wire never reach a terminal raw — text output escapes them
//! ([`crate::base::escape`]), JSON output keeps them exact (a string when they are UTF-8,
//! `{"bytes": base64}` otherwise). Secrets are masked unless the user asked to see them.
//! A write error stops the printer; the caller reports it (a closed pipe is not an error).
//!
//! Every printer is a [`Printer`]: it takes the flow layer's events (the session printers
//! through the session layer, [`Config::sessions`]) and ends with [`Printer::finish`], the same
//! call for all. `open` and `sniff` choose one with [`printer`] and never look at which.

mod export;
mod extract;
mod filtered;
mod flows;
pub mod json;
pub mod text;

use std::io::{self, Write};

pub use export::StreamExporter;
pub use extract::{Extractor, safe_name};
pub use flows::{FlowPrinter, FlowRecord, SummaryRecord, write_flow_text, write_summary_text};

use crate::flow::{StreamEvent, StreamSink};
use crate::pipeline::{Config, EngineStats};
use crate::pop3::Body;
use crate::session::{SessionCounts, SessionEvent, SessionSink, Sessions};
use crate::view::filter::Filter;
use crate::view::timeline::Recorder;

use filtered::Filtered;

/// Human text or JSON Lines.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// Lines for people, escaped.
    Text,
    /// JSON Lines for programs.
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
    /// Write each JSON record as soon as it is known (from a pipe, live), not in large blocks.
    pub streaming: bool,
    /// Which data lines of a retrieved message (RETR, TOP) JSON carries.
    pub bodies: Bodies,
    /// How the text output writes times (JSON is always RFC 3339 in UTC).
    pub time: TimeFormat,
}

/// The time column of the text output (`--time`, as tshark's `-t`).
#[derive(Clone, Copy, Debug, Default)]
pub enum TimeFormat {
    /// `HH:MM:SS.mmm` in UTC.
    #[default]
    Utc,
    /// `HH:MM:SS.mmm` in the local zone: its offset from UTC, in seconds, at a given time
    /// (seconds since the epoch), as the command line found it.
    Local(fn(i64) -> i32),
    /// Seconds since the first line.
    Relative,
    /// Seconds since the line before.
    Delta,
    /// Seconds since the Unix epoch.
    Epoch,
}

/// The data lines of retrieved messages JSON carries (`--bodies`): the `message` object
/// describes every message whatever this says. LIST, UIDL and CAPA lines are always written.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Bodies {
    /// None: `lines` is empty.
    None,
    /// The header lines, up to the blank line that ends them.
    #[default]
    Headers,
    /// Every line, as retrieved (dot-unstuffed).
    Full,
}

/// A sink of the flow layer's events that shows them, and is finished once at the end.
pub trait Printer: StreamSink {
    /// Writes what comes after the last event (the summary record of JSON, the pending
    /// output) and flushes; says how many sessions and exchanges were shown.
    fn finish(self: Box<Self>, stats: &EngineStats) -> io::Result<SessionCounts>;
}

/// A printer of the session layer's events: the text and JSON printers, the timeline recorder.
pub trait SessionPrinter: SessionSink {
    /// Writes what comes after the last event, and flushes.
    fn finish(self, stats: &EngineStats) -> io::Result<()>;
}

impl<P: SessionPrinter> Printer for Sessions<P> {
    fn finish(self: Box<Self>, stats: &EngineStats) -> io::Result<SessionCounts> {
        let counts = self.counts();
        self.into_sink().finish(stats)?;
        Ok(counts)
    }
}

impl<F: FnMut(crate::view::timeline::Record) -> bool> SessionPrinter for Recorder<F> {
    fn finish(self, _: &EngineStats) -> io::Result<()> {
        Ok(())
    }
}

/// What `open` and `sniff` show.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shown {
    /// The POP3 sessions, in text or JSON.
    Sessions(Format),
    /// The TCP connections (`--flows`), in text or JSON.
    Flows(Format),
}

/// The printer for what is `shown`, writing to `out`; with `export`, the streams are written
/// to files beside it; with `extract`, the messages; with `filter`, only the exchanges it lets
/// through are printed (with their sessions).
pub fn printer(
    shown: Shown,
    options: PrintOptions,
    config: &Config,
    out: Box<dyn Write>,
    export: Option<StreamExporter>,
    extract: Option<Extractor>,
    filter: Option<Filter>,
) -> Box<dyn Printer> {
    let printer: Box<dyn Printer> = match shown {
        Shown::Flows(format) => Box::new(FlowPrinter::new(out, format)),
        Shown::Sessions(format) => {
            Box::new(config.sessions(session_output(format, options, out, extract, filter)))
        }
    };
    match export {
        Some(exporter) => Box::new(Exporting { printer, exporter }),
        None => printer,
    }
}

/// The session printer for `format` over `out`, with the message extractor beside it and the
/// filter before it: what [`printer`] puts over the session layer, and what takes the merged
/// events of [`crate::pipeline::analyze_parallel`].
pub fn session_output(
    format: Format,
    options: PrintOptions,
    out: Box<dyn Write>,
    extract: Option<Extractor>,
    filter: Option<Filter>,
) -> SessionOutput {
    match format {
        Format::Json => SessionOutput(SessionPrinters::Json(Extracting {
            printer: Filtered::new(json::JsonPrinter::new(out, options), filter),
            extractor: extract,
        })),
        Format::Text => SessionOutput(SessionPrinters::Text(Extracting {
            printer: Filtered::new(text::TextPrinter::new(out, options), filter),
            extractor: extract,
        })),
    }
}

/// The text or JSON session printer ([`session_output`]).
pub struct SessionOutput(SessionPrinters);

impl SessionOutput {
    /// How many lines of a retrieved message's body this printer shows (every line when it
    /// extracts messages): a worker of [`crate::pipeline::analyze_parallel`] hands on only
    /// those.
    pub fn message_lines(&self, options: PrintOptions) -> impl Fn(&Body) -> usize + Sync + use<> {
        let (json, extracting) = match &self.0 {
            SessionPrinters::Json(printer) => (true, printer.extractor.is_some()),
            SessionPrinters::Text(printer) => (false, printer.extractor.is_some()),
        };
        move |body| match (extracting, json) {
            (true, _) => usize::MAX,
            (false, true) => json::message_lines_shown(options.bodies, body),
            (false, false) => options.body_lines,
        }
    }
}

enum SessionPrinters {
    Json(Extracting<Filtered<json::JsonPrinter<Box<dyn Write>>>>),
    Text(Extracting<Filtered<text::TextPrinter<Box<dyn Write>>>>),
}

impl SessionSink for SessionOutput {
    fn event(&mut self, event: SessionEvent<'_>) {
        match &mut self.0 {
            SessionPrinters::Json(printer) => printer.event(event),
            SessionPrinters::Text(printer) => printer.event(event),
        }
    }

    fn stopped(&self) -> bool {
        match &self.0 {
            SessionPrinters::Json(printer) => printer.stopped(),
            SessionPrinters::Text(printer) => printer.stopped(),
        }
    }
}

impl SessionPrinter for SessionOutput {
    fn finish(self, stats: &EngineStats) -> io::Result<()> {
        match self.0 {
            SessionPrinters::Json(printer) => printer.finish(stats),
            SessionPrinters::Text(printer) => printer.finish(stats),
        }
    }
}

/// A session printer with the message extractor beside it: both see every event.
struct Extracting<P> {
    printer: P,
    extractor: Option<Extractor>,
}

impl<P: SessionSink> SessionSink for Extracting<P> {
    fn event(&mut self, event: SessionEvent<'_>) {
        if let Some(extractor) = &mut self.extractor {
            extractor.event(event);
        }
        self.printer.event(event);
    }

    fn stopped(&self) -> bool {
        self.printer.stopped() || self.extractor.as_ref().is_some_and(SessionSink::stopped)
    }
}

impl<P: SessionPrinter> SessionPrinter for Extracting<P> {
    fn finish(self, stats: &EngineStats) -> io::Result<()> {
        self.printer.finish(stats)?;
        if let Some(extractor) = self.extractor {
            let dir = extractor.dir().display().to_string();
            let (written, again) = extractor.finish()?;
            let again = match again {
                0 => String::new(),
                n => format!(" ({n} retrieved again, written once)"),
            };
            eprintln!("pop3scope: {written} messages extracted into {dir}, with manifest.json{again}");
        }
        Ok(())
    }
}

/// A printer with the stream export beside it: both see every event.
struct Exporting {
    printer: Box<dyn Printer>,
    exporter: StreamExporter,
}

impl StreamSink for Exporting {
    fn event(&mut self, event: StreamEvent<'_>) {
        // Events borrow their bytes, so each sink sees a copy of the small event value.
        self.printer.event(event.clone());
        self.exporter.event(event);
    }
    fn stopped(&self) -> bool {
        self.printer.stopped() || self.exporter.stopped()
    }
}

impl Printer for Exporting {
    fn finish(self: Box<Self>, stats: &EngineStats) -> io::Result<SessionCounts> {
        let counts = self.printer.finish(stats)?;
        let dir = self.exporter.dir().display().to_string();
        let connections = self.exporter.finish().map_err(|error| {
            io::Error::new(
                error.kind(),
                format!("cannot write the exported streams: {error}"),
            )
        })?;
        eprintln!(
            "pop3scope: {connections} connection{} exported into {dir}, two files each",
            if connections == 1 { "" } else { "s" }
        );
        Ok(counts)
    }
}
