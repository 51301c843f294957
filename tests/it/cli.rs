//! The command line as a user meets it: messages, exit codes, pipes.

use std::io::Read;
use std::process::{Command, Stdio};

use pop3scope::base::Timestamp;
use pop3scope::capture::{self, LinkType};
use pop3scope::wire::synth::{self, Conversation, Link};
use predicates::prelude::*;
use tempfile::TempDir;

use crate::util::{bin, captures_dir};

fn small_capture(dir: &TempDir) -> std::path::PathBuf {
    let conversation = Conversation::new(
        "192.0.2.10:40000".parse().unwrap(),
        "192.0.2.20:110".parse().unwrap(),
    )
    .server("+OK ready\r\n")
    .client("QUIT\r\n")
    .server("+OK bye\r\n");
    let frames = synth::frames(
        &conversation,
        &conversation.packets(),
        &Link::Ethernet,
        Timestamp(0),
    );
    let path = dir.path().join("small.pcap");
    std::fs::write(&path, capture::write_pcap(LinkType::ETHERNET, &frames, 65_535)).unwrap();
    path
}

#[test]
fn help_teaches_with_examples() {
    bin()
        .arg("--help")
        .assert()
        .success()
        .stdout(predicate::str::contains("Examples:"));
    bin()
        .args(["open", "--help"])
        .assert()
        .success()
        .stdout(predicate::str::contains("--export-streams"));
}

