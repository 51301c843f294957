//! The command line: argument definitions, resolved once into the library's configuration,
//! and a call per command (one file each). Nothing here decodes, prints sessions or serves.
//!
//! Exit codes: 0 success (also when the output pipe closes early, as with `| head`); 1 a usage
//! or input error, with a message that says what and where; 2 an internal failure.

mod classroom;
mod lesson;
mod open;
mod serve;
mod simulate;
mod sniff;

use std::fs::File;
use std::io::{self, IsTerminal, Write};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::capture::CaptureError;
use crate::flow::FlowConfig;
use crate::output::PrintOptions;
use crate::pipeline::{Config, EngineStats};
use crate::session::SessionConfig;
use crate::tls::KeyLog;

#[derive(Parser, Debug)]
#[command(
    name = "pop3scope",
    version = VERSION,
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
        tcpdump -U -i lo -w - port 110 | pop3scope open - decode as it is captured\n  \
        sudo pop3scope sniff -i lo                        watch POP3 live\n  \
        pop3scope serve                                   a POP3 server on 127.0.0.1:1110\n  \
        pop3scope simulate script.pop3 -o out.pcap        a script becomes a capture"
)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// `--version`: the version, and the capture backends and decryption built in.
const VERSION: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    "\ncapture backends: af-packet (built in, Linux)",
    cfg_libpcap!(),
    "\nreads pcap and pcapng, gzip- and zstd-compressed too; decrypts TLS 1.3 and TLS 1.2 (AES-GCM, ChaCha20-Poly1305) with --keylog",
);

#[cfg(feature = "libpcap")]
macro_rules! cfg_libpcap {
    () => {
        ", libpcap (feature libpcap: BPF filter expressions)"
    };
}
#[cfg(not(feature = "libpcap"))]
macro_rules! cfg_libpcap {
    () => {
        "; libpcap not built in (cargo build --features libpcap)"
    };
}
use cfg_libpcap;

#[derive(Subcommand, Debug)]
enum Command {
    /// Read a capture file (.pcap or .pcapng, recognised by content; `-` for stdin) and show the
    /// POP3 sessions in it: an interactive view in a terminal, lines of text otherwise.
    Open(open::OpenArgs),
    /// Capture live on a network interface and show POP3 as it happens (Linux; needs root or
    /// CAP_NET_RAW). Ctrl-C stops and prints a summary.
    Sniff(sniff::SniffArgs),
    /// List the interfaces you can capture on, with their state and addresses.
    Interfaces,
    /// Guided lessons on real captures, step by step with narration and questions. Without
    /// LESSON, lists them.
    Lesson(lesson::LessonArgs),
    /// A lesson the whole class follows from their own browsers (phones or laptops, nothing
    /// to install, no internet needed): each student answers every question on their own
    /// device, you see how many chose what, and reveal, next and back move everyone. Prints
    /// the address, a join code and a QR code.
    Classroom(classroom::ClassroomArgs),
    /// Run a teaching POP3 server that students and mail clients (telnet, curl, Python's
    /// poplib, a desktop mail client) talk to while the class watches with sniff. Loopback only, unless
    /// --allow-remote.
    Serve(serve::ServeArgs),
    /// Turn a script of a POP3 conversation into a capture file with a real TCP handshake,
    /// sequence numbers, segmentation and teardown; lost, duplicated and reordered segments on
    /// request. The script format is in the README (and `pop3scope simulate --help`).
    #[command(after_help = simulate::SCRIPT_HELP)]
    Simulate(simulate::SimulateArgs),
    /// Print the completion script for SHELL (bash, zsh, fish, elvish, powershell), made from
    /// these very options: `pop3scope completions bash > ~/.local/share/bash-completion/completions/pop3scope`.
    Completions {
        /// The shell.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print a manual page (roff), made from these very options: `pop3scope man >
    /// ~/.local/share/man/man1/pop3scope.1`, `pop3scope man open > …/pop3scope-open.1`, then
    /// `man pop3scope`, `man pop3scope-open`.
    Man {
        /// The command whose page to print (open, sniff, lesson…); none: pop3scope's own.
        command: Option<String>,
    },
}

fn parse_filter(text: &str) -> Result<crate::view::filter::Filter, String> {
    crate::view::filter::Filter::parse(text)
}

/// `--time FORMAT`.
#[derive(Clone, Copy, Debug, ValueEnum)]
enum TimeChoice {
    Local,
    Utc,
    Relative,
    Delta,
    Epoch,
}

/// The local zone's offset from UTC at `secs` since the epoch, in seconds (the C library reads
/// TZ and the zone files; 0 when it cannot tell).
fn local_offset(secs: i64) -> i32 {
    #[cfg(unix)]
    {
        let time = secs as libc::time_t;
        // SAFETY: localtime_r writes only into `tm`, a plain struct for which zeroes are valid.
        let mut tm: libc::tm = unsafe { std::mem::zeroed() };
        if unsafe { libc::localtime_r(&time, &mut tm) }.is_null() {
            return 0;
        }
        i32::try_from(tm.tm_gmtoff).unwrap_or(0)
    }
    #[cfg(not(unix))]
    {
        let _ = secs;
        0
    }
}

/// `--color WHEN`.
#[derive(Clone, Copy, Debug, ValueEnum)]
enum ColorChoice {
    Auto,
    Always,
    Never,
}

impl ColorChoice {
    /// The one colour decision: `always`, `never`, or with `auto` colour when the output is a
    /// terminal and NO_COLOR is unset or empty (no-color.org).
    fn resolve(self, output_is_terminal: bool) -> bool {
        match self {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => {
                output_is_terminal && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
            }
        }
    }
}

/// `--bodies`: the data lines of retrieved messages JSON writes.
#[derive(Clone, Copy, Debug, clap::ValueEnum)]
enum BodiesChoice {
    None,
    Headers,
    Full,
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

