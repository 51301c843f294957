//! `pop3scope sniff` and `pop3scope interfaces`: live capture.

use std::io::{self, IsTerminal, Write};
use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::{Args, ValueEnum};

use super::{ConnectionArgs, DisplayArgs, raw_stdout};

#[derive(Args, Debug)]
pub(super) struct SniffArgs {
    /// The interface to capture on, by name or by the number `pop3scope interfaces` lists; `any`
    /// for all of them. Default: the first interface that is up and not loopback, as tcpdump
    /// chooses.
    #[arg(short, long, value_name = "IFACE")]
    interface: Option<String>,

    /// Also write the captured packets to FILE (pcap, readable by `open`, Wireshark, tcpdump);
    /// `-` writes them to standard output instead of the decoded sessions (as `tcpdump -w -`),
    /// for `sniff -w - | pop3scope open -` or Wireshark. The file header is written at once.
    #[arg(short = 'w', value_name = "FILE")]
    write: Option<PathBuf>,

    /// With -w: write each packet out as soon as it is captured (as `tcpdump -U`), so that a
    /// reader of the file or the pipe sees it at once and a killed capture loses nothing.
    #[arg(short = 'U', long, requires = "write")]
    packet_buffered: bool,

    /// With -w: pcap or pcapng (default: pcapng when FILE ends in .pcapng, else pcap). pcapng
    /// names the interface and carries a comment.
    #[arg(long, value_enum, value_name = "FORMAT", requires = "write")]
    format: Option<WriteFormat>,

    /// Stop after COUNT exchanges.
    #[arg(short = 'c', value_name = "COUNT")]
    count: Option<u64>,

    #[command(flatten)]
    connections: ConnectionArgs,

    #[command(flatten)]
    display: DisplayArgs,

    /// A BPF filter expression such as 'host 10.0.0.5', on top of the port filter (needs the
    /// libpcap backend: the build feature `libpcap`).
    #[arg(id = "bpf", value_name = "FILTER")]
    filter: Vec<String>,

    /// How to capture: af-packet (built in, Linux) or libpcap (build feature `libpcap`; the
    /// default when built with it).
    #[arg(long, value_enum, value_name = "BACKEND")]
    backend: Option<BackendChoice>,
}

/// `--format`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum WriteFormat {
    Pcap,
    Pcapng,
}

/// `--backend`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum BackendChoice {
    AfPacket,
    Libpcap,
}