#[test]
fn a_usage_error_exits_1() {
    bin()
        .args(["open"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("FILE"));
    bin().args(["frobnicate"]).assert().code(1);
}

#[test]
fn a_missing_file_says_which() {
    bin()
        .args(["open", "/nonexistent/trace.pcap", "--flows"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("cannot open /nonexistent/trace.pcap"));
}

#[test]
fn a_file_that_is_not_a_capture_says_what_it_starts_with() {
    let dir = TempDir::new().unwrap();
    let path = dir.path().join("notes.pcap");
    std::fs::write(&path, "+OK POP3 ready\r\n").unwrap();
    bin()
        .args(["open", path.to_str().unwrap(), "--flows"])
        .assert()
        .code(1)
        .stderr(
            predicate::str::contains("not a pcap or pcapng capture").and(predicate::str::contains("\"+OK.")),
        );
}

#[test]
fn an_empty_file_is_an_error() {
    let dir = TempDir::new().unwrap();
    let path = dir.path().join("empty.pcap");
    std::fs::write(&path, "").unwrap();
    bin()
        .args(["open", path.to_str().unwrap()])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("empty"));
}

#[test]
fn a_truncated_file_shows_what_came_before_and_says_where_it_ends() {
    let dir = TempDir::new().unwrap();
    let path = small_capture(&dir);
    let mut bytes = std::fs::read(&path).unwrap();
    bytes.truncate(bytes.len() - 10);
    std::fs::write(&path, &bytes).unwrap();
    bin()
        .args(["open", path.to_str().unwrap(), "--flows"])
        .assert()
        .success()
        .stdout(predicate::str::contains("192.0.2.10:40000 → 192.0.2.20:110"))
        .stderr(
            predicate::str::contains("truncated capture at byte offset")
                .and(predicate::str::contains("after frame")),
        );
}

#[test]
fn a_damaged_block_shows_what_came_before() {
    let dir = TempDir::new().unwrap();
    let conversation = Conversation::new(
        "192.0.2.10:40000".parse().unwrap(),
        "192.0.2.20:110".parse().unwrap(),
    )
    .server("+OK ready\r\n");
    let frames = synth::frames(
        &conversation,
        &conversation.packets(),
        &Link::Ethernet,
        Timestamp(0),
    );
    let mut bytes = capture::write_pcapng(
        &[LinkType::ETHERNET],
        &frames.into_iter().map(|f| (0, f)).collect::<Vec<_>>(),
        false,
    );
    bytes.extend_from_slice(&[0xff; 64]);
    let path = dir.path().join("damaged.pcapng");
    std::fs::write(&path, &bytes).unwrap();
    bin()
        .args(["open", path.to_str().unwrap(), "--flows"])
        .assert()
        .success()
        .stdout(predicate::str::contains("#1 "))
        .stderr(predicate::str::contains("warning").and(predicate::str::contains("byte offset")));
}

#[test]
fn stdin_is_read_with_a_dash() {
    let dir = TempDir::new().unwrap();
    let path = small_capture(&dir);
    bin()
        .args(["open", "-", "--flows", "--json"])
        .pipe_stdin(&path)
        .unwrap()
        .assert()
        .success()
        .stdout(predicate::str::contains("\"type\":\"flow\""));
}

#[test]
fn flows_as_json_lines_carry_the_documented_fields() {
    let dir = TempDir::new().unwrap();
    let path = small_capture(&dir);
    let output = bin()
        .args(["open", path.to_str().unwrap(), "--flows", "--json"])
        .output()
        .unwrap();
    assert!(output.status.success());
    let lines: Vec<serde_json::Value> = output
        .stdout
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .map(|l| serde_json::from_slice(l).expect("each line is JSON"))
        .collect();
    assert_eq!(lines.len(), 2);
    let flow = &lines[0];
    for field in [
        "client",
        "server",
        "client_bytes",
        "server_bytes",
        "gaps",
        "end",
        "first_ts",
        "last_ts",
    ] {
        assert!(flow.get(field).is_some(), "flow has {field}: {flow}");
    }
    assert_eq!(flow["type"], "flow");
    assert_eq!(flow["client"], "192.0.2.10:40000");
    assert_eq!(flow["server_bytes"], 20);
    assert_eq!(flow["end"], "fin");
    assert_eq!(lines[1]["type"], "summary");
}

#[test]
fn a_closed_pipe_is_not_an_error() {
    let dir = TempDir::new().unwrap();
    // Enough connections that the output outgrows the pipe buffer.
    let mut frames = Vec::new();
    for port in 0..3000u16 {
        let conversation = Conversation::new(
            format!("192.0.2.10:{}", 20000 + port).parse().unwrap(),
            "192.0.2.20:110".parse().unwrap(),
        )
        .server("+OK\r\n");
        frames.extend(synth::frames(
            &conversation,
            &conversation.packets(),
            &Link::Ethernet,
            Timestamp(0),
        ));
    }
    let path = dir.path().join("many.pcap");
    std::fs::write(&path, capture::write_pcap(LinkType::ETHERNET, &frames, 65_535)).unwrap();
    let mut child = Command::new(assert_cmd::cargo::cargo_bin("pop3scope"))
        .args(["open", path.to_str().unwrap(), "--flows"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = [0u8; 100];
    child.stdout.as_mut().unwrap().read_exact(&mut first).unwrap();
    drop(child.stdout.take());
    let status = child.wait().unwrap();
    let mut stderr = String::new();
    child.stderr.take().unwrap().read_to_string(&mut stderr).unwrap();
    assert!(status.success(), "exit {status}, stderr: {stderr}");
    assert!(!stderr.contains("Broken pipe"), "{stderr}");
}

#[test]
fn export_streams_writes_both_directions_of_each_connection() {
    let dir = TempDir::new().unwrap();
    let out = dir.path().join("streams");
    bin()
        .args([
            "open",
            captures_dir().join("15-ipv6.pcap").to_str().unwrap(),
            "--export-streams",
        ])
        .arg(&out)
        .assert()
        .success()
        // The files, and what was done: no decoded sessions unless asked for.
        .stdout("")
        .stderr(predicates::str::contains("1 connection exported into"));
    let mut names: Vec<String> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names.len(), 2, "{names:?}");
    assert!(
        names[0].starts_with("0001_c2s_--1.") && names[0].ends_with("_--1.110"),
        "{names:?}"
    );
    let to_client = std::fs::read(out.join(&names[1])).unwrap();
    assert!(
        to_client.starts_with(b"+OK Dovecot"),
        "the server's stream starts with its greeting"
    );
}

#[test]
fn pcapng_packets_for_an_undescribed_interface_are_counted_and_said() {
    let dir = tempfile::tempdir().unwrap();
    let conversation = Conversation::new(
        "192.0.2.10:50000".parse().unwrap(),
        "192.0.2.20:110".parse().unwrap(),
    )
    .server("+OK ready\r\n");
    let frames = synth::frames(
        &conversation,
        &conversation.packets(),
        &Link::Ethernet,
        Timestamp(0),
    );
    let count = frames.len();
    // Interface 3 is never described: the file has one interface, number 0.
    let bytes = capture::write_pcapng(
        &[LinkType::ETHERNET],
        &frames.into_iter().map(|f| (3, f)).collect::<Vec<_>>(),
        false,
    );
    let path = dir.path().join("undescribed.pcapng");
    std::fs::write(&path, &bytes).unwrap();
    let output = bin().args(["open", "--text"]).arg(&path).output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(&format!(
            "{count} pcapng packets for an interface the file never described"
        )),
        "{stderr}"
    );
    let output = bin().args(["open", "--json"]).arg(&path).output().unwrap();
    let summary = String::from_utf8_lossy(&output.stdout);
    assert!(
        summary.contains(&format!("\"frames_without_interface\":{count}")),
        "{summary}"
    );
}

#[test]
fn from_a_pipe_output_flows_before_the_writer_closes_it() {
    // `tcpdump -U -w - | pop3scope open -`: what the pipe holds is decoded at once, not when
    // a buffer fills or the writer ends. The capture is written whole and the pipe kept open.
    use std::io::{BufRead, Write};
    use std::sync::mpsc;
    for capture in ["01-full-session.pcap", "20-pcapng.pcapng"] {
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_pop3scope"))
            .args(["open", "-", "--text"])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let mut stdin = child.stdin.take().unwrap();
        stdin
            .write_all(&std::fs::read(crate::util::captures_dir().join(capture)).unwrap())
            .unwrap();
        stdin.flush().unwrap();
        let stdout = child.stdout.take().unwrap();
        let (lines, arrived) = mpsc::channel();
        std::thread::spawn(move || {
            for line in std::io::BufReader::new(stdout).lines() {
                if lines.send(line.unwrap()).is_err() {
                    break;
                }
            }
        });
        let first = arrived.recv_timeout(std::time::Duration::from_secs(10));
        assert!(
            first.as_deref().is_ok_and(|l| l.starts_with("── session 1")),
            "{capture}: nothing came out while the pipe was open: {first:?}"
        );
        drop(stdin);
        assert!(child.wait().unwrap().success());
    }
}

#[test]
fn a_dash_for_the_output_file_means_standard_output() {
    // simulate -o - into a pipe: a capture that open reads from its standard input.
    let script = crate::util::captures_dir().join("synthetic/31-mid-session.pop3");
    let capture = bin()
        .args(["simulate"])
        .arg(&script)
        .args(["-o", "-"])
        .output()
        .unwrap();
    assert!(
        capture.status.success(),
        "{}",
        String::from_utf8_lossy(&capture.stderr)
    );
    assert_eq!(&capture.stdout[..4], &0xa1b2_c3d4u32.to_le_bytes());
    let decoded = bin()
        .args(["open", "-", "--json"])
        .write_stdin(capture.stdout)
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&decoded.stdout).contains("\"command\":\"LIST\""));
    assert!(!std::path::Path::new("-").exists(), "no file named -");
    // lesson -o FILE writes the plain text there, with or without --plain.
    let dir = tempfile::tempdir().unwrap();
    for args in [&["--plain"][..], &[]] {
        let file = dir.path().join("lesson.txt");
        bin()
            .args(["lesson", "3"])
            .args(args)
            .arg("-o")
            .arg(&file)
            .assert()
            .success()
            .stdout("");
        assert!(std::fs::read_to_string(&file).unwrap().starts_with("Lesson 3"));
    }
}

