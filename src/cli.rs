//! The command line: clap definitions, resolved into calls on the library.
//!
//! Exit codes: 0 success (also when the output pipe closes early, as with `| head`); 1 a usage
//! or input error, with a message that says what and where; 2 an internal failure.

use std::fs::File;
use std::io::{self, IsTerminal, Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use anyhow::Context;
use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::capture::{CaptureError, CaptureReader};
use crate::engine::{Engine, EngineStats};
use crate::flow::{FlowConfig, StreamSink};
use crate::output::json::JsonPrinter;
use crate::output::text::TextPrinter;
use crate::output::{FlowPrinter, Format, PrintOptions, StreamExporter, Tee, write_summary_text};
use crate::session::{SessionConfig, Sessions};

#[derive(Parser, Debug)]
#[command(
    name = "pop3scope",
    version,
    about = "See and teach what POP3 really does on the wire.",
    long_about = "See and teach what POP3 really does on the wire.\n\n\
        pop3scope reads packet captures (pcap or pcapng, as written by tcpdump, Wireshark or \
        dumpcap), puts each TCP connection on the POP3 ports back together byte for byte, and \
        shows every command with its reply, the session phase (AUTHORIZATION, TRANSACTION, \
        UPDATE) and what it means. Passwords are masked unless you ask to see them.",
    after_help = "Examples:\n  \
        pop3scope open captures/01-full-session.pcap          commands and replies, explained\n  \
        pop3scope open trace.pcapng --json | jq .             JSON Lines for scripts\n  \
        pop3scope open trace.pcap --flows                     TCP connections: bytes, gaps, retransmissions\n  \
        tcpdump -i lo -w - port 110 | pop3scope open -        decode as tcpdump captures\n  \
        pop3scope open trace.pcap --export-streams streams/   each direction to a file, like tcpflow"
)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Read a capture file (.pcap or .pcapng, recognised by content; `-` for stdin) and show the
    /// POP3 sessions in it.
    Open(OpenArgs),
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[derive(Args, Debug)]
struct OpenArgs {
    /// The capture file; `-` reads standard input.
    file: PathBuf,

    /// List the TCP connections instead: addresses, times, bytes each way, gaps,
    /// retransmissions, how each ended.
    #[arg(long)]
    flows: bool,

    /// Write JSON Lines (one object per line; the format is in the README) instead of text.
    #[arg(long, conflicts_with = "text")]
    json: bool,

    /// Write human-readable text (the default).
    #[arg(long)]
    text: bool,

    /// Show passwords, SASL responses and tokens instead of masking them as ********.
    #[arg(long)]
    show_secrets: bool,

    /// Data lines of each multi-line reply to show in text output.
    #[arg(long, value_name = "N", default_value_t = 8)]
    body_lines: usize,

    /// Colour the text output: auto (when stdout is a terminal and NO_COLOR is not set),
    /// always, never.
    #[arg(long, value_enum, value_name = "WHEN", default_value = "auto")]
    color: ColorChoice,

    /// Write each connection's two reassembled byte streams into DIR, one file per direction
    /// (like tcpflow). Missing stretches are holes of zero bytes, listed as gaps.
    #[arg(long, value_name = "DIR")]
    export_streams: Option<PathBuf>,

    /// Also follow connections on PORT (repeatable). 110 and 995 are always followed.
    #[arg(short, long = "port", value_name = "PORT")]
    ports: Vec<u16>,

    /// Close a connection after SECS seconds (capture time) without a packet.
    #[arg(long, value_name = "SECS", default_value_t = 600)]
    idle_timeout: u32,
}

/// Runs the program with the process arguments and returns its exit code.
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => {
            let code = if error.use_stderr() { 1 } else { 0 };
            let _ = error.print();
            return ExitCode::from(code);
        }
    };
    match std::panic::catch_unwind(|| run(cli)) {
        Ok(Ok(())) => ExitCode::SUCCESS,
        Ok(Err(error)) if is_broken_pipe(&error) => ExitCode::SUCCESS,
        Ok(Err(error)) => {
            eprintln!("pop3scope: {error:#}");
            ExitCode::from(1)
        }
        Err(_) => {
            eprintln!("pop3scope: internal error (a bug): please report it with the command and the input");
            ExitCode::from(2)
        }
    }
}

fn is_broken_pipe(error: &anyhow::Error) -> bool {
    error.chain().any(|cause| {
        cause
            .downcast_ref::<io::Error>()
            .is_some_and(|e| e.kind() == io::ErrorKind::BrokenPipe)
    })
}

fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Open(args) => open(args),
    }
}

/// Counts the bytes read, for the progress bar.
struct Counting<R> {
    inner: R,
    read: Arc<AtomicU64>,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

/// Files smaller than this are read too fast for a progress bar to help.
const PROGRESS_MIN_BYTES: u64 = 50_000_000;

fn progress_bar(size: Option<u64>) -> Option<indicatif::ProgressBar> {
    let size = size.filter(|&s| s >= PROGRESS_MIN_BYTES)?;
    if !io::stderr().is_terminal() {
        return None;
    }
    let bar = indicatif::ProgressBar::new(size);
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{bar:40} {bytes}/{total_bytes} {binary_bytes_per_sec} eta {eta}",
        )
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    Some(bar)
}

