//! The command line: clap definitions, resolved into calls on the library.
//!
//! Exit codes: 0 success (also when the output pipe closes early, as with `| head`); 1 a usage
//! or input error, with a message that says what and where; 2 an internal failure.

use std::fs::{self, File};
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
        UPDATE) and what it means. Passwords are masked unless you ask to see them.\n\n\
        For a classroom it also brings guided lessons on real captures (lesson), a POP3 server to \
        talk to (serve), and a way to make captures from a script (simulate).",
    after_help = "Examples:\n  \
        pop3scope lesson 1                                the first lesson, step by step\n  \
        pop3scope open captures/01-full-session.pcap      browse it (in a terminal; ? for keys)\n  \
        pop3scope open trace.pcap --text | less           commands, replies, phases as lines\n  \
        pop3scope open trace.pcapng --json | jq .         JSON Lines for scripts\n  \
        pop3scope open trace.pcap --flows                 TCP connections, gaps\n  \
        pop3scope open trace.pcap --export-streams dir/   streams to files\n  \
        tcpdump -i lo -w - port 110 | pop3scope open -    decode as it is captured\n  \
        sudo pop3scope sniff -i lo                        watch POP3 live\n  \
        pop3scope serve                                   a POP3 server on 127.0.0.1:1110\n  \
        pop3scope simulate script.pop3 -o out.pcap        a script becomes a capture"
)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Read a capture file (.pcap or .pcapng, recognised by content; `-` for stdin) and show the
    /// POP3 sessions in it: an interactive view in a terminal, lines of text otherwise.
    Open(OpenArgs),
    /// Capture live on a network interface and show POP3 as it happens (Linux; needs root or
    /// CAP_NET_RAW). Ctrl-C stops and prints a summary.
    Sniff(SniffArgs),
    /// List the interfaces you can capture on, with their state and addresses.
    Interfaces,
    /// Guided lessons on real captures, step by step with narration and questions. Without
    /// LESSON, lists them.
    Lesson(LessonArgs),
    /// Run a teaching POP3 server that students and mail clients (telnet, curl, Python's
    /// poplib, a desktop mail client) talk to while the class watches with sniff. Loopback only, unless
    /// --allow-remote.
    Serve(ServeArgs),
    /// Turn a script of a POP3 conversation into a capture file with a real TCP handshake,
    /// sequence numbers, segmentation and teardown; lost, duplicated and reordered segments on
    /// request. The script format is in the README (and `pop3scope simulate --help`).
    #[command(after_help = SCRIPT_HELP)]
    Simulate(SimulateArgs),
}

const SCRIPT_HELP: &str = "Script lines:\n  \
    S: +OK ready           a server line (CRLF added)      C: USER alice   a client line\n  \
    S! bytes\\r\\n         bytes as written (\\r \\n \\t \\\\ \\xNN)\n  \
    client ADDR:PORT       server ADDR:PORT                link ethernet|sll|sll2|null|loop|raw\n  \
    mss N                  mid-session                     end fin|rst|open\n  \
    wait SECS              @drop N   @duplicate N   @reorder   (the next turn's segments)\n  \
    --                     ends a turn                     next-session   a new connection\n  \
    C! bytes               client bytes as written         # a comment\n\n\
Example:\n  \
    printf 'C: USER alice\\nC: PASS wonderland\\nC: STAT\\nC: QUIT\\n' | pop3scope simulate --from-session - -o demo.pcap";

#[derive(Args, Debug)]
struct SimulateArgs {
    /// The script; `-` reads standard input.
    script: PathBuf,

    /// The capture file to write (pcap).
    #[arg(short, long, value_name = "FILE")]
    output: PathBuf,

    /// The script holds only the client's lines: pop3scope's teaching server (its built-in demo
    /// mailboxes) answers them.
    #[arg(long)]
    from_session: bool,
}

#[derive(Args, Debug)]
struct ServeArgs {
    /// Where to listen. Port 110 needs root; the default needs nothing.
    #[arg(long, value_name = "ADDR:PORT", default_value = "127.0.0.1:1110")]
    listen: std::net::SocketAddr,

    /// Serve the mailboxes in DIR: one subdirectory per user, one .eml file per message
    /// (deleted for good at QUIT). Passwords come from --users, else DIR/users.
    #[arg(long, value_name = "DIR", conflicts_with = "demo")]
    mailbox: Option<PathBuf>,

