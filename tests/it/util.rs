//! Helpers shared by the integration tests.

use std::collections::HashMap;
use std::io::Cursor;
use std::path::{Path, PathBuf};

use pop3scope::base::Direction;
use pop3scope::capture::CaptureReader;
use pop3scope::flow::{FlowConfig, FlowId, FlowSummary, GapCause, StreamEvent, StreamSink};
use pop3scope::pipeline::{Engine, EngineStats};

/// Public captures of other protocols on other ports (SOURCES.md, "Non-POP3").
pub const NOT_POP3: &[&str] = &[
    "zeek/redis-50-pings.pcap",
    "zeek/smtp.pcap",
    "zeek/imap-starttls.pcap",
    "ndpi/imap.pcap",
    "ndpi/smtp.pcap",
];

/// The repository's own captures.
pub fn captures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("captures")
}

/// The public corpus in ../shared, or `None` (with the reason printed) when it is not there.
pub fn corpus_dir() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus/public");
    if dir.is_dir() {
        Some(dir)
    } else {
        eprintln!(
            "skipped: {} is absent (CI has it; clone the shared folder next to the repo)",
            dir.display()
        );
        None
    }
}

/// The binary, its local time UTC: the text output's time column is the same on every machine.
pub fn bin() -> assert_cmd::Command {
    let mut command = assert_cmd::Command::cargo_bin("pop3scope").expect("the binary is built");
    command.env("TZ", "UTC");
    command
}

/// Every byte of one direction of a connection: `Some(byte)`, or `None` inside a gap.
pub type Stream = Vec<Option<u8>>;

/// Collects what the flow table delivers.
#[derive(Default)]
pub struct Collected {
    pub streams: HashMap<(FlowId, Direction), Stream>,
    pub gaps: Vec<(FlowId, Direction, u64, u64, GapCause)>,
    pub summaries: Vec<FlowSummary>,
}

impl StreamSink for Collected {
    fn event(&mut self, event: StreamEvent<'_>) {
        match event {
            StreamEvent::Opened { flow, .. } => {
                self.streams.entry((flow, Direction::ClientToServer)).or_default();
                self.streams.entry((flow, Direction::ServerToClient)).or_default();
            }
            StreamEvent::Data {
                flow,
                dir,
                offset,
                bytes,
                ..
            } => {
                let stream = self.streams.entry((flow, dir)).or_default();
                assert_eq!(stream.len() as u64, offset, "data follows on");
                stream.extend(bytes.iter().map(|&b| Some(b)));
            }
            StreamEvent::Gap {
                flow,
                dir,
                offset,
                len,
                cause,
                ..
            } => {
                let stream = self.streams.entry((flow, dir)).or_default();
                assert_eq!(stream.len() as u64, offset, "a gap follows on");
                stream.extend(std::iter::repeat_n(None, len as usize));
                self.gaps.push((flow, dir, offset, len, cause));
            }
            StreamEvent::Closed { summary, .. } => self.summaries.push(summary.clone()),
            _ => {}
        }
    }
}

impl Collected {
    pub fn stream(&self, flow: FlowId, dir: Direction) -> &Stream {
        &self.streams[&(flow, dir)]
    }
}

pub fn known(bytes: &[u8]) -> Stream {
    bytes.iter().map(|&b| Some(b)).collect()
}

/// Runs a capture held in memory through the whole pipeline.
pub fn run_pipeline(capture: Vec<u8>) -> (Collected, EngineStats) {
    let mut reader = CaptureReader::new(Cursor::new(capture)).expect("a capture");
    let mut engine = Engine::new(FlowConfig::default());
    let mut sink = Collected::default();
    reader
        .for_each_frame(|frame| {
            engine.frame(&frame, &mut sink);
            true
        })
        .expect("the capture reads to the end");
    let stats = engine.finish(&mut sink);
    (sink, stats)
}

/// The real binary in a real terminal: tmux runs it, types keys and reads the screen.
pub struct Tmux {
    socket: String,
}

impl Tmux {
    /// Starts `command` in a detached tmux of 100×30; `None` (with the reason printed) when
    /// tmux is not installed.
    pub fn start(name: &str, command: &str) -> Option<Tmux> {
        if std::process::Command::new("tmux").arg("-V").output().is_err() {
            eprintln!("skipped: tmux is not installed (.ci/run installs it)");
            return None;
        }
        let tmux = Tmux {
            socket: format!("pop3scope-test-{name}-{}", std::process::id()),
        };
        // After the program exits, the shell shows its exit code and the terminal's modes.
        let script = format!("{command}; echo EXIT=$?; stty -a; echo STTY-END; sleep 60");
        tmux.run(&["new-session", "-d", "-x", "100", "-y", "30", "sh", "-c", &script]);
        Some(tmux)
    }

