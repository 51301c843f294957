//! Encrypted POP3 opened with key logs: the real Dovecot captures recorded with the client's
//! SSLKEYLOGFILE (TLS 1.3 after STLS and on 995, TLS 1.2 with AES-GCM and ChaCha20-Poly1305)
//! decode as plain text does, as tshark decrypts them; missing and wrong keys are said.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::util::{bin, captures_dir};

/// The captures that ship with their key logs.
const KEYED: [&str; 4] = [
    "07-stls",
    "22-pop3s-implicit-tls",
    "28-tls12-aes-gcm",
    "29-tls12-chacha20",
];

fn capture(name: &str) -> PathBuf {
    captures_dir().join(format!("{name}.pcap"))
}

fn keylog(name: &str) -> PathBuf {
    captures_dir().join(format!("{name}.keylog"))
}

fn json(capture: &Path, keylog: &Path) -> Vec<serde_json::Value> {
    let output = crate::util::stdout_of(
        bin()
            .args(["open", "--json", "--bodies", "full", "--keylog"])
            .arg(keylog)
            .arg(capture),
    );
    crate::util::json_lines(&output)
}

fn of_type<'a>(records: &'a [serde_json::Value], kind: &str) -> Vec<&'a serde_json::Value> {
    records.iter().filter(|r| r["type"] == kind).collect()
}

/// Every note code of the run: on exchanges and on sessions.
fn note_codes(records: &[serde_json::Value]) -> Vec<String> {
    let mut codes = Vec::new();
    for record in records {
        match record["type"].as_str() {
            Some("note") => codes.push(record["code"].as_str().unwrap().to_string()),
            Some("exchange") => codes.extend(
                record["notes"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|c| c.as_str().unwrap().to_string()),
            ),
            _ => {}
        }
    }
    codes
}

#[test]
fn every_keyed_capture_decodes_whole_and_every_line_inside_tls_says_it_was_decrypted() {
    for name in KEYED {
        let records = json(&capture(name), &keylog(name));
        let codes = note_codes(&records);
        assert!(!codes.iter().any(|c| c.starts_with("tls_")), "{name}: {codes:?}");
        // The logins were inside TLS: nobody on the path read the password.
        assert!(!codes.contains(&"cleartext_password".to_string()), "{name}");
        let exchanges = of_type(&records, "exchange");
        let last = exchanges.last().unwrap();
        assert_eq!(
            (&last["command"], &last["status"]),
            (&"QUIT".into(), &"+OK".into()),
            "{name}"
        );
        assert_eq!(last["decrypted"], true, "{name}");
        let tls_at = exchanges
            .iter()
            .position(|e| e["command"] == "STLS")
            .map_or(0, |at| at + 1);
        assert!(
            exchanges[..tls_at].iter().all(|e| e["decrypted"] == false),
            "{name}"
        );
        assert!(
            exchanges[tls_at..].iter().all(|e| e["decrypted"] == true),
            "{name}"
        );
        let end = of_type(&records, "session_end")[0];
        assert_eq!(end["reason"], "quit", "{name}");
        let decrypted = end["tls"]["decrypted_records"].as_array().unwrap();
        assert!(
            decrypted.iter().all(|n| n.as_u64().unwrap() > 0),
            "{name}: {decrypted:?}"
        );
        let credential = of_type(&records, "credential")[0];
        assert_eq!(credential["decrypted"], true, "{name}");
    }
}

#[test]
fn the_text_of_keyed_captures_is_as_reviewed() {
    for name in KEYED {
        let output = bin()
            .args(["open", "--color", "never", "--keylog"])
            .arg(keylog(name))
            .arg(capture(name))
            .output()
            .unwrap();
        let stdout = String::from_utf8(output.stdout).unwrap();
        insta::assert_snapshot!(format!("keyed_text__{}", name.replace('-', "_")), stdout);
    }
}

