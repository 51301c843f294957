//! `pop3scope open`: a capture file, in the interactive view or as a stream of text or JSON.

use std::fs::{self, File};
use std::io::{self, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use anyhow::Context;
use clap::Args;

use super::{ConnectionArgs, DisplayArgs, raw_stdout, report_read_result};
use crate::capture::CaptureReader;
use crate::output::{self, Format, SessionPrinter, Shown, StreamExporter, write_summary_text};
use crate::pipeline::{self, Config};

#[derive(Args, Debug)]
pub(super) struct OpenArgs {
    /// The capture file (pcap or pcapng, gzip- or zstd-compressed too); `-` reads standard
    /// input. Several files are merged by time, as mergecap does (two capture points, a
    /// rotated capture).
    #[arg(value_name = "FILE", required_unless_present = "read")]
    files: Vec<PathBuf>,

    /// A capture file, as tcpdump and tshark name it (`-r FILE`; repeatable).
    #[arg(short = 'r', long = "read", value_name = "FILE")]
    read: Vec<PathBuf>,

    /// List the TCP connections instead: addresses, times, bytes each way, gaps,
    /// retransmissions, how each ended.
    #[arg(long)]
    flows: bool,

    /// Write each connection's two reassembled byte streams into DIR, one file per direction
    /// (like tcpflow). Missing stretches are holes of zero bytes, listed as gaps.
    #[arg(long, value_name = "DIR")]
    export_streams: Option<PathBuf>,

    /// Decode on N threads (default: one per core, at most 8): connections are shared out by a
    /// hash of their addresses, and the output is the same as on one thread, in the same
    /// order. `--flows`, `--export-streams`, standard input and the interactive view use one.
    #[arg(short = 'j', long, value_name = "N")]
    threads: Option<std::num::NonZeroUsize>,

    #[command(flatten)]
    connections: ConnectionArgs,

    #[command(flatten)]
    display: DisplayArgs,
}

/// Threads by default, however many cores: each worker has its own tables, and past a few the
/// reading of the file, on one thread, is the limit.
const DEFAULT_THREADS_AT_MOST: usize = 8;

/// Where the interactive view's save key (`x`) writes, under the current directory.
const SAVE_DIR: &str = "pop3scope-saved";

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

pub(super) fn open(mut args: OpenArgs) -> anyhow::Result<()> {
    let mut files = std::mem::take(&mut args.files);
    files.append(&mut args.read);
    if files.len() > 1 && files.iter().any(|f| f == Path::new("-")) {
        anyhow::bail!("standard input (-) can only be read alone, not merged with other files");
    }
    open_files(&files, args)
}

/// One capture, or several merged by time.
fn open_files(files: &[PathBuf], args: OpenArgs) -> anyhow::Result<()> {
    let name = files
        .iter()
        .map(|f| f.display().to_string())
        .collect::<Vec<_>>()
        .join(", ");
    let file = files
        .first()
        .context("no capture file: name one, or - for standard input")?;
    let interactive = args.display.interactive() && !args.flows && args.export_streams.is_none();
    let threads = args
        .threads
        .or_else(|| std::thread::available_parallelism().ok())
        .map_or(1, |n| n.get().min(DEFAULT_THREADS_AT_MOST));
    // From a pipe each session is printed as soon as its packets come, not a batch later.
    let from_pipe = file == Path::new("-");
    let parallel = threads > 1 && !interactive && !from_pipe && !args.flows && args.export_streams.is_none();
    let read = Arc::new(AtomicU64::new(0));
    let mut readers = Vec::new();
    let mut size = Some(0);
    for path in files {
        let shown = path.display().to_string();
        let reader = if path == Path::new("-") {
            size = None;
            CaptureReader::from_stream(io::stdin(), read.clone())
        } else {
            let opened = File::open(path).with_context(|| format!("cannot open {shown}"))?;
            size = size.zip(opened.metadata().ok()).map(|(sum, m)| sum + m.len());
            // One thread reads best with the copying done ahead on another core; when every
            // core decodes, the file is mapped and its payloads are never copied.
            if parallel && files.len() == 1 {
                CaptureReader::map_file(opened, read.clone())
            } else {
                CaptureReader::from_stream(opened, read.clone())
            }
        }
        .with_context(|| shown.clone())?;
        readers.push(reader);
    }
    let mut reader = match readers.len() {
        1 => readers.remove(0),
        _ => CaptureReader::merge(readers),
    };

    let config = args.connections.config(None, args.connections.keylog(false)?);
    if interactive {
        let (source, save) = if file == Path::new("-") {
            ("standard input".to_string(), None)
        } else {
            let files = files.to_vec();
            let save = crate::tui::SaveTo {
                dir: PathBuf::from(SAVE_DIR),
                reopen: Box::new(move || {
                    let mut readers = Vec::new();
                    for file in &files {
                        readers.push(CaptureReader::from_stream(File::open(file)?, Arc::default())?);
                    }
                    Ok(match readers.len() {
                        1 => readers.remove(0),
                        _ => CaptureReader::merge(readers),
                    })
                }),
            };
            (name, Some(save))
        };
        return open_interactive(reader, args.display.app(source), config, size, read, save);
    }
    let format = if args.display.json {
        Format::Json
    } else {
        Format::Text
    };
    let shown = if args.flows {
        Shown::Flows(format)
    } else {
        Shown::Sessions(format)
    };
    let exporter = match &args.export_streams {
        Some(dir) => {
            let non_empty = fs::read_dir(dir).is_ok_and(|mut entries| entries.next().is_some());
            let exporter = StreamExporter::new(dir)
                .with_context(|| format!("cannot export streams into {}", dir.display()))?;
            if non_empty {
                eprintln!(
                    "pop3scope: note: {} is not empty; files of the same names are overwritten",
                    dir.display()
                );
            }
            Some(exporter)
        }
        None => None,
    };
    // --export-streams alone writes files: the sessions are not printed unless asked for.
    let quiet = args.export_streams.is_some() && !args.flows && !args.display.json && !args.display.text;
    // From a pipe (`tcpdump -w - | pop3scope open -`) each line is written as soon as it is
    // known; from a file, output goes out in large blocks. The JSON printer buffers by itself.
    let out: Box<dyn Write> = match shown {
        _ if quiet => Box::new(io::sink()),
        Shown::Sessions(Format::Json) => raw_stdout(),
        _ if from_pipe => Box::new(io::LineWriter::new(raw_stdout())),
        _ => Box::new(io::BufWriter::with_capacity(256 * 1024, raw_stdout())),
    };
    let progress = progress_bar(size);
    let show_progress = || {
        if let Some(bar) = &progress {
            bar.set_position(read.load(Ordering::Relaxed));
        }
    };
    let started = std::time::Instant::now();
    let (stats, read_result) = match shown {
        Shown::Sessions(format) if parallel => {
            let options = args.display.print_options(from_pipe);
            let mut printer = output::session_output(
                format,
                options,
                out,
                args.display.extractor()?,
                args.display.filter.clone(),
            );
            let message_lines = printer.message_lines(options);
            let (stats, read_result) = pipeline::analyze_parallel(
                &mut reader,
                &config,
                threads,
                &mut printer,
                &message_lines,
                show_progress,
            );
            printer.finish(&stats)?;
            (stats, read_result)
        }
        _ => {
            let mut printer = output::printer(
                shown,
                args.display.print_options(from_pipe),
                &config,
                out,
                exporter,
                args.display.extractor()?,
                args.display.filter.clone(),
            );
            let (stats, read_result) =
                pipeline::analyze(&mut reader, &config, printer.as_mut(), show_progress);
            printer.finish(&stats)?;
            (stats, read_result)
        }
    };
    if let Some(bar) = progress {
        bar.finish_and_clear();
    }
    if (format == Format::Text || args.display.verbose) && !args.display.quiet {
        write_summary_text(&mut io::stderr().lock(), &stats)?;
    }
    if args.display.verbose {
        let secs = started.elapsed().as_secs_f64();
        eprintln!(
            "pop3scope: read in {secs:.2} s ({:.0} MB/s)",
            stats.captured_bytes as f64 / secs.max(1e-9) / 1e6
        );
    }
    report_read_result(&name, read_result, &stats)
}

/// The interactive view over the capture, read on a second thread: the first screen comes at
/// once, whatever the size of the file.
fn open_interactive(
    reader: CaptureReader,
    app: crate::tui::App,
    config: Config,
    size: Option<u64>,
    read: Arc<AtomicU64>,
    save: Option<crate::tui::SaveTo>,
) -> anyhow::Result<()> {
    let name = app.source.clone();
    let progress = move || match size {
        Some(size) if size > 0 => format!(
            "reading {}%",
            read.load(Ordering::Relaxed).saturating_mul(100) / size
        ),
        _ => format!("reading: {} MB", read.load(Ordering::Relaxed) >> 20),
    };
    let (stats, result) =
        crate::tui::browse_capture(reader, app, config, progress, save).context("the terminal")?;
    report_read_result(&name, result, &stats)
}
