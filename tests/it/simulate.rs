//! `pop3scope simulate`: every perturbation and link type round-trips through `open --json`
//! to exactly the scripted exchanges, and tshark reads the files.

use std::process::Command;

use crate::util::bin;

/// A session with a multi-line reply long enough to span several small segments.
const BASE: &str = "\
S: +OK ready
C: USER alice
S: +OK
C: PASS wonderland
S: +OK Logged in.
C: LIST
S: +OK 2 messages
S: 1 120
S: 2 200
S: .
C: RETR 1
S: +OK 120 octets
S: Subject: a test
S:
S: ..a line that starts with a dot
S: and a line long enough that the reply needs more than one segment of the small MSS
S: .
C: DELE 1
S: +OK Marked to be deleted.
C: QUIT
S: +OK bye
";

/// (command, status, notes) of each exchange `open --json` finds in the capture.
fn exchanges(capture: &std::path::Path) -> Vec<(String, String, Vec<String>)> {
    let output = bin().arg("open").arg(capture).arg("--json").output().unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .filter(|r| r["type"] == "exchange")
        .map(|r| {
            let args: Vec<String> = r["args"]
                .as_array()
                .unwrap()
                .iter()
                .map(|a| a.as_str().unwrap_or("?").to_string())
                .collect();
            let command = [vec![r["command"].as_str().unwrap_or("?").to_string()], args]
                .concat()
                .join(" ");
            let notes = r["notes"]
                .as_array()
                .unwrap()
                .iter()
                .map(|n| n.as_str().unwrap().to_string())
                .collect();
            (command, r["status"].as_str().unwrap_or("none").to_string(), notes)
        })
        .collect()
}

fn simulate(script: &str, extra: &[&str]) -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let script_path = dir.path().join("script.pop3");
    std::fs::write(&script_path, script).unwrap();
    let capture = dir.path().join("out.pcap");
    let output = bin()
        .arg("simulate")
        .arg(&script_path)
        .arg("-o")
        .arg(&capture)
        .args(extra)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    (dir, capture)
}

fn scripted() -> Vec<(String, String)> {
    [
        ("USER alice", "+OK"),
        ("PASS ********", "+OK"),
        ("LIST", "+OK"),
        ("RETR 1", "+OK"),
        ("DELE 1", "+OK"),
        ("QUIT", "+OK"),
    ]
    .into_iter()
    .map(|(c, s)| (c.to_string(), s.to_string()))
    .collect()
}

fn tshark_reads(capture: &std::path::Path) {
    let Ok(output) = Command::new("tshark").arg("-r").arg(capture).output() else {
        eprintln!("skipped the tshark check: tshark is not installed");
        return;
    };
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        !stderr.contains("cut short") && !stderr.contains("malformed"),
        "{stderr}"
    );
}

#[test]
fn every_perturbation_and_link_type_gives_back_the_scripted_exchanges() {
    let variants: Vec<(&str, String)> = vec![
        ("plain", BASE.to_string()),
        ("small segments", format!("mss 40\n{BASE}")),
        (
            "reordered",
            BASE.replace("C: RETR 1\n", "C: RETR 1\n@reorder\n")
                .replace("S: +OK 120", "mss 40\nS: +OK 120"),
        ),
        (
            "duplicated",
            format!(
                "mss 40\n{}",
                BASE.replace("C: RETR 1\n", "C: RETR 1\n@duplicate 2\n")
            ),
        ),
        ("waits", BASE.replace("C: QUIT", "wait 2.5\nC: QUIT")),
        ("sll2", format!("link sll2\n{BASE}")),
        ("raw", format!("link raw\n{BASE}")),
        ("null", format!("link null\n{BASE}")),
        (
            "ipv6",
            format!("client [2001:db8::10]:40000\nserver [2001:db8::20]:110\n{BASE}"),
        ),
        ("reset", format!("end rst\n{BASE}")),
    ];
    for (name, script) in variants {
        let (_dir, capture) = simulate(&script, &[]);
        let found: Vec<(String, String)> = exchanges(&capture).into_iter().map(|(c, s, _)| (c, s)).collect();
        assert_eq!(found, scripted(), "{name}");
        tshark_reads(&capture);
    }
}

#[test]
fn a_lost_segment_is_a_gap_in_that_reply_and_nothing_else() {
    let script = format!("mss 40\n{}", BASE.replace("C: RETR 1\n", "C: RETR 1\n@drop 2\n"));
    let (_dir, capture) = simulate(&script, &[]);
    let found = exchanges(&capture);
    let commands: Vec<&str> = found.iter().map(|(c, ..)| c.as_str()).collect();
    assert_eq!(
        commands,
        ["USER alice", "PASS ********", "LIST", "RETR 1", "DELE 1", "QUIT"]
    );
    assert!(found[3].2.contains(&"gap_in_reply".to_string()), "{found:?}");
    assert!(
        found
            .iter()
            .filter(|(_, _, n)| n.contains(&"gap_in_reply".to_string()))
            .count()
            == 1
    );
    tshark_reads(&capture);
}