/// Each command and each status line, with the frame that carried it, as tshark decrypts
/// the capture with the same key log (`-o tls.keylog_file`).
#[test]
fn the_exchanges_inside_are_those_tshark_decrypts() {
    let Ok(version) = Command::new("tshark").arg("--version").output() else {
        eprintln!("skipped: tshark is not installed (.ci/run installs it)");
        return;
    };
    assert!(version.status.success());
    for name in KEYED {
        let records = json(&capture(name), &keylog(name));
        let mut ours = Vec::new();
        for greeting in of_type(&records, "greeting") {
            ours.push(format!(
                "{} {}",
                greeting["frame"],
                greeting["status"].as_str().unwrap()
            ));
        }
        for exchange in of_type(&records, "exchange") {
            let frames = &exchange["frames"];
            ours.push(format!(
                "{} {}",
                frames["command"],
                exchange["command"].as_str().unwrap()
            ));
            ours.push(format!(
                "{} {}",
                frames["reply_first"],
                exchange["status"].as_str().unwrap()
            ));
        }
        ours.sort();
        let output = Command::new("tshark")
            .arg("-r")
            .arg(capture(name))
            .arg("-o")
            .arg(format!("tls.keylog_file:{}", keylog(name).display()))
            .args(["-Y", "pop.request or pop.response", "-T", "fields"])
            .args([
                "-e",
                "frame.number",
                "-e",
                "pop.request.command",
                "-e",
                "pop.response.indicator",
            ])
            .output()
            .unwrap();
        let mut theirs: Vec<String> = String::from_utf8_lossy(&output.stdout)
            .lines()
            .map(|line| {
                line.split('\t')
                    .filter(|f| !f.is_empty())
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .collect();
        theirs.sort();
        assert_eq!(ours, theirs, "{name}");
    }
}

#[test]
fn another_sessions_key_log_leaves_the_handshake_and_says_there_is_no_key() {
    let records = json(&capture("28-tls12-aes-gcm"), &keylog("29-tls12-chacha20"));
    assert_eq!(note_codes(&records), vec!["tls_no_key"]);
    let end = of_type(&records, "session_end")[0];
    assert_eq!(end["tls"]["version"], "TLS 1.2");
    assert!(
        end["tls"]["certificates"][0]["subject"]
            .as_str()
            .unwrap()
            .contains("localhost")
    );
    assert!(of_type(&records, "exchange").is_empty());
}

#[test]
fn a_wrong_key_is_said_per_side_and_nothing_is_made_up() {
    let dir = tempfile::tempdir().unwrap();
    for name in KEYED {
        let right = std::fs::read_to_string(keylog(name)).unwrap();
        // Every secret's last digit changed: the session is found, its keys are wrong.
        let wrong: String = right
            .lines()
            .map(|line| match line.strip_prefix('#') {
                Some(_) => format!("{line}\n"),
                None => {
                    let last = if line.ends_with('0') { '1' } else { '0' };
                    format!("{}{last}\n", &line[..line.len() - 1])
                }
            })
            .collect();
        let path = dir.path().join(format!("{name}.keylog"));
        std::fs::write(&path, wrong).unwrap();
        let records = json(&capture(name), &path);
        let codes = note_codes(&records);
        assert!(
            codes.contains(&"tls_not_authentic".to_string()),
            "{name}: {codes:?}"
        );
        assert!(
            of_type(&records, "exchange")
                .iter()
                .all(|e| e["decrypted"] == false),
            "{name}"
        );
    }
}

#[test]
fn a_message_retrieved_inside_tls_extracts_as_the_same_message_in_the_clear() {
    // 29 retrieves carol's first message over TLS 1.2 (ChaCha20); 27 retrieves it in the clear.
    let clear = tempfile::tempdir().unwrap();
    let decrypted = tempfile::tempdir().unwrap();
    bin()
        .args(["open", "--extract"])
        .arg(clear.path())
        .arg(capture("27-mime"))
        .assert()
        .success();
    bin()
        .args(["open", "--keylog"])
        .arg(keylog("29-tls12-chacha20"))
        .arg("--extract")
        .arg(decrypted.path())
        .arg(capture("29-tls12-chacha20"))
        .assert()
        .success();
    let read = |dir: &Path, name: &str| std::fs::read(dir.join(name)).unwrap();
    // Exchange 4 of 27 is RETR 1; in 29 it is exchange 7 (after CAPA, CAPA, STLS, USER, PASS, UIDL).
    assert_eq!(
        read(clear.path(), "s00001-x00004.eml"),
        read(decrypted.path(), "s00001-x00007.eml")
    );
    assert_eq!(
        read(clear.path(), "s00001-x00004-2-report.pdf"),
        read(decrypted.path(), "s00001-x00007-2-report.pdf")
    );
}
