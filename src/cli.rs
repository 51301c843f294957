//! The command line: clap definitions, resolved into calls on the library.
//!
//! Exit codes: 0 success (also when the output pipe closes early, as with `| head`); 1 a usage
//! or input error, with a message that says what and where; 2 an internal failure.

use std::fs::File;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use clap::{Args, Parser, Subcommand};

use crate::capture::{CaptureError, CaptureReader};
use crate::engine::Engine;
use crate::flow::FlowConfig;
use crate::output::{FlowPrinter, Format, StreamExporter, Tee, write_summary_text};

#[derive(Parser, Debug)]
#[command(
    name = "pop3scope",
    version,
    about = "See and teach what POP3 really does on the wire.",
    long_about = "See and teach what POP3 really does on the wire.\n\n\
        pop3scope reads packet captures (pcap or pcapng, as written by tcpdump, Wireshark or \
        dumpcap), puts each TCP connection on the POP3 ports back together byte for byte, and \
        shows what happened.",
    after_help = "Examples:\n  \
        pop3scope open captures/01-full-session.pcap --flows\n  \
        pop3scope open trace.pcapng --flows --json | jq .\n  \
        tcpdump -i lo -w - port 110 | pop3scope open - --flows\n  \
        pop3scope open trace.pcap --export-streams streams/"
)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Read a capture file (.pcap or .pcapng, recognised by content; `-` for stdin).
    Open(OpenArgs),
}

#[derive(Args, Debug)]
struct OpenArgs {
    /// The capture file; `-` reads standard input.
    file: PathBuf,

    /// List the TCP connections: addresses, times, bytes each way, gaps, retransmissions, how each
    /// ended.
    #[arg(long)]
    flows: bool,

    /// Write JSON Lines (one object per line) instead of text.
    #[arg(long, conflicts_with = "text")]
    json: bool,

    /// Write human-readable text (the default).
    #[arg(long)]
    text: bool,

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

fn open(args: OpenArgs) -> anyhow::Result<()> {
    let name = args.file.display().to_string();
    let input: Box<dyn Read + Send> = if args.file == Path::new("-") {
        Box::new(io::stdin())
    } else {
        Box::new(File::open(&args.file).with_context(|| format!("cannot open {name}"))?)
    };
    let mut reader = CaptureReader::new(input).with_context(|| name.clone())?;

    let mut config = FlowConfig {
        idle_timeout_secs: args.idle_timeout,
        ..FlowConfig::default()
    };
    for port in args.ports {
        if !config.ports.contains(&port) {
            config.ports.push(port);
        }
    }
    let format = if args.json { Format::Json } else { Format::Text };
    let printer = (args.flows || args.export_streams.is_none()).then(|| {
        FlowPrinter::new(
            io::BufWriter::with_capacity(64 * 1024, io::stdout().lock()),
            format,
        )
    });
    let exporter = match &args.export_streams {
        Some(dir) => {
            Some(StreamExporter::new(dir).with_context(|| format!("cannot create {}", dir.display()))?)
        }
        None => None,
    };
    let mut sink = Tee(printer, exporter);
    let mut engine = Engine::new(config);

    let read_result = reader.for_each_frame(|frame| {
        engine.frame(&frame, &mut sink);
        !crate::flow::StreamSink::stopped(&sink)
    });
    let stats = engine.finish(&mut sink);
    let Tee(printer, exporter) = sink;
    if let Some(printer) = printer {
        printer.finish(&stats)?;
    }
    if let Some(exporter) = exporter {
        exporter.finish().context("cannot write the exported streams")?;
    }
    if format == Format::Text {
        let mut err = io::stderr().lock();
        write_summary_text(&mut err, &stats)?;
    }
    match read_result {
        Ok(()) => Ok(()),
        Err(error) if stats.frames == 0 => Err(error).with_context(|| name),
        Err(error) => {
            report_partial(&name, &error, stats.frames);
            Ok(())
        }
    }
}

/// Some frames were read before the file went bad: say so, keep what was shown.
fn report_partial(name: &str, error: &CaptureError, frames: u64) {
    let mut err = io::stderr().lock();
    let _ = writeln!(
        err,
        "pop3scope: warning: {name}: {error}; the {frames} frames before it were processed"
    );
}