/// A capture of the repository with its server moved from port 110 to `port` (Ethernet, IPv4).
fn moved_to_port(name: &str, port: u16) -> Vec<u8> {
    let mut bytes = std::fs::read(crate::util::captures_dir().join(name)).unwrap();
    let mut at = 24;
    while at + 16 <= bytes.len() {
        let len = u32::from_le_bytes(bytes[at + 8..at + 12].try_into().unwrap()) as usize;
        let frame = at + 16;
        if bytes[frame + 12..frame + 14] == [0x08, 0x00] {
            let tcp = frame + 14 + usize::from(bytes[frame + 14] & 0x0f) * 4;
            for side in [tcp, tcp + 2] {
                if bytes[side..side + 2] == 110u16.to_be_bytes() {
                    bytes[side..side + 2].copy_from_slice(&port.to_be_bytes());
                }
            }
        }
        at = frame + len;
    }
    bytes
}

#[test]
fn pop3_on_another_port_is_pointed_at_with_the_option_that_follows_it() {
    let capture = moved_to_port("01-full-session.pcap", 2110);
    let text = bin()
        .args(["open", "-", "--text"])
        .write_stdin(capture.clone())
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&text.stderr);
    assert!(
        said.contains("the other ports that carried the most: 2110 (") && said.contains("-p 2110 follows"),
        "{said}"
    );
    let json = bin()
        .args(["open", "-", "--json"])
        .write_stdin(capture.clone())
        .output()
        .unwrap();
    let summary = String::from_utf8_lossy(&json.stdout)
        .lines()
        .last()
        .unwrap()
        .to_string();
    assert!(summary.contains("\"other_ports\":[{\"port\":2110,"), "{summary}");
    // And -p 2110 decodes it.
    let followed = bin()
        .args(["open", "-", "--json", "-p", "2110"])
        .write_stdin(capture)
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&followed.stdout).contains("\"command\":\"QUIT\""));
}