#[test]
fn a_capture_that_starts_mid_session_is_inferred() {
    let script = BASE.replacen("S: +OK ready\n", "", 1).replace(
        "C: USER alice\nS: +OK\nC: PASS wonderland\nS: +OK Logged in.\n",
        "",
    );
    let (_dir, capture) = simulate(&format!("mid-session\n{script}"), &[]);
    let output = bin().arg("open").arg(&capture).arg("--json").output().unwrap();
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(
        text.contains("\"command\":\"RETR\"") && text.contains("\"phase\":\"TRANSACTION\""),
        "{text}"
    );
}

#[test]
fn from_session_the_teaching_server_answers() {
    let (_dir, capture) = simulate(
        "C: USER alice\nC: PASS wonderland\nC: STAT\nC: RETR 9\nC: QUIT\n",
        &["--from-session"],
    );
    let found: Vec<(String, String)> = exchanges(&capture).into_iter().map(|(c, s, _)| (c, s)).collect();
    let expected: Vec<(String, String)> = [
        ("USER alice", "+OK"),
        ("PASS ********", "+OK"),
        ("STAT", "+OK"),
        ("RETR 9", "-ERR"),
        ("QUIT", "+OK"),
    ]
    .into_iter()
    .map(|(c, s)| (c.to_string(), s.to_string()))
    .collect();
    assert_eq!(found, expected);
    tshark_reads(&capture);
}

#[test]
fn a_bad_script_says_which_line() {
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("bad.pop3");
    std::fs::write(&script, "S: +OK\nC: QUIT\n@drop two\n").unwrap();
    let output = bin()
        .arg("simulate")
        .arg(&script)
        .arg("-o")
        .arg(dir.path().join("x.pcap"))
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("bad.pop3: line 3: @drop needs a number"),
        "{stderr}"
    );
}

#[test]
fn next_session_and_raw_bytes_make_a_second_connection_that_breaks_the_rules() {
    let script =
        "S: +OK one\nC: QUIT\nS: +OK bye\nwait 5\nnext-session\nS! +OK two\\n\nC: QUIT\nS! +OK bye\\n\n";
    let (_dir, capture) = simulate(script, &[]);
    let output = bin().arg("open").arg(&capture).arg("--json").output().unwrap();
    let json = String::from_utf8_lossy(&output.stdout);
    assert_eq!(json.matches("\"type\":\"session_start\"").count(), 2, "{json}");
    assert!(
        json.contains("\"client\":\"192.0.2.10:40001\""),
        "the next client port: {json}"
    );
    assert!(
        json.contains("\"bare_lf\""),
        "the second server ends its lines with LF alone: {json}"
    );
    tshark_reads(&capture);
}

#[test]
fn from_session_a_line_split_over_two_writes_is_answered_once_whole() {
    let (_dir, capture) = simulate("C! US\nC! ER alice\\r\\n\nC: QUIT\n", &["--from-session"]);
    let found: Vec<(String, String)> = exchanges(&capture).into_iter().map(|(c, s, _)| (c, s)).collect();
    assert_eq!(found[0], ("USER alice".to_string(), "+OK".to_string()));
}

#[test]
fn scripts_that_cannot_be_made_say_which_line() {
    let cases = [
        (
            "S: +OK\n@drop 5\nC: QUIT\nS: +OK\n",
            "line 3: segment 5 asked, but this turn has 1 segment",
        ),
        (
            "C: QUIT\nC: STAT\n",
            "line 2: the server closed the connection after QUIT",
        ),
        ("client [2001:db8::1]:4000\nS: +OK\n", "both IPv4 or both IPv6"),
        (
            "link sll2\nlink raw\nS: +OK\n",
            "line 2: one link type per script",
        ),
        (
            "S: +OK\n@reorder\n",
            "a perturbation at the end applies to no line",
        ),
    ];
    for (script, expected) in cases {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.pop3");
        std::fs::write(&path, script).unwrap();
        let from_session = script.starts_with("C: QUIT");
        let mut command = bin();
        command
            .arg("simulate")
            .arg(&path)
            .arg("-o")
            .arg(dir.path().join("x.pcap"));
        if from_session {
            command.arg("--from-session");
        }
        let output = command.output().unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(1), "{script}: {stderr}");
        assert!(stderr.contains(expected), "{script}: {stderr}");
    }
}