    /// Serve the built-in demo mailboxes (the default): alice/wonderland (4 messages),
    /// bob/builder (2, one large), empty@example.test/nothing. Deletions last until it stops.
    #[arg(long)]
    demo: bool,

    /// The users file for --mailbox: `user:password` per line.
    #[arg(long, value_name = "FILE", requires = "mailbox")]
    users: Option<PathBuf>,

    /// Behave like a real server in one way (repeatable): auth-delay, login-delay, sys-temp,
    /// drop-bad, no-dot-stuffing, bare-lf, no-timestamp.
    #[arg(long = "quirk", value_name = "QUIRK")]
    quirks: Vec<String>,

    /// Listen on an address other than loopback. Students' passwords would cross the network.
    #[arg(long)]
    allow_remote: bool,

    /// Do not offer STLS.
    #[arg(long)]
    no_tls: bool,

    /// Close a connection after SECS seconds without a command (RFC 1939 asks for at least 600).
    #[arg(long, value_name = "SECS", default_value_t = 600, value_parser = clap::value_parser!(u64).range(1..))]
    idle_timeout: u64,

    /// Clients served at once.
    #[arg(long, value_name = "N", default_value_t = 256)]
    max_clients: usize,
}

#[derive(Args, Debug)]
struct LessonArgs {
    /// The lesson: its number (`pop3scope lesson` lists them), its name, or the path of a lesson
    /// file (.toml). With
    /// --check, any number of lesson files (none: every built-in lesson).
    lesson: Vec<String>,

    /// Print the lesson as numbered text, the answers at the end (the default when standard
    /// output is not a terminal): a handout, or for a screen reader.
    #[arg(long)]
    plain: bool,

    /// Write the lesson as a handout in FORMAT (md: Markdown, with the ladder diagram).
    #[arg(long, value_name = "FORMAT", value_parser = ["md"])]
    export: Option<String>,

    /// Where --export writes (default: standard output).
    #[arg(short, long, value_name = "FILE", requires = "export")]
    output: Option<PathBuf>,

    /// The language of the lesson: en or zh. Default: from LC_ALL, LC_MESSAGES or LANG.
    #[arg(long, value_name = "LANG")]
    lang: Option<String>,

    /// Check lesson files instead: the format, that every step names exactly one moment of its
    /// capture, that every question has one right answer. Errors name the file and the step.
    #[arg(long)]
    check: bool,

    /// Start in projector mode: high contrast, bold, spaced rows (P switches it).
    #[arg(long)]
    projector: bool,

    /// Colour: auto (unless NO_COLOR is set), always, never.
    #[arg(long, value_enum, value_name = "WHEN", default_value = "auto")]
    color: ColorChoice,
}

#[derive(Args, Debug)]
struct SniffArgs {
    /// The interface to capture on; `any` for all of them. Default: the first interface that is
    /// up and not loopback, as tcpdump chooses.
    #[arg(short, long, value_name = "IFACE")]
    interface: Option<String>,

    /// Also write the captured packets to FILE (pcap, readable by `open`, Wireshark, tcpdump).
    #[arg(short = 'w', value_name = "FILE")]
    write: Option<PathBuf>,

    /// Stop after COUNT exchanges.
    #[arg(short = 'c', value_name = "COUNT")]
    count: Option<u64>,

    #[command(flatten)]
    connections: ConnectionArgs,

    #[command(flatten)]
    display: DisplayArgs,

    /// A BPF filter expression such as 'host 10.0.0.5', on top of the port filter (needs the
    /// libpcap backend: the build feature `libpcap`).
    #[arg(value_name = "FILTER")]
    filter: Vec<String>,