#[test]
fn a_record_of_an_impossible_length_is_damage_not_a_cut() {
    // A pcap header, then a record that claims 2 GiB (as tshark: "bigger than maximum").
    let mut capture = Vec::new();
    for field in [0xa1b2_c3d4u32, 0x0004_0002, 0, 0, 262_144, 1] {
        capture.extend_from_slice(&field.to_le_bytes());
    }
    for field in [0u32, 0, 0x8000_0000, 0x8000_0000] {
        capture.extend_from_slice(&field.to_le_bytes());
    }
    capture.extend_from_slice(&[0; 100]);
    let output = bin()
        .args(["open", "-", "--text"])
        .write_stdin(capture)
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&output.stderr);
    assert!(said.contains("damaged capture at byte offset 24"), "{said}");
    assert!(
        said.contains("a record claims 2147483648 captured bytes"),
        "{said}"
    );
}

#[test]
fn r_names_the_file_and_gzip_and_zstd_captures_read_as_the_plain_one() {
    let path = crate::util::captures_dir().join("01-full-session.pcap");
    let plain = std::fs::read(&path).unwrap();
    let decoded = |args: &[&str], stdin: Vec<u8>| {
        crate::util::stdout_of(bin().arg("open").args(args).args(["--json"]).write_stdin(stdin))
    };
    let expected = decoded(&["-"], plain.clone());
    assert_eq!(decoded(&["-r", path.to_str().unwrap()], Vec::new()), expected);
    let mut gzip = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    std::io::Write::write_all(&mut gzip, &plain).unwrap();
    assert_eq!(decoded(&["-"], gzip.finish().unwrap()), expected);
    let zstd = ruzstd::encoding::compress_to_vec(&plain[..], ruzstd::encoding::CompressionLevel::Fastest);
    assert_eq!(decoded(&["-"], zstd), expected);
}

