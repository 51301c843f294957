//! `pop3scope sniff` against a real Dovecot and a real client (Python's poplib) on loopback.
//! Needs root (CAP_NET_RAW), Dovecot and Python 3; `.ci/run` installs Dovecot and runs as root.
//! Elsewhere the test says why it is skipped.

use std::io::{BufReader, Read};
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use tempfile::TempDir;

use crate::util::{Tmux, assert_restored, bin};

fn missing_prerequisite() -> Option<String> {
    let uid = Command::new("id")
        .arg("-u")
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string());
    if uid.as_deref() != Some("0") {
        return Some("not root: capturing needs CAP_NET_RAW (CI runs as root)".into());
    }
    for tool in ["dovecot", "doveadm", "python3", "openssl"] {
        if Command::new("sh")
            .args(["-c", &format!("command -v {tool}")])
            .output()
            .map_or(true, |o| !o.status.success())
        {
            return Some(format!(
                "{tool} is not installed (.ci/run installs dovecot-pop3d)"
            ));
        }
    }
    None
}

struct Dovecot<'a> {
    dir: &'a Path,
}

impl<'a> Dovecot<'a> {
    /// A throw-away Dovecot in `dir`, listening on `port` of 127.0.0.1; stopped when dropped.
    fn start(dir: &'a Path, port: u16) -> Self {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/live/dovecot.sh");
        let started = Command::new("bash")
            .arg(script)
            .arg("start")
            .arg(dir)
            .arg(port.to_string())
            .status()
            .unwrap();
        assert!(started.success(), "Dovecot did not start");
        Dovecot { dir }
    }
}

impl Drop for Dovecot<'_> {
    fn drop(&mut self) {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/live/dovecot.sh");
        let _ = Command::new("bash")
            .arg(script)
            .arg("stop")
            .arg(self.dir)
            .status();
    }
}

/// One POP3 session the way a mail client makes it: login, LIST, RETR, DELE, QUIT.
const CLIENT: &str = r#"
import poplib, sys
pop = poplib.POP3("127.0.0.1", int(sys.argv[1]), timeout=10)
pop.user("alice")
pop.pass_("wonderland")
pop.list()
pop.retr(1)
pop.dele(1)
pop.quit()
"#;

fn exchanges(json: &str) -> Vec<(String, String, String, String)> {
    json.lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .filter(|r| r["type"] == "exchange")
        .map(|r| {
            let field = |k: &str| r[k].as_str().unwrap_or("null").to_string();
            (
                field("command"),
                field("status"),
                field("phase"),
                field("phase_after"),
            )
        })
        .collect()
}

/// `pop3scope sniff -i lo --json -c 6 --port PORT -w FILE`, once it says it is capturing.
fn start_sniff(port: u16, write_to: &Path) -> (std::process::Child, BufReader<std::process::ChildStderr>) {
    crate::util::start_sniff(port, &["--json", "-c", "6", "-w", write_to.to_str().unwrap()])
}

/// Runs [`CLIENT`] against the Dovecot on `port`.
fn run_client(port: u16) {
    let client = Command::new("python3")
        .args(["-c", CLIENT, &port.to_string()])
        .output()
        .unwrap();
    assert!(
        client.status.success(),
        "{}",
        String::from_utf8_lossy(&client.stderr)
    );
}