    /// How to capture: af-packet (built in, Linux) or libpcap (build feature `libpcap`; the
    /// default when built with it).
    #[arg(long, value_enum, value_name = "BACKEND")]
    backend: Option<Backend>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum Backend {
    AfPacket,
    Libpcap,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum ColorChoice {
    Auto,
    Always,
    Never,
}

/// Which connections are followed, and for how long: `open` and `sniff` alike.
#[derive(Args, Debug)]
struct ConnectionArgs {
    /// Also follow connections on PORT (repeatable). 110 and 995 are always followed.
    #[arg(short, long = "port", value_name = "PORT", value_parser = clap::value_parser!(u16).range(1..))]
    ports: Vec<u16>,

    /// Close a connection after SECS seconds (capture time) without a packet.
    #[arg(long, value_name = "SECS", default_value_t = 600)]
    idle_timeout: u32,
}

impl ConnectionArgs {
    fn flow_config(&self) -> FlowConfig {
        let mut config = FlowConfig {
            idle_timeout_secs: self.idle_timeout,
            ..FlowConfig::default()
        };
        for port in &self.ports {
            if !config.ports.contains(port) {
                config.ports.push(*port);
            }
        }
        config
    }
}

/// How sessions are shown: `open` and `sniff` alike.
#[derive(Args, Debug)]
struct DisplayArgs {
    /// Write JSON Lines (one object per line; the format is in the README) instead of the
    /// interactive view.
    #[arg(long, conflicts_with = "text")]
    json: bool,

    /// Write human-readable text, a line per greeting, command and reply, instead of the
    /// interactive view (the default when standard output is not a terminal).
    #[arg(long)]
    text: bool,

    /// Start the interactive view in projector mode: high contrast, bold, spaced rows, fewer
    /// columns (P switches it). Enlarge the terminal's font for the back row.
    #[arg(long, conflicts_with_all = ["json", "text"])]
    projector: bool,

    /// Show passwords, SASL responses and tokens instead of masking them as ********.
    #[arg(long)]
    show_secrets: bool,

    /// Data lines of each multi-line reply to show in text output.
    #[arg(long, value_name = "N", default_value_t = 8)]
    body_lines: usize,

    /// Colour the text output and the interactive view: auto (unless NO_COLOR is set; text
    /// only when stdout is a terminal), always, never.
    #[arg(long, value_enum, value_name = "WHEN", default_value = "auto")]
    color: ColorChoice,
}

impl DisplayArgs {
    /// The interactive view: asked for no stream, and a person is looking at the terminal.
    fn interactive(&self) -> bool {
        !self.json && !self.text && io::stdout().is_terminal()
    }

    fn app(&self, source: String) -> crate::tui::App {
        let mut app = crate::tui::App::new(source);
        app.show_secrets = self.show_secrets;
        app.projector = self.projector;
        app.color = match self.color {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()),
        };
        app
    }

    fn print_options(&self) -> PrintOptions {
        PrintOptions {
            show_secrets: self.show_secrets,
            color: color_wanted(self.color),
            body_lines: self.body_lines,
        }
    }
}

#[derive(Args, Debug)]
struct OpenArgs {
    /// The capture file; `-` reads standard input.
    file: PathBuf,

    /// List the TCP connections instead: addresses, times, bytes each way, gaps,
    /// retransmissions, how each ended.
    #[arg(long)]
    flows: bool,

    /// Write each connection's two reassembled byte streams into DIR, one file per direction
    /// (like tcpflow). Missing stretches are holes of zero bytes, listed as gaps.
    #[arg(long, value_name = "DIR")]
    export_streams: Option<PathBuf>,

    #[command(flatten)]
    connections: ConnectionArgs,

    #[command(flatten)]
    display: DisplayArgs,
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
        Command::Sniff(args) => sniff(args),
        Command::Interfaces => list_interfaces(),
        Command::Lesson(args) => lesson(args),
        Command::Serve(args) => serve(args),
        Command::Simulate(args) => simulate(args),
    }
}

fn simulate(args: SimulateArgs) -> anyhow::Result<()> {
    let name = args.script.display().to_string();
    let text = if args.script == Path::new("-") {
        let mut text = String::new();
        io::stdin()
            .read_to_string(&mut text)
            .context("cannot read the script")?;
        text
    } else {
        fs::read_to_string(&args.script).with_context(|| format!("cannot read {name}"))?
    };
    let script = crate::simulate::Script::parse(&text, args.from_session).with_context(|| name.clone())?;
    let capture = script.capture().with_context(|| name.clone())?;
    fs::write(&args.output, capture).with_context(|| format!("cannot write {}", args.output.display()))?;
    Ok(())
}