#[test]
fn completions_man_pages_and_version_come_from_the_options_themselves() {
    for shell in ["bash", "zsh", "fish"] {
        let output = bin().args(["completions", shell]).output().unwrap();
        let script = String::from_utf8(output.stdout).unwrap();
        assert!(
            script.contains("pop3scope") && script.contains("keylog"),
            "{shell}"
        );
    }
    let page = bin().args(["man"]).output().unwrap();
    assert!(String::from_utf8_lossy(&page.stdout).contains(".TH pop3scope 1"));
    let page = bin().args(["man", "open"]).output().unwrap();
    let page = String::from_utf8_lossy(&page.stdout);
    assert!(
        page.contains(".TH pop3scope-open 1") && page.contains("keylog"),
        "{page}"
    );
    bin().args(["man", "nope"]).assert().failure();
    let version = bin().arg("--version").output().unwrap();
    assert!(String::from_utf8_lossy(&version.stdout).contains("capture backends: af-packet"));
}

#[test]
fn q_silences_the_summary_and_v_adds_it_to_json_with_the_time_taken() {
    let capture = crate::util::captures_dir().join("01-full-session.pcap");
    bin()
        .arg("open")
        .arg(&capture)
        .args(["--text", "-q"])
        .assert()
        .success()
        .stderr("");
    let verbose = bin()
        .arg("open")
        .arg(&capture)
        .args(["--json", "-v"])
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&verbose.stderr);
    assert!(said.contains("36 frames") && said.contains("read in"), "{said}");
    let json = bin().arg("open").arg(&capture).args(["--json"]).output().unwrap();
    assert_eq!(
        String::from_utf8_lossy(&json.stderr),
        "",
        "JSON alone says nothing on stderr"
    );
}

#[test]
fn the_time_column_is_local_by_default_its_zone_said_and_time_picks_another() {
    let capture = crate::util::captures_dir().join("01-full-session.pcap");
    let text = |tz: &str, args: &[&str]| {
        let output = bin()
            .env("TZ", tz)
            .arg("open")
            .arg(&capture)
            .args(["--text"])
            .args(args)
            .output()
            .unwrap();
        String::from_utf8(output.stdout).unwrap()
    };
    // The greeting came at 03:36:24.973 UTC.
    // A POSIX zone eight hours east of UTC, which needs no zone files.
    let shanghai = text("XST-8", &[]);
    assert!(
        shanghai.contains("(times in UTC+08:00)") && shanghai.contains("[1] 11:36:24.973"),
        "{shanghai}"
    );
    assert!(text("UTC", &[]).contains("[1] 03:36:24.973"));
    assert!(text("XST-8", &["--time", "utc"]).contains("[1] 03:36:24.973"));
    assert!(text("UTC", &["--time", "relative"]).contains("[1]     0.000000  AUTHORIZATION"));
    assert!(text("UTC", &["--time", "delta"]).contains("[1]     0.000243  AUTHORIZATION  C: CAPA"));
    assert!(text("UTC", &["--time", "epoch"]).contains("[1] 1795750584.973797"));
}

#[test]
fn filter_prints_only_the_exchanges_it_lets_through_with_their_sessions() {
    let capture = crate::util::captures_dir().join("26-uidl-two-sessions.pcap");
    let records = |filter: &str| -> Vec<String> {
        let output = crate::util::stdout_of(
            bin()
                .arg("open")
                .arg(&capture)
                .args(["--json", "--filter", filter]),
        );
        crate::util::json_lines(&output)
            .iter()
            .map(|r| {
                format!(
                    "{} {} {}",
                    r["type"].as_str().unwrap(),
                    r["session"],
                    r["command"]
                )
            })
            .collect()
    };
    assert_eq!(
        records("session == 2 and command == UIDL"),
        [
            "session_start 2 null",
            "greeting 2 null",
            "exchange 2 \"UIDL\"",
            "session_end 2 null",
            "summary null null"
        ]
    );
    // The user a session named, and words as in the interactive view.
    let alice = records("user == alice and uidl");
    assert!(
        alice
            .iter()
            .filter(|r| r.starts_with("exchange"))
            .all(|r| r.ends_with("\"UIDL\""))
    );
    assert_eq!(alice.iter().filter(|r| r.starts_with("session_start")).count(), 2);
    bin()
        .arg("open")
        .arg(&capture)
        .args(["--filter", "colour == red"])
        .assert()
        .failure();
}