    fn run(&self, args: &[&str]) -> String {
        let output = std::process::Command::new("tmux")
            .args(["-L", &self.socket])
            .args(args)
            .output()
            .expect("tmux runs");
        String::from_utf8_lossy(&output.stdout).into_owned()
    }

    pub fn screen(&self) -> String {
        self.run(&["capture-pane", "-p", "-J", "-S", "-500"])
    }

    /// Waits up to ten seconds for the screen to show `text`.
    pub fn wait_for(&self, text: &str) -> String {
        for _ in 0..100 {
            let screen = self.screen();
            if screen.contains(text) {
                return screen;
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        panic!("the screen never showed {text:?}:\n{}", self.screen());
    }

    pub fn keys(&self, keys: &[&str]) {
        for key in keys {
            self.run(&["send-keys", key]);
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        self.run(&["kill-server"]);
    }
}

/// After the program: its exit code, and the terminal back in cooked mode with echo.
pub fn assert_restored(screen: &str, code: u8) {
    assert!(screen.contains(&format!("EXIT={code}")), "{screen}");
    let modes = screen.split_whitespace().collect::<Vec<_>>();
    assert!(
        modes.contains(&"icanon") && modes.contains(&"echo"),
        "raw mode left on:\n{screen}"
    );
    assert!(
        !screen.contains("Conversation ·"),
        "the alternate screen was not left:\n{screen}"
    );
}

/// Collects each exchange of every session, as a line that says what a reader would check:
/// the command, the reply's status, text and data lines, whether it is complete.
#[derive(Default)]
pub struct ExchangeLog(pub Vec<String>);

impl pop3scope::session::SessionSink for ExchangeLog {
    fn event(&mut self, event: pop3scope::session::SessionEvent<'_>) {
        if let pop3scope::session::SessionEvent::Exchange { exchange, .. } = event {
            let command = exchange
                .command
                .as_ref()
                .map_or_else(|| "(none)".to_string(), |c| pop3scope::base::escape(&c.wire));
            let reply = exchange.reply.as_ref().map_or_else(
                || "(no reply)".to_string(),
                |r| {
                    let body = r.body.as_ref().map_or(String::new(), |b| {
                        format!(
                            " + {} lines {:?}",
                            b.line_count,
                            pop3scope::base::escape(b.kept_bytes())
                        )
                    });
                    format!("{:?} {}{body}", r.status, pop3scope::base::escape(&r.text))
                },
            );
            let incomplete = if exchange.incomplete { " (incomplete)" } else { "" };
            self.0.push(format!("{command} → {reply}{incomplete}"));
        }
    }
}

/// Decodes a capture into its exchanges, as `open` would pair them.
pub fn run_sessions(capture: Vec<u8>) -> Vec<String> {
    let mut reader = CaptureReader::new(Cursor::new(capture)).expect("a capture");
    let mut engine = Engine::new(FlowConfig::default());
    let mut sessions = pop3scope::session::Sessions::new(Default::default(), ExchangeLog::default());
    reader
        .for_each_frame(|frame| {
            engine.frame(&frame, &mut sessions);
            true
        })
        .expect("the capture reads to the end");
    engine.finish(&mut sessions);
    sessions.into_sink().0
}

/// `pop3scope sniff -i lo --port PORT` with `args`, once it says it is capturing; its standard
/// error is handed back to read the rest of (closing it would fail sniff's last words).
pub fn start_sniff(
    port: u16,
    args: &[&str],
) -> (std::process::Child, std::io::BufReader<std::process::ChildStderr>) {
    use std::io::BufRead;
    let mut sniff = std::process::Command::new(assert_cmd::cargo::cargo_bin("pop3scope"))
        .args(["sniff", "-i", "lo", "--port", &port.to_string()])
        .args(args)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = std::io::BufReader::new(sniff.stderr.take().unwrap());
    let mut line = String::new();
    stderr.read_line(&mut line).unwrap();
    assert!(line.contains("capturing on lo"), "{line}");
    (sniff, stderr)
}

/// The standard output of a run of the binary that must succeed (its standard error says why
/// not).
pub fn stdout_of(command: &mut assert_cmd::Command) -> String {
    let output = command.output().expect("the binary runs");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).expect("UTF-8 output")
}

/// Each line of JSON Lines, parsed.
pub fn json_lines(text: &str) -> Vec<serde_json::Value> {
    text.lines()
        .map(|line| serde_json::from_str(line).expect("each line is JSON"))
        .collect()
}