fn serve(args: ServeArgs) -> anyhow::Result<()> {
    use crate::server::net::{ServeOptions, Server, self_signed_tls};
    use crate::server::store::{DemoStore, DirStore, Store, read_users};
    use crate::server::{Quirks, ServerConfig};
    if !args.listen.ip().is_loopback() && !args.allow_remote {
        anyhow::bail!(
            "refusing to listen on {}: students would send their passwords over the network in clear text; \
             use a loopback address, or add --allow-remote if that is what you want",
            args.listen
        );
    }
    let mut quirks = Quirks::default();
    for name in &args.quirks {
        quirks.enable(name).map_err(anyhow::Error::msg)?;
    }
    let (store, who, try_user): (Arc<dyn Store>, String, String) = match &args.mailbox {
        Some(dir) => {
            if !dir.is_dir() {
                anyhow::bail!(
                    "{} is not a directory: --mailbox wants DIR/USER/*.eml",
                    dir.display()
                );
            }
            let users_file = args.users.clone().unwrap_or_else(|| dir.join("users"));
            let text = fs::read_to_string(&users_file).with_context(|| {
                format!(
                    "cannot read the users file {} (user:password per line)",
                    users_file.display()
                )
            })?;
            let users = read_users(&text).map_err(|e| anyhow::anyhow!("{}: {e}", users_file.display()))?;
            let mut names: Vec<&String> = users.keys().collect();
            names.sort();
            let who = format!(
                "mailboxes in {} for {}",
                dir.display(),
                names.iter().map(|n| n.as_str()).collect::<Vec<_>>().join(", ")
            );
            let try_user = names
                .first()
                .map_or("USER:PASSWORD".to_string(), |n| format!("{n}:PASSWORD"));
            (Arc::new(DirStore::new(dir, users)), who, try_user)
        }
        None => (
            Arc::new(DemoStore::default()),
            "demo mailboxes: alice/wonderland, bob/builder, empty@example.test/nothing".to_string(),
            "alice:wonderland".to_string(),
        ),
    };
    let tls = if args.no_tls {
        None
    } else {
        Some(self_signed_tls().map_err(anyhow::Error::msg)?)
    };
    let config = ServerConfig {
        quirks,
        tls_available: tls.is_some(),
        hostname: "pop3scope.test".to_string(),
    };
    let listener = std::net::TcpListener::bind(args.listen)
        .with_context(|| format!("cannot listen on {}", args.listen))?;
    let address = listener.local_addr()?;
    let options = ServeOptions {
        idle_timeout: std::time::Duration::from_secs(args.idle_timeout.max(1)),
        max_clients: args.max_clients.max(1),
    };
    let quirks = if args.quirks.is_empty() {
        String::new()
    } else {
        format!("; quirks: {}", args.quirks.join(", "))
    };
    // What to type on this machine: a wildcard address is reached through loopback.
    let local = if address.ip().is_unspecified() {
        std::net::SocketAddr::new(std::net::Ipv4Addr::LOCALHOST.into(), address.port())
    } else {
        address
    };
    let interface = if local.ip().is_loopback() { "lo" } else { "IFACE" };
    let tls_note = if tls.is_some() {
        "; STLS with a self-signed certificate"
    } else {
        ""
    };
    eprintln!(
        "pop3scope serve: listening on {address} ({who}){tls_note}{quirks}; Ctrl-C stops\n  try:   curl -u {try_user} pop3://{local}/\n  watch: sudo pop3scope sniff -i {interface} --port {}",
        address.port()
    );
    let server = Arc::new(Server::new(store, config, tls, options));
    static NEVER: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);
    server.run(listener, &NEVER)?;
    Ok(())
}