    /// Find POP3 on any port by what the connection says: a +OK/-ERR greeting from the side
    /// that accepted it, POP3 commands from the side that opened it (as Zeek's dynamic
    /// protocol detection). Other connections are dropped after their first line. With
    /// `sniff`, every TCP packet is captured.
    #[arg(long)]
    detect: bool,

    /// Decrypt TLS (port 995, and after STLS) with the secrets in FILE: the NSS key log a
    /// client writes when SSLKEYLOGFILE is set (Wireshark's tls.keylog_file; `pop3scope serve
    /// --keylog` writes one too). The POP3 inside is decoded as plain text is, and marked
    /// decrypted; a session with no key keeps what its handshake shows. TLS 1.3, and TLS 1.2
    /// with AES-GCM or ChaCha20-Poly1305. `sniff` follows FILE as it grows.
    #[arg(long, value_name = "FILE")]
    keylog: Option<std::path::PathBuf>,

    /// Follow only the connections of shard K of N (1 ≤ K ≤ N), split by a hash of their two
    /// endpoints that every run and machine agree on: N processes, each given its K, report
    /// every connection exactly once between them (GNU parallel, a job array, Spark's pipe).
    #[arg(long, value_name = "K/N", value_parser = parse_shard)]
    shard: Option<(u32, u32)>,
}

/// `K/N` with 1 ≤ K ≤ N, as 0-based `(K - 1, N)`.
fn parse_shard(text: &str) -> Result<(u32, u32), String> {
    let (k, n) = text
        .split_once('/')
        .ok_or_else(|| format!("{text}: give K/N, such as 2/8"))?;
    let (k, n): (u32, u32) = (
        k.trim().parse().map_err(|_| format!("{k}: not a number"))?,
        n.trim().parse().map_err(|_| format!("{n}: not a number"))?,
    );
    if n == 0 || k == 0 || k > n {
        return Err(format!("{text}: K goes from 1 to N"));
    }
    Ok((k - 1, n))
}

impl ConnectionArgs {
    /// The configuration of the analysis, resolved once for the whole run.
    fn config(&self, stop_after_exchanges: Option<u64>, keylog: Option<Arc<KeyLog>>) -> Config {
        Config {
            flow: self.flow_config(),
            session: SessionConfig {
                stop_after_exchanges,
                detect_beyond: self.detect.then(|| self.flow_config().ports),
                keylog,
                ..SessionConfig::default()
            },
        }
    }