#[test]
fn several_files_are_merged_by_time_as_mergecap_does() {
    // captures/08 cut in two, its frames dealt alternately to two files (as two capture points
    // would each see half): merged, they decode as the whole, frame numbers included.
    let whole = std::fs::read(crate::util::captures_dir().join("08-pipelined.pcap")).unwrap();
    let (mut odd, mut even) = (whole[..24].to_vec(), whole[..24].to_vec());
    let mut at = 24;
    let mut n = 0;
    while at + 16 <= whole.len() {
        let len = u32::from_le_bytes(whole[at + 8..at + 12].try_into().unwrap()) as usize;
        let record = &whole[at..at + 16 + len];
        if n % 2 == 0 { &mut odd } else { &mut even }.extend_from_slice(record);
        at += 16 + len;
        n += 1;
    }
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("a.pcap"), dir.path().join("b.pcap"));
    std::fs::write(&a, odd).unwrap();
    std::fs::write(&b, even).unwrap();
    let json = |args: &[&std::path::Path]| {
        let output = bin().arg("open").args(args).arg("--json").output().unwrap();
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8(output.stdout).unwrap()
    };
    let expected = json(&[&crate::util::captures_dir().join("08-pipelined.pcap")]);
    assert_eq!(json(&[&b, &a]), expected);
    bin().args(["open", "-"]).arg(&a).assert().failure();
}

#[test]
fn sniff_i_takes_the_number_interfaces_lists() {
    let listed = bin().arg("interfaces").output().unwrap();
    let listed = String::from_utf8_lossy(&listed.stdout);
    // Loopback is listed with its number; a number nothing has is refused with a pointer.
    assert!(
        listed.lines().any(|l| l.split_whitespace().nth(1) == Some("lo")),
        "{listed}"
    );
    bin()
        .args(["sniff", "-i", "999999", "--json"])
        .assert()
        .failure()
        .stderr(predicates::str::contains("no interface numbered 999999"));
}

#[test]
fn shards_together_report_the_sessions_and_exchanges_of_one_run() {
    // Ten sessions from six captures, merged; three shards, then the union.
    let captures: Vec<std::path::PathBuf> = [
        "01-full-session.pcap",
        "08-pipelined.pcap",
        "09-top.pcap",
        "10-dele-rset.pcap",
        "16-curl.pcap",
        "26-uidl-two-sessions.pcap",
    ]
    .iter()
    .map(|name| crate::util::captures_dir().join(name))
    .collect();
    // Each exchange as client, server, index, command, status: the session number aside.
    let exchanges = |shard: Option<&str>| -> Vec<String> {
        let mut command = bin();
        command.arg("open").args(&captures).arg("--json");
        if let Some(shard) = shard {
            command.args(["--shard", shard]);
        }
        let records = crate::util::json_lines(&crate::util::stdout_of(&mut command));
        let endpoints: std::collections::HashMap<String, String> = records
            .iter()
            .filter(|r| r["type"] == "session_start")
            .map(|r| {
                (
                    r["session"].to_string(),
                    format!("{} {}", r["client"], r["server"]),
                )
            })
            .collect();
        records
            .iter()
            .filter(|r| r["type"] == "exchange")
            .map(|r| {
                let session = &endpoints[&r["session"].to_string()];
                format!("{session} {} {} {}", r["index"], r["command"], r["status"])
            })
            .collect()
    };
    let mut whole = exchanges(None);
    let mut shards: Vec<String> = ["1/3", "2/3", "3/3"]
        .iter()
        .flat_map(|s| exchanges(Some(s)))
        .collect();
    whole.sort();
    shards.sort();
    assert!(whole.len() > 50);
    assert_eq!(shards, whole);
    bin().args(["open", "-", "--shard", "4/3"]).assert().failure();
}