#[cfg(unix)]
pub(super) fn sniff(args: SniffArgs) -> anyhow::Result<()> {
    use crate::capture::PcapWriter;
    use crate::capture::live::{self, Backend};
    use crate::output::{self, Format, Shown};
    use crate::pipeline;

    let backend = match args.backend {
        Some(BackendChoice::AfPacket) => Backend::AfPacket,
        Some(BackendChoice::Libpcap) => Backend::Libpcap,
        None => Backend::preferred(),
    };
    let interface = match args.interface {
        // A number is the index `pop3scope interfaces` lists (unless an interface has that name).
        Some(name) if name.parse::<u32>().is_ok() => {
            let index: u32 = name.parse()?;
            let listed = live::interfaces()?;
            match listed.iter().find(|i| i.name == name).or(listed.iter().find(|i| i.index == index)) {
                Some(interface) => interface.name.clone(),
                None => anyhow::bail!("no interface numbered {index}: `pop3scope interfaces` lists them"),
            }
        }
        Some(name) => name,
        None => live::default_interface()?.context(
            "no interface is up apart from loopback: name one with -i (see `pop3scope interfaces`), or use -i lo or -i any",
        )?,
    };
    let config = args
        .connections
        .config(args.count, args.connections.keylog(true)?);
    let expression = (!args.filter.is_empty()).then(|| args.filter.join(" "));
    // With --detect every TCP connection is looked at: no port filter in the kernel.
    let filter_ports: &[u16] = if config.flow.detect {
        &[]
    } else {
        &config.flow.ports
    };
    let mut source = backend.open(&interface, filter_ports, expression.as_deref())?;
    let to_stdout = args.write.as_deref() == Some(Path::new("-"));
    if to_stdout && (args.display.json || args.display.text) {
        anyhow::bail!("-w - writes the packets to standard output: --json and --text would mix into them");
    }
    if to_stdout && io::stdout().is_terminal() {
        anyhow::bail!(
            "-w - would write binary packets to the terminal: pipe them (| pop3scope open -) or name a file"
        );
    }
    let mut unwritable = None;
    let mut writer = match &args.write {
        Some(path) => {
            let out: Box<dyn Write> = if to_stdout {
                Box::new(io::BufWriter::new(raw_stdout()))
            } else {
                let file = live::create_private(path)
                    .with_context(|| format!("cannot create {}", path.display()))?;
                Box::new(io::BufWriter::new(file))
            };
            // The header goes out at once: the file is a capture from its first moment. A file
            // that cannot be written (a full disk) stops nothing: the sessions are still shown.
            // pcapng by the file's extension (or --format), with the interface and a comment.
            let pcapng = match args.format {
                Some(WriteFormat::Pcapng) => true,
                Some(WriteFormat::Pcap) => false,
                None => path.extension().is_some_and(|e| e.eq_ignore_ascii_case("pcapng")),
            };
            let started = if pcapng {
                let comment = format!("captured by pop3scope sniff on {interface}");
                PcapWriter::pcapng(out, source.link_type(), &interface, &comment)
            } else {
                PcapWriter::new(out, source.link_type())
            };
            let written = started.and_then(|mut writer| {
                writer.flush()?;
                Ok(writer)
            });
            match written {
                Ok(writer) if args.packet_buffered => Some(writer.packet_buffered()),
                Ok(writer) => Some(writer),
                Err(error) => {
                    unwritable = Some(format!(
                        "pop3scope: cannot write {}: {error}; the sessions are still shown",
                        path.display()
                    ));
                    None
                }
            }
        }
        None => None,
    };
    // The socket and the output file are open: root is no longer needed.
    live::drop_privileges().context("cannot drop root privileges")?;
    live::catch_stop_signals();
    let ports: Vec<String> = config.flow.ports.iter().map(u16::to_string).collect();
    let which = if config.flow.detect {
        format!(
            "every TCP port (POP3 found by content; {} as POP3 at once)",
            ports.join(", ")
        )
    } else {
        format!("TCP ports {}", ports.join(", "))
    };
    eprintln!("pop3scope: capturing on {interface}, {which}; Ctrl-C to stop");
    if let Some(said) = unwritable {
        eprintln!("{said}");
    }

    let capture = |source: &mut dyn live::LiveSource,
                   writer: &mut Option<PcapWriter<Box<dyn Write>>>,
                   sink: &mut dyn output::Printer| {
        pipeline::analyze_live(source, writer, &config, sink).context("cannot write the capture file")
    };
    let (stats, counts) = if args.display.interactive() && !to_stdout {
        let mut app = args.display.app(format!("live on {interface}"));
        app.follow = true;
        app.status = "● capturing".to_string();
        let screen = crate::tui::LiveScreen::start(app);
        let mut printer: Box<dyn output::Printer> = Box::new(config.sessions(screen.recorder()));
        let (stats, failure) = capture(source.as_mut(), &mut writer, printer.as_mut())?;
        let counts = printer.finish(&stats)?;
        let end = match failure {
            Some(error) => format!("capture stopped: {error}; what was captured is kept"),
            None => "capture stopped".to_string(),
        };
        screen.finish(format!("{end}; q quits")).context("the terminal")?;
        (stats, counts)
    } else {
        let (shown, out): (Shown, Box<dyn Write>) = if to_stdout {
            // Standard output carries the packets; the sessions are only counted.
            (Shown::Sessions(Format::Text), Box::new(io::sink()))
        } else if args.display.json {
            (Shown::Sessions(Format::Json), raw_stdout())
        } else {
            (
                Shown::Sessions(Format::Text),
                Box::new(io::LineWriter::new(raw_stdout())),
            )
        };
        let mut printer = output::printer(
            shown,
            args.display.print_options(true),
            &config,
            out,
            None,
            args.display.extractor()?,
            args.display.filter.clone(),
        );
        let (mut stats, failure) = capture(source.as_mut(), &mut writer, printer.as_mut())?;
        if let Some(error) = failure {
            eprintln!("pop3scope: capture stopped: {error}; what was captured is kept");
        }
        // The JSON summary carries the kernel's counters too.
        let kernel = source.kernel_stats();
        stats.kernel = Some(crate::pipeline::KernelCounts {
            received: kernel.received,
            dropped: kernel.dropped,
        });
        let counts = printer.finish(&stats)?;
        (stats, counts)
    };
    // The last buffered packets may be the first to meet a full disk: say so after the summary.
    let flushed = writer.as_mut().map_or(Ok(()), |writer| writer.flush());
    let write_failed = args.write.is_some() && writer.is_none();
    let kernel = source.kernel_stats();
    let (sessions, exchanges) = (counts.sessions, counts.exchanges);
    // On loopback the kernel sees each packet going out and coming in.
    let twice = if interface == "lo" || interface == "any" {
        " (loopback counts each twice)"
    } else {
        ""
    };
    if !args.display.quiet {
        eprintln!(
            "pop3scope: {sessions} session{}, {exchanges} exchange{}; {} packets decoded; the kernel passed {} through the filter{twice} and dropped {}",
            if sessions == 1 { "" } else { "s" },
            if exchanges == 1 { "" } else { "s" },
            stats.frames,
            kernel.received,
            kernel.dropped
        );
    }
    if write_failed {
        anyhow::bail!("the capture file is incomplete: writing it failed (see above)");
    }
    flushed.context("the capture file is incomplete: its last packets could not be written")?;
    Ok(())
}

#[cfg(unix)]
pub(super) fn list_interfaces() -> anyhow::Result<()> {
    let mut out = io::stdout().lock();
    for interface in crate::capture::live::interfaces()? {
        let state = if interface.up { "up" } else { "down" };
        let kind = if interface.loopback { ", loopback" } else { "" };
        let addresses: Vec<String> = interface.addresses.iter().map(ToString::to_string).collect();
        writeln!(
            out,
            "{:>3}  {:<16} {state}{kind}  {}",
            interface.index,
            interface.name,
            addresses.join(" ")
        )?;
    }
    writeln!(
        out,
        "  -  any              all interfaces (pop3scope sniff -i any)"
    )?;
    Ok(())
}

#[cfg(not(unix))]
pub(super) fn sniff(_: SniffArgs) -> anyhow::Result<()> {
    anyhow::bail!("live capture needs Linux, or another Unix system with the build feature libpcap")
}

#[cfg(not(unix))]
pub(super) fn list_interfaces() -> anyhow::Result<()> {
    anyhow::bail!("listing interfaces needs Linux, or another Unix system with the build feature libpcap")
}