#[test]
fn sniff_sees_every_exchange_of_a_real_session_once_and_writes_a_capture_that_open_reads() {
    if let Some(why) = missing_prerequisite() {
        eprintln!("skipped: {why}");
        return;
    }
    let work = TempDir::new().unwrap();
    let port = 11110 + (std::process::id() % 500) as u16;
    let _dovecot = Dovecot::start(work.path(), port);

    let capture = work.path().join("live.pcap");
    let (mut sniff, mut stderr) = start_sniff(port, &capture);
    run_client(port);

    let deadline = Instant::now() + Duration::from_secs(20);
    while sniff.try_wait().unwrap().is_none() {
        assert!(Instant::now() < deadline, "sniff did not stop after 6 exchanges");
        std::thread::sleep(Duration::from_millis(50));
    }
    let mut json = String::new();
    sniff.stdout.take().unwrap().read_to_string(&mut json).unwrap();
    let mut rest = String::new();
    stderr.read_to_string(&mut rest).unwrap();
    assert!(rest.contains("and dropped 0"), "{rest}");

    let expected: Vec<(String, String, String, String)> = [
        ("USER", "AUTHORIZATION", "AUTHORIZATION"),
        ("PASS", "AUTHORIZATION", "TRANSACTION"),
        ("LIST", "TRANSACTION", "TRANSACTION"),
        ("RETR", "TRANSACTION", "TRANSACTION"),
        ("DELE", "TRANSACTION", "TRANSACTION"),
        ("QUIT", "TRANSACTION", "UPDATE"),
    ]
    .iter()
    .map(|(c, p, a)| (c.to_string(), "+OK".to_string(), p.to_string(), a.to_string()))
    .collect();
    assert_eq!(exchanges(&json), expected, "{json}");

    // The -w file holds the same session.
    let reopened = bin()
        .arg("open")
        .arg(&capture)
        .args(["--json", "--port", &port.to_string()])
        .output()
        .unwrap();
    assert!(reopened.status.success());
    assert_eq!(exchanges(&String::from_utf8(reopened.stdout).unwrap()), expected);
}

#[test]
fn sniff_in_a_terminal_shows_the_session_as_it_happens_and_a_full_disk_ends_it_cleanly() {
    if let Some(why) = missing_prerequisite() {
        eprintln!("skipped: {why}");
        return;
    }
    let work = TempDir::new().unwrap();
    let port = 11610 + (std::process::id() % 500) as u16;
    let _dovecot = Dovecot::start(work.path(), port);

    let command = format!(
        "{} sniff -i lo --port {port} -w /dev/full",
        assert_cmd::cargo::cargo_bin("pop3scope").display()
    );
    let Some(tmux) = Tmux::start("sniff", &command) else {
        return;
    };
    tmux.wait_for("● capturing");
    run_client(port);
    // The view follows the session as it arrives, to its end.
    let screen = tmux.wait_for("end: the server answered QUIT");
    for row in [
        "C: USER alice",
        "C: PASS ********",
        "C: RETR 1",
        "C: DELE 1",
        "S: +OK Logging out, messages deleted.",
    ] {
        assert!(screen.contains(row), "{row} missing:\n{screen}");
    }
    tmux.keys(&["m"]);
    tmux.wait_for("DELETED at UPDATE");
    tmux.keys(&["q"]);
    // The packets could not be written (the disk is full): the terminal is restored, the
    // summary printed, and the exit status says the file is incomplete.
    let screen = tmux.wait_for("STTY-END");
    assert_restored(&screen, 1);
    assert!(screen.contains("1 session, 6 exchanges"), "{screen}");
    assert!(screen.contains("the capture file is incomplete"), "{screen}");
}

#[test]
fn sniff_writing_to_a_full_disk_still_reports_every_exchange_and_exits_1() {
    if let Some(why) = missing_prerequisite() {
        eprintln!("skipped: {why}");
        return;
    }
    let work = TempDir::new().unwrap();
    let port = 12110 + (std::process::id() % 500) as u16;
    let _dovecot = Dovecot::start(work.path(), port);
    let (sniff, mut stderr_lines) = start_sniff(port, Path::new("/dev/full"));
    run_client(port);
    let output = sniff.wait_with_output().unwrap();
    let mut stderr = String::new();
    stderr_lines.read_to_string(&mut stderr).unwrap();
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert_eq!(exchanges(&String::from_utf8_lossy(&output.stdout)).len(), 6);
    assert!(stderr.contains("1 session, 6 exchanges"), "{stderr}");
    assert!(stderr.contains("No space left on device"), "{stderr}");
    // A device is written to, never given away.
    let owner = std::os::unix::fs::MetadataExt::uid(&std::fs::metadata("/dev/full").unwrap());
    assert_eq!(owner, 0);
}