fn lesson(args: LessonArgs) -> anyhow::Result<()> {
    use crate::lesson::{self, BUNDLED, Lang, Replay, Source};
    let lang = match &args.lang {
        Some(text) => Lang::parse(text)
            .with_context(|| format!("--lang {text}: the lessons are in en (English) and zh (Chinese)"))?,
        None => Lang::from_env(),
    };
    if args.check {
        let sources: Vec<Source> = if args.lesson.is_empty() {
            (0..BUNDLED.len()).map(Source::Bundled).collect()
        } else {
            args.lesson
                .iter()
                .map(|name| Source::find(name))
                .collect::<Result<_, _>>()
                .map_err(anyhow::Error::msg)?
        };
        let mut out = io::stdout().lock();
        let mut failed = 0;
        for source in &sources {
            let problems = lesson::check(source);
            if problems.is_empty() {
                writeln!(out, "ok    {}", source.name())?;
                if let Ok((lesson, _)) = lesson::load(source) {
                    for warning in lesson.file.answers_given_away() {
                        eprintln!("pop3scope: warning: {}: {warning}", source.name());
                    }
                }
            } else {
                failed += 1;
                for problem in problems {
                    eprintln!("pop3scope: {problem}");
                }
            }
        }
        if failed > 0 {
            anyhow::bail!("{failed} of {} lesson files have problems", sources.len());
        }
        return Ok(());
    }
    let [name] = args.lesson.as_slice() else {
        if args.lesson.len() > 1 {
            anyhow::bail!("one lesson at a time (--check takes several)");
        }
        let mut out = io::stdout().lock();
        for (i, (_, text)) in BUNDLED.iter().enumerate() {
            let file = lesson::LessonFile::parse(text).map_err(anyhow::Error::msg)?;
            writeln!(out, "{:>3}  {}", i + 1, file.title.get(lang))?;
        }
        let hint = match lang {
            Lang::En => "pop3scope lesson N opens lesson N; --plain prints it; --lang zh for Chinese",
            Lang::Zh => "pop3scope lesson N 打开第 N 课；--plain 输出纯文本；--lang en 切换为英文",
        };
        writeln!(out, "\n{hint}")?;
        return Ok(());
    };
    let source = Source::find(name).map_err(anyhow::Error::msg)?;
    let (lesson, timeline) =
        lesson::load(&source).map_err(|problems| anyhow::Error::msg(problems.join("\n")))?;
    let number = match source {
        Source::Bundled(index) => Some(index + 1),
        Source::Path(_) => None,
    };
    if args.export.is_some() {
        let mut out: Box<dyn Write> = match &args.output {
            Some(path) => Box::new(io::BufWriter::new(
                File::create(path).with_context(|| format!("cannot create {}", path.display()))?,
            )),
            None => Box::new(io::BufWriter::new(io::stdout().lock())),
        };
        lesson::plain::markdown(&mut out, &lesson, &timeline, number, lang)?;
        out.flush()?;
        return Ok(());
    }
    if args.plain || !io::stdout().is_terminal() {
        let mut out = io::BufWriter::new(io::stdout().lock());
        lesson::plain::plain(&mut out, &lesson, &timeline, number, lang)?;
        out.flush()?;
        return Ok(());
    }
    let mut app = crate::tui::App::new(source.name());
    app.projector = args.projector;
    app.color = match args.color {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()),
    };
    app.timeline = timeline;
    app.start_lesson(Replay::new(lesson), lang, number);
    // Everything is read already: the feed is closed from the start.
    let (_, records) = std::sync::mpsc::channel();
    crate::tui::run(app, records).context("the terminal")?;
    Ok(())
}

fn color_wanted(choice: ColorChoice) -> bool {
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
        }
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
        (Box::new(crate::capture::ReadAhead::new(io::stdin())), None)
    } else {
        let file = File::open(&args.file).with_context(|| format!("cannot open {name}"))?;
        let size = file.metadata().ok().map(|m| m.len());
        (Box::new(crate::capture::ReadAhead::new(file)), size)
    };
    let read = Arc::new(AtomicU64::new(0));
    let mut reader = CaptureReader::new(Counting {
        inner: input,
        read: read.clone(),
    })
    .with_context(|| name.clone())?;

    let config = args.connections.flow_config();
    if args.display.interactive() && !args.flows && args.export_streams.is_none() {
        let source = if args.file == Path::new("-") {
            "standard input".to_string()
        } else {
            name
        };
        return open_interactive(reader, args.display.app(source), config, size, read);
    }
    let format = if args.display.json {
        Format::Json
    } else {
        Format::Text
    };
    let options = args.display.print_options();
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
    // From a pipe (`tcpdump -w - | pop3scope open -`) each line is written as soon as it is
    // known; from a file, output goes out in large blocks.
    let from_pipe = args.file == Path::new("-");
    let stdout = || -> Box<dyn Write> {
        if from_pipe {
            Box::new(io::LineWriter::new(raw_stdout()))
        } else {
            Box::new(io::BufWriter::with_capacity(256 * 1024, raw_stdout()))
        }
    };
    let progress = progress_bar(size);
    // Reads the whole capture into `sink`, with the progress bar, and ends the open connections.
    let mut drive = |sink: &mut dyn StreamSink| {
        crate::engine::read_capture(&mut reader, config.clone(), sink, || {
            if let Some(bar) = &progress {
                bar.set_position(read.load(Ordering::Relaxed));
            }
        })
    };

    let (stats, read_result) = if args.flows {
        let mut sink = Tee(FlowPrinter::new(stdout(), format), exporter);
        let (stats, result) = drive(&mut sink);
        let Tee(printer, exporter) = sink;
        printer.finish(&stats)?;
        finish_export(exporter)?;
        (stats, result)
    } else if format == Format::Json {
        let printer = JsonPrinter::new(raw_stdout(), options);
        let printer = if from_pipe { printer.streaming() } else { printer };
        let mut sink = Tee(Sessions::new(SessionConfig::default(), printer), exporter);
        let (stats, result) = drive(&mut sink);
        let Tee(sessions, exporter) = sink;
        sessions.into_sink().finish(&stats)?;
        finish_export(exporter)?;
        (stats, result)
    } else {
        let printer = TextPrinter::new(stdout(), options);
        let mut sink = Tee(Sessions::new(SessionConfig::default(), printer), exporter);
        let (stats, result) = drive(&mut sink);
        let Tee(sessions, exporter) = sink;
        sessions.into_sink().finish()?;
        finish_export(exporter)?;
        (stats, result)
    };
    if let Some(bar) = progress {
        bar.finish_and_clear();
    }
    if format == Format::Text {
        write_summary_text(&mut io::stderr().lock(), &stats)?;
    }
    report_read_result(&name, read_result, &stats)
}