    /// The key log `--keylog` names: read whole for a file, followed as it grows for a live
    /// capture (a client writes its secrets as it connects).
    fn keylog(&self, live: bool) -> anyhow::Result<Option<Arc<KeyLog>>> {
        use anyhow::Context as _;
        use std::io::Read as _;
        let Some(path) = &self.keylog else {
            return Ok(None);
        };
        let mut file =
            File::open(path).with_context(|| format!("cannot open the key log {}", path.display()))?;
        let keylog = if live {
            let keylog = KeyLog::following(follow(file));
            // What the file holds already is read now; a lookup that finds nothing reads on.
            keylog.read_appended();
            keylog
        } else {
            let mut text = Vec::new();
            file.read_to_end(&mut text)
                .with_context(|| format!("cannot read the key log {}", path.display()))?;
            KeyLog::complete(&String::from_utf8_lossy(&text))
        };
        if keylog.bad_lines() > 0 {
            eprintln!(
                "pop3scope: note: {} line(s) of {} are not LABEL <client random> <secret>; they are skipped",
                keylog.bad_lines(),
                path.display()
            );
        }
        if !live && keylog.sessions() == 0 {
            eprintln!(
                "pop3scope: note: the key log {} holds no TLS secrets",
                path.display()
            );
        }
        Ok(Some(Arc::new(keylog)))
    }