fn open(args: OpenArgs) -> anyhow::Result<()> {
    let name = args.file.display().to_string();
    let (input, size): (Box<dyn Read + Send>, Option<u64>) = if args.file == Path::new("-") {
        (Box::new(io::stdin()), None)
    } else {
        let file = File::open(&args.file).with_context(|| format!("cannot open {name}"))?;
        let size = file.metadata().ok().map(|m| m.len());
        (Box::new(file), size)
    };
    let read = Arc::new(AtomicU64::new(0));
    let mut reader = CaptureReader::new(Counting {
        inner: input,
        read: read.clone(),
    })
    .with_context(|| name.clone())?;

    let mut config = FlowConfig {
        idle_timeout_secs: args.idle_timeout,
        ..FlowConfig::default()
    };
    for port in &args.ports {
        if !config.ports.contains(port) {
            config.ports.push(*port);
        }
    }
    let format = if args.json { Format::Json } else { Format::Text };
    let color = match args.color {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
        }
    };
    let options = PrintOptions {
        show_secrets: args.show_secrets,
        color,
        body_lines: args.body_lines,
    };
    let exporter = match &args.export_streams {
        Some(dir) => {
            Some(StreamExporter::new(dir).with_context(|| format!("cannot create {}", dir.display()))?)
        }
        None => None,
    };
    let stdout = || io::BufWriter::with_capacity(256 * 1024, raw_stdout());
    let progress = progress_bar(size);
    let mut drive = |sink: &mut dyn FnMut(&mut Engine, &crate::capture::Frame<'_>) -> bool| {
        let mut engine = Engine::new(config.clone());
        let mut since_update = 0u32;
        let result = reader.for_each_frame(|frame| {
            since_update += 1;
            if since_update == 4096 {
                since_update = 0;
                if let Some(bar) = &progress {
                    bar.set_position(read.load(Ordering::Relaxed));
                }
            }
            sink(&mut engine, &frame)
        });
        (engine, result)
    };

    let (stats, read_result) = if args.flows {
        let mut sink = Tee(FlowPrinter::new(stdout(), format), exporter);
        let (engine, result) = drive(&mut |engine, frame| {
            engine.frame(frame, &mut sink);
            !sink.stopped()
        });
        let stats = engine.finish(&mut sink);
        let Tee(printer, exporter) = sink;
        printer.finish(&stats)?;
        finish_export(exporter)?;
        (stats, result)
    } else {
        let session_config = SessionConfig::default();
        match format {
            Format::Json => {
                let mut sink = Tee(
                    Sessions::new(session_config, JsonPrinter::new(raw_stdout(), options)),
                    exporter,
                );
                let (engine, result) = drive(&mut |engine, frame| {
                    engine.frame(frame, &mut sink);
                    !sink.stopped()
                });
                let stats = engine.finish(&mut sink);
                let Tee(sessions, exporter) = sink;
                sessions.into_sink().finish(&stats)?;
                finish_export(exporter)?;
                (stats, result)
            }
            Format::Text => {
                let mut sink = Tee(
                    Sessions::new(session_config, TextPrinter::new(stdout(), options)),
                    exporter,
                );
                let (engine, result) = drive(&mut |engine, frame| {
                    engine.frame(frame, &mut sink);
                    !sink.stopped()
                });
                let stats = engine.finish(&mut sink);
                let Tee(sessions, exporter) = sink;
                sessions.into_sink().finish()?;
                finish_export(exporter)?;
                (stats, result)
            }
        }
    };
    if let Some(bar) = progress {
        bar.finish_and_clear();
    }
    if format == Format::Text {
        write_summary_text(&mut io::stderr().lock(), &stats)?;
    }
    report_read_result(&name, read_result, &stats)
}

/// Standard output without Rust's line buffering: output is already buffered in large blocks,
/// and `Stdout` would scan every block for newlines again.
fn raw_stdout() -> Box<dyn Write> {
    #[cfg(unix)]
    {
        use std::os::fd::AsFd;
        if let Ok(fd) = io::stdout().as_fd().try_clone_to_owned() {
            return Box::new(File::from(fd));
        }
    }
    Box::new(io::stdout())
}

fn finish_export(exporter: Option<StreamExporter>) -> anyhow::Result<()> {
    match exporter {
        Some(exporter) => exporter.finish().context("cannot write the exported streams"),
        None => Ok(()),
    }
}

/// A damaged file after some frames is a warning (what came before was shown); with no frame
/// at all it is an error.
fn report_read_result(
    name: &str,
    result: Result<(), CaptureError>,
    stats: &EngineStats,
) -> anyhow::Result<()> {
    match result {
        Ok(()) => Ok(()),
        Err(error) if stats.frames == 0 => Err(error).with_context(|| name.to_string()),
        Err(error) => {
            let _ = writeln!(
                io::stderr().lock(),
                "pop3scope: warning: {name}: {error}; the {} frames before it were processed",
                stats.frames
            );
            Ok(())
        }
    }
}