/// Reads the capture on a second thread while the terminal UI shows what is read so far: the
/// first screen comes at once, whatever the size of the file.
fn open_interactive(
    mut reader: CaptureReader,
    app: crate::tui::App,
    config: FlowConfig,
    size: Option<u64>,
    read: Arc<AtomicU64>,
) -> anyhow::Result<()> {
    use crate::timeline::Recorder;
    use crate::tui::Feed;
    let (feed, records) = std::sync::mpsc::sync_channel(256);
    let name = app.source.clone();
    let loader = std::thread::spawn(move || {
        let recorder = Recorder::new(|record| feed.send(Feed::Record(record)).is_ok());
        let mut sessions = Sessions::new(SessionConfig::default(), recorder);
        let _ = feed.send(Feed::Status("reading".to_string()));
        let (stats, result) = crate::engine::read_capture(&mut reader, config, &mut sessions, || {
            let status = match size {
                Some(size) if size > 0 => {
                    format!(
                        "reading {}%",
                        read.load(Ordering::Relaxed).saturating_mul(100) / size
                    )
                }
                _ => format!("reading: {} MB", read.load(Ordering::Relaxed) >> 20),
            };
            let _ = feed.send(Feed::Status(status));
        });
        let _ = feed.send(Feed::Status(String::new()));
        if let Err(error) = &result {
            let warning = format!("{error}; the {} frames before it are shown", stats.frames);
            let _ = feed.send(Feed::Warning(warning));
        }
        (stats, result)
    });
    crate::tui::run(app, records).context("the terminal")?;
    // The UI is gone: the reader stops at its next frame, its channel closed.
    match loader.join() {
        Ok((stats, result)) => report_read_result(&name, result, &stats),
        Err(panic) => std::panic::resume_unwind(panic),
    }
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

#[cfg(any(target_os = "linux", all(unix, feature = "libpcap")))]
mod live_cli {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::time::Duration;

    use super::*;
    use crate::capture::{LinkType, PcapWriter};
    use crate::live;
    #[cfg(target_os = "linux")]
    use crate::live::LiveCapture;
    use crate::session::{SessionEvent, SessionSink};
    use crate::timeline::Recorder;
    use crate::tui::Feed;

    static STOP: AtomicBool = AtomicBool::new(false);

    extern "C" fn on_stop_signal(_: libc::c_int) {
        STOP.store(true, Ordering::SeqCst);
    }

    /// Ctrl-C and SIGTERM stop the capture cleanly instead of killing the process.
    fn catch_stop_signals() {
        let handler = on_stop_signal as extern "C" fn(libc::c_int) as libc::sighandler_t;
        // SAFETY: the handler only stores to an atomic, which is async-signal-safe.
        unsafe {
            libc::signal(libc::SIGINT, handler);
            libc::signal(libc::SIGTERM, handler);
        }
    }

    /// Passes events on and stops after a number of exchanges (`-c`).
    struct Counted<S> {
        inner: S,
        remaining: Option<u64>,
        exchanges: u64,
        sessions: u64,
    }

    impl<S: SessionSink> SessionSink for Counted<S> {
        fn event(&mut self, event: SessionEvent<'_>) {
            match event {
                SessionEvent::Exchange { .. } => {
                    self.exchanges += 1;
                    self.remaining = self.remaining.map(|n| n.saturating_sub(1));
                }
                SessionEvent::Started(_) => self.sessions += 1,
                _ => {}
            }
            self.inner.event(event);
        }
        fn stopped(&self) -> bool {
            self.inner.stopped() || self.remaining == Some(0)
        }
    }

    pub fn sniff(args: SniffArgs) -> anyhow::Result<()> {
        let backend = args.backend.unwrap_or(if cfg!(feature = "libpcap") {
            Backend::Libpcap
        } else {
            Backend::AfPacket
        });
        if !args.filter.is_empty() && backend != Backend::Libpcap {
            anyhow::bail!(
                "a filter expression ('{}') needs the libpcap backend: build with `cargo install pop3scope \
                 --features libpcap` (and libpcap-dev installed); this build filters by port: use --port",
                args.filter.join(" ")
            );
        }
        let interface = match args.interface {
            Some(name) => name,
            None => live::default_interface()?.context(
                "no interface is up apart from loopback: name one with -i (see `pop3scope interfaces`), or use -i lo or -i any",
            )?,
        };
        let config = args.connections.flow_config();
        let mut capture = match backend {
            #[cfg(target_os = "linux")]
            Backend::AfPacket => Source::Packet(LiveCapture::open(&interface, &config.ports)?),
            #[cfg(not(target_os = "linux"))]
            Backend::AfPacket => anyhow::bail!("the af-packet backend is Linux only: use --backend libpcap"),
            #[cfg(feature = "libpcap")]
            Backend::Libpcap => {
                let expression = (!args.filter.is_empty()).then(|| args.filter.join(" "));
                Source::Pcap(crate::live_pcap::PcapCapture::open(
                    &interface,
                    &config.ports,
                    expression.as_deref(),
                )?)
            }
            #[cfg(not(feature = "libpcap"))]
            Backend::Libpcap => {
                anyhow::bail!("this build has no libpcap backend: build with --features libpcap")
            }
        };
        let mut writer = match &args.write {
            Some(path) => {
                let file = File::create(path).with_context(|| format!("cannot create {}", path.display()))?;
                Some(PcapWriter::new(io::BufWriter::new(file), capture.link_type())?)
            }
            None => None,
        };
        // The socket and the output file are open: root is no longer needed.
        live::drop_privileges().context("cannot drop root privileges")?;
        catch_stop_signals();
        let ports: Vec<String> = config.ports.iter().map(u16::to_string).collect();
        eprintln!(
            "pop3scope: capturing on {interface}, TCP ports {}; Ctrl-C to stop",
            ports.join(", ")
        );

        let options = args.display.print_options();
        let mut engine = Engine::new(config);
        fn counted<S>(inner: S, remaining: Option<u64>) -> Counted<S> {
            Counted {
                inner,
                remaining,
                exchanges: 0,
                sessions: 0,
            }
        }
        let (stats, exchanges, sessions) = if args.display.interactive() {
            // The UI runs beside the capture: Ctrl-C is a key there, and quitting stops the
            // capture. Records queue without bound so that a slow screen never stalls capture.
            let (feed, records) = std::sync::mpsc::channel();
            let mut app = args.display.app(format!("live on {interface}"));
            app.follow = true;
            app.status = "● capturing".to_string();
            let ui = std::thread::spawn(move || {
                let result = crate::tui::run(app, records);
                STOP.store(true, Ordering::SeqCst);
                result
            });
            let status = feed.clone();
            let recorder = Recorder::new(move |record| feed.send(Feed::Record(record)).is_ok());
            let mut sink = Sessions::new(SessionConfig::default(), counted(recorder, args.count));
            let stopped = capture_loop(&mut capture, &mut writer, &mut engine, &mut sink)?;
            let stats = engine.finish(&mut sink);
            let counted = sink.into_sink();
            let end = stopped.unwrap_or_else(|| "capture stopped".to_string());
            let _ = status.send(Feed::Status(format!("{end}; q quits")));
            drop((status, counted.inner));
            match ui.join() {
                Ok(result) => result.context("the terminal")?,
                Err(panic) => std::panic::resume_unwind(panic),
            };
            (stats, counted.exchanges, counted.sessions)
        } else if args.display.json {
            let printer = JsonPrinter::new(raw_stdout(), options).streaming();
            let mut sink = Sessions::new(SessionConfig::default(), counted(printer, args.count));
            report_stop(capture_loop(&mut capture, &mut writer, &mut engine, &mut sink)?);
            let stats = engine.finish(&mut sink);
            let counted = sink.into_sink();
            let (exchanges, sessions) = (counted.exchanges, counted.sessions);
            counted.inner.finish(&stats)?;
            (stats, exchanges, sessions)
        } else {
            let printer = TextPrinter::new(io::LineWriter::new(raw_stdout()), options);
            let mut sink = Sessions::new(SessionConfig::default(), counted(printer, args.count));
            report_stop(capture_loop(&mut capture, &mut writer, &mut engine, &mut sink)?);
            let stats = engine.finish(&mut sink);
            let counted = sink.into_sink();
            let (exchanges, sessions) = (counted.exchanges, counted.sessions);
            counted.inner.finish()?;
            (stats, exchanges, sessions)
        };
        if let Some(writer) = writer.as_mut() {
            writer.flush().context("cannot write the capture file")?;
        }
        let kernel = capture.kernel_stats();
        eprintln!(
            "pop3scope: {sessions} session{}, {exchanges} exchange{}; {} packets decoded; the kernel passed {} through the filter (loopback counts each twice) and dropped {}",
            if sessions == 1 { "" } else { "s" },
            if exchanges == 1 { "" } else { "s" },
            stats.frames,
            kernel.received,
            kernel.dropped
        );
        Ok(())
    }

    /// The capture backend chosen.
    enum Source {
        #[cfg(target_os = "linux")]
        Packet(LiveCapture),
        #[cfg(feature = "libpcap")]
        Pcap(crate::live_pcap::PcapCapture),
    }

    impl Source {
        fn next(&mut self, timeout: Duration) -> io::Result<Option<crate::capture::Frame<'_>>> {
            match self {
                #[cfg(target_os = "linux")]
                Source::Packet(capture) => capture.next(timeout),
                #[cfg(feature = "libpcap")]
                Source::Pcap(capture) => capture.next(timeout),
            }
        }
        fn kernel_stats(&mut self) -> live::KernelStats {
            match self {
                #[cfg(target_os = "linux")]
                Source::Packet(capture) => capture.kernel_stats(),
                #[cfg(feature = "libpcap")]
                Source::Pcap(capture) => capture.kernel_stats(),
            }
        }
        fn link_type(&self) -> LinkType {
            match self {
                #[cfg(target_os = "linux")]
                Source::Packet(_) => LinkType::LINUX_SLL2,
                #[cfg(feature = "libpcap")]
                Source::Pcap(capture) => capture.link_type(),
            }
        }
    }

    /// Captures until Ctrl-C, the sink has enough, or the source fails; a failure is returned
    /// as the reason the capture stopped early.
    fn capture_loop<S: StreamSink>(
        capture: &mut Source,
        writer: &mut Option<PcapWriter<io::BufWriter<File>>>,
        engine: &mut Engine,
        sink: &mut S,
    ) -> anyhow::Result<Option<String>> {
        while !STOP.load(Ordering::SeqCst) {
            match capture.next(Duration::from_millis(200)) {
                Ok(Some(frame)) => {
                    if let Some(writer) = writer.as_mut() {
                        writer.write(&frame).context("cannot write the capture file")?;
                    }
                    engine.frame(&frame, sink);
                    if sink.stopped() {
                        break;
                    }
                }
                Ok(None) => {}
                Err(error) => {
                    return Ok(Some(format!(
                        "capture stopped: {error}; what was captured is kept"
                    )));
                }
            }
        }
        Ok(None)
    }

    fn report_stop(reason: Option<String>) {
        if let Some(reason) = reason {
            eprintln!("pop3scope: {reason}");
        }
    }

    pub fn list_interfaces() -> anyhow::Result<()> {
        let mut out = io::stdout().lock();
        for interface in live::interfaces()? {
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
}

#[cfg(any(target_os = "linux", all(unix, feature = "libpcap")))]
use live_cli::{list_interfaces, sniff};

#[cfg(not(any(target_os = "linux", all(unix, feature = "libpcap"))))]
fn sniff(_: SniffArgs) -> anyhow::Result<()> {
    anyhow::bail!("live capture needs Linux, or another Unix system with the build feature libpcap")
}

#[cfg(not(any(target_os = "linux", all(unix, feature = "libpcap"))))]
fn list_interfaces() -> anyhow::Result<()> {
    anyhow::bail!("listing interfaces needs Linux, or another Unix system with the build feature libpcap")
}