    fn flow_config(&self) -> FlowConfig {
        let mut config = FlowConfig {
            idle_timeout_secs: self.idle_timeout,
            detect: self.detect,
            shard: self.shard,
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

/// Reads the whole lines a client appended to its key log since the last call (a line still
/// being written waits for its end).
fn follow(mut file: File) -> crate::tls::ReadMore {
    use std::io::Read as _;
    let mut partial: Vec<u8> = Vec::new();
    Box::new(move || {
        let mut chunk = [0; 16 * 1024];
        while let Ok(n @ 1..) = file.read(&mut chunk) {
            partial.extend_from_slice(&chunk[..n]);
        }
        let Some(end) = partial.iter().rposition(|&b| b == b'\n') else {
            // A line longer than any secret is not one: dropped, not kept growing.
            if partial.len() > 4096 {
                partial.clear();
            }
            return String::new();
        };
        let lines = String::from_utf8_lossy(&partial[..=end]).into_owned();
        partial.drain(..=end);
        lines
    })
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

    /// Write every retrieved message (RETR, TOP) into DIR as a .eml file, its attachments
    /// decoded beside it, with manifest.json tying each file to its session, user and hashes.
    /// Nothing is overwritten; names from messages are made safe.
    #[arg(long, value_name = "DIR")]
    extract: Option<std::path::PathBuf>,

    /// Which lines of each retrieved message (RETR, TOP) JSON writes: none, headers (the
    /// header block), full. Each message is described in a `message` object whatever this says.
    #[arg(long, value_enum, value_name = "WHICH", default_value = "headers")]
    bodies: BodiesChoice,

    /// No summary lines on standard error (what was read, what was skipped); errors are still
    /// said.
    #[arg(short, long, conflicts_with = "verbose")]
    quiet: bool,

    /// The summary on standard error with --json too (JSON has it as its last record), and how
    /// long the work took.
    #[arg(short, long)]
    verbose: bool,

    /// Print only the exchanges EXPR lets through, with their sessions: the language of the
    /// interactive view's f. Words must all match (a command, a phase, +ok, -err, notes, a
    /// note's code, text), or compare fields: 'command == RETR and status == -ERR',
    /// 'user == alice or not phase == TRANSACTION', 'client ~ 10.0.0.' (fields: session, user,
    /// client, server, address, command, status, phase, note, text; ==, !=, ~ contains; and,
    /// or, not, parentheses).
    #[arg(long, value_name = "EXPR", value_parser = parse_filter)]
    filter: Option<crate::view::filter::Filter>,

    /// The time column of the text output: local (the default, as tcpdump; the zone is said
    /// where it is not UTC), utc, relative (seconds since the first line), delta (since the
    /// line before), epoch. JSON is always RFC 3339 in UTC.
    #[arg(long, value_enum, value_name = "FORMAT", default_value = "local")]
    time: TimeChoice,

    /// Colour the text output and the interactive view: auto (unless NO_COLOR is set; text
    /// only when stdout is a terminal), always, never.
    #[arg(long, value_enum, value_name = "WHEN", default_value = "auto")]
    color: ColorChoice,
}

impl DisplayArgs {
    /// The interactive view: asked for no stream nor files, and a person is looking at the
    /// terminal.
    fn interactive(&self) -> bool {
        !self.json && !self.text && self.extract.is_none() && io::stdout().is_terminal()
    }

    /// The message extractor `--extract` asks for.
    fn extractor(&self) -> anyhow::Result<Option<crate::output::Extractor>> {
        use anyhow::Context as _;
        self.extract
            .as_deref()
            .map(|dir| {
                crate::output::Extractor::new(dir)
                    .with_context(|| format!("cannot extract messages into {}", dir.display()))
            })
            .transpose()
    }

    fn app(&self, source: String) -> crate::tui::App {
        let mut app = crate::tui::App::new(source);
        app.show_secrets = self.show_secrets;
        app.projector = self.projector;
        app.color = self.color.resolve(true);
        app
    }

    /// How sessions are printed; `streaming` writes each record as soon as it is known.
    fn print_options(&self, streaming: bool) -> PrintOptions {
        PrintOptions {
            show_secrets: self.show_secrets,
            color: self.color.resolve(io::stdout().is_terminal()),
            body_lines: self.body_lines,
            streaming,
            bodies: match self.bodies {
                BodiesChoice::None => crate::output::Bodies::None,
                BodiesChoice::Headers => crate::output::Bodies::Headers,
                BodiesChoice::Full => crate::output::Bodies::Full,
            },
            time: match self.time {
                TimeChoice::Local => crate::output::TimeFormat::Local(local_offset),
                TimeChoice::Utc => crate::output::TimeFormat::Utc,
                TimeChoice::Relative => crate::output::TimeFormat::Relative,
                TimeChoice::Delta => crate::output::TimeFormat::Delta,
                TimeChoice::Epoch => crate::output::TimeFormat::Epoch,
            },
        }
    }
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
        Command::Open(args) => open::open(args),
        Command::Sniff(args) => sniff::sniff(args),
        Command::Interfaces => sniff::list_interfaces(),
        Command::Lesson(args) => lesson::lesson(args),
        Command::Classroom(args) => classroom::classroom(args),
        Command::Serve(args) => serve::serve(args),
        Command::Simulate(args) => simulate::simulate(args),
        // Made in memory, then written: a closed pipe (`| head`) is then no panic.
        Command::Completions { shell } => {
            let mut command = <Cli as clap::CommandFactory>::command();
            let mut script = Vec::new();
            clap_complete::generate(shell, &mut command, "pop3scope", &mut script);
            io::stdout().lock().write_all(&script)?;
            Ok(())
        }
        Command::Man { command: name } => {
            // The page's header carries the version number alone.
            let top = <Cli as clap::CommandFactory>::command().version(env!("CARGO_PKG_VERSION"));
            let command = match &name {
                None => top,
                Some(name) => {
                    let sub = top
                        .find_subcommand(name)
                        .with_context(|| format!("no command {name}: pop3scope --help lists them"))?
                        .clone();
                    sub.name(format!("pop3scope-{name}"))
                        .version(env!("CARGO_PKG_VERSION"))
                }
            };
            let mut page = Vec::new();
            clap_mangen::Man::new(command).render(&mut page)?;
            io::stdout().lock().write_all(&page)?;
            Ok(())
        }
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

#[cfg(test)]
mod tests {
    #[test]
    fn the_command_line_is_well_formed() {
        // clap's own checks of every command: unique names, valid defaults and relations.
        <super::Cli as clap::CommandFactory>::command().debug_assert();
    }
}
