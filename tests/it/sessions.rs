//! POP3 sessions decoded from the public corpus and from synthetic captures of the edge cases
//! real servers do not produce, checked through the binary's JSON Lines.

use std::path::Path;

use pop3scope::base::Timestamp;
use pop3scope::capture::{self, LinkType};
use pop3scope::wire::synth::{self, Conversation, Link};
use serde::Deserialize;
use tempfile::TempDir;

use crate::util::{NOT_POP3, bin, corpus_dir};

/// The JSON Lines records as a consumer would type them (the README documents the fields).
#[derive(Debug, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
#[allow(dead_code)]
enum Record {
    SessionStart {
        session: u64,
        ts: String,
        client: String,
        server: String,
        handshake: bool,
        implicit_tls: bool,
    },
    Greeting {
        session: u64,
        ts: String,
        status: String,
        text: serde_json::Value,
        phase: String,
        notes: Vec<String>,
    },
    Exchange(Exchange),
    Credential {
        session: u64,
        mechanism: String,
        user: Option<serde_json::Value>,
        domain: Option<serde_json::Value>,
        workstation: Option<serde_json::Value>,
        secret: Option<serde_json::Value>,
        accepted: Option<bool>,
    },
    Tls {
        session: u64,
        ts: String,
    },
    Note {
        session: u64,
        code: String,
        detail: String,
    },
    SessionEnd {
        session: u64,
        reason: String,
        phase: String,
        exchanges: u32,
        mailbox: serde_json::Value,
    },
    Summary {
        frames: u64,
        flows: serde_json::Value,
    },
}

#[derive(Debug, Deserialize)]
#[allow(dead_code)]
struct Exchange {
    session: u64,
    ts: String,
    index: u32,
    phase: String,
    phase_inferred: bool,
    command: Option<String>,
    args: Vec<serde_json::Value>,
    status: Option<String>,
    text: Option<serde_json::Value>,
    lines: Option<Vec<serde_json::Value>>,
    body_lines: Option<u64>,
    sasl: Vec<serde_json::Value>,
    phase_after: String,
    notes: Vec<String>,
    note_details: Vec<serde_json::Value>,
    incomplete: bool,
    message: Option<serde_json::Value>,
}

fn decode(path: &Path, extra: &[&str]) -> Vec<Record> {
    let output = bin()
        .arg("open")
        .arg(path)
        .arg("--json")
        .args(extra)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}: {}",
        path.display(),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("{line}: {e}")))
        .collect()
}

fn exchanges(records: &[Record]) -> Vec<&Exchange> {
    records
        .iter()
        .filter_map(|r| {
            if let Record::Exchange(x) = r {
                Some(x)
            } else {
                None
            }
        })
        .collect()
}

fn sessions(records: &[Record]) -> usize {
    records
        .iter()
        .filter(|r| matches!(r, Record::SessionStart { .. }))
        .count()
}

#[test]
fn every_public_pop3_capture_decodes_and_others_make_no_session() {
    let Some(corpus) = corpus_dir() else { return };
    let pop3 = [
        "arkime/ntlm_synthetic.pcap",
        "arkime/pop3-tag.pcap",
        "ndpi/pop3.pcap",
        "ndpi/pop3_stls.pcap",
        "ndpi/pops.pcapng",
        "suricata-verify/pop3/input.pcap",
        "suricata-verify/pop3-02-bug-7709/input.pcap",
        "suricata-verify/pop3-03-bug-7709/input.pcap",
        "suricata-verify/pop3-auth-01/input.pcap",
        "zeek/bad-list-retr-crafted.pcap",
        "zeek/pop3-starttls.pcap",
        "zeek/pop3-unknown-commands.pcap",
        "zeek/pop3.pcap",
    ];
    let extracted = TempDir::new().unwrap();
    for (i, file) in pop3.iter().enumerate() {
        assert!(sessions(&decode(&corpus.join(file), &[])) >= 1, "{file}");
        // Their messages extract without an error (decode checks the exit code).
        let dir = extracted.path().join(i.to_string());
        decode(&corpus.join(file), &["--extract", dir.to_str().unwrap()]);
        assert!(dir.join("manifest.json").is_file(), "{file}");
    }
    // The SYN scan touches port 110 but carries no byte: no session either.
    for file in NOT_POP3.iter().chain(&["ndpi/synscan.pcap"]) {
        assert_eq!(sessions(&decode(&corpus.join(file), &[])), 0, "{file}");
    }
}

#[test]
fn syn_only_connections_to_110_are_not_sessions() {
    let Some(corpus) = corpus_dir() else { return };
    // zeek/pop3.pcap opens with SYN-only and retransmitted-SYN attempts, then 5 real sessions.
    assert_eq!(sessions(&decode(&corpus.join("zeek/pop3.pcap"), &[])), 5);
}

#[test]
fn lower_case_commands_are_recognised() {
    let Some(corpus) = corpus_dir() else { return };
    let records = decode(&corpus.join("ndpi/pop3.pcap"), &[]);
    let lower: Vec<_> = exchanges(&records)
        .into_iter()
        .filter(|x| x.session == 1)
        .collect();
    let commands: Vec<_> = lower.iter().filter_map(|x| x.command.as_deref()).collect();
    assert_eq!(commands, ["USER", "PASS", "LIST", "UIDL", "RETR", "QUIT"]);
    assert!(
        lower
            .iter()
            .all(|x| !x.notes.contains(&"unknown_command".to_string()))
    );
    let retr = lower
        .iter()
        .find(|x| x.command.as_deref() == Some("RETR"))
        .unwrap();
    assert!(
        retr.body_lines.unwrap() > 10,
        "the RETR body with a bare +OK is framed by the command"
    );
}

#[test]
fn forty_nine_top_and_a_2108_line_list_are_each_paired_with_their_command() {
    let Some(corpus) = corpus_dir() else { return };
    let records = decode(&corpus.join("suricata-verify/pop3/input.pcap"), &[]);
    let all = exchanges(&records);
    let tops: Vec<_> = all
        .iter()
        .filter(|x| x.command.as_deref() == Some("TOP"))
        .collect();
    assert_eq!(tops.len(), 49);
    assert!(tops.iter().all(|x| x.args.get(1) == Some(&serde_json::json!("0"))
        && x.status.as_deref() == Some("+OK")
        && !x.incomplete));
    let list = all
        .iter()
        .find(|x| x.command.as_deref() == Some("LIST") && x.args.is_empty())
        .unwrap();
    assert_eq!(list.body_lines, Some(2108));
    assert_eq!(list.lines.as_ref().unwrap().len(), 2108);
    assert!(
        all.iter().all(|x| x.command.is_some()),
        "no reply without its command"
    );
}

#[test]
fn sasl_exchanges_are_single_auth_exchanges() {
    let Some(corpus) = corpus_dir() else { return };
    for (file, mechanism, sasl_lines) in [
        ("suricata-verify/pop3-auth-01/input.pcap", "XOAUTH2", 2),
        ("arkime/ntlm_synthetic.pcap", "NTLM", 4),
        ("zeek/pop3.pcap", "PLAIN", 2),
    ] {
        let records = decode(&corpus.join(file), &[]);
        let auths: Vec<_> = exchanges(&records)
            .into_iter()
            .filter(|x| {
                x.command.as_deref() == Some("AUTH") && x.args.first() == Some(&serde_json::json!(mechanism))
            })
            .collect();
        assert!(!auths.is_empty(), "{file}");
        assert!(
            auths.iter().any(|x| x.sasl.len() == sasl_lines),
            "{file}: {auths:?}"
        );
        // Every other exchange is a real command: no SASL line became a command of its own.
        for x in exchanges(&records) {
            assert!(
                x.command.as_deref() != Some("?") && !x.notes.contains(&"unknown_command".to_string()),
                "{file}: {x:?}"
            );
        }
    }
}

#[test]
fn secrets_are_masked_unless_asked_for() {
    let Some(corpus) = corpus_dir() else { return };
    let path = corpus.join("suricata-verify/pop3-auth-01/input.pcap");
    let masked = serde_json::to_string(&exchanges(&decode(&path, &[]))[1].sasl).unwrap();
    assert!(masked.contains("********"), "{masked}");
    let shown = serde_json::to_string(&exchanges(&decode(&path, &["--show-secrets"]))[1].sasl).unwrap();
    assert!(
        !shown.contains("********") && shown.contains("dXNlcj1"),
        "{shown}"
    );
}

#[test]
fn a_gbk_greeting_is_kept_exactly_as_bytes() {
    let Some(corpus) = corpus_dir() else { return };
    let records = decode(&corpus.join("suricata-verify/pop3-02-bug-7709/input.pcap"), &[]);
    let greeting = records
        .iter()
        .find_map(|r| {
            if let Record::Greeting { text, .. } = r {
                Some(text)
            } else {
                None
            }
        })
        .unwrap();
    assert!(
        greeting.get("bytes").is_some(),
        "not UTF-8, so base64: {greeting}"
    );
}

/// Writes a synthetic capture of `conversation` and decodes it.
fn synthetic(conversation: &Conversation, edit: impl FnOnce(&mut Vec<synth::TcpPacket>)) -> Vec<Record> {
    let mut packets = conversation.packets();
    edit(&mut packets);
    let frames = synth::frames(
        conversation,
        &packets,
        &Link::Ethernet,
        Timestamp::from_secs_nanos(1_700_000_000, 0),
    );
    let dir = TempDir::new().unwrap();
    let path = dir.path().join("synthetic.pcap");
    std::fs::write(&path, capture::write_pcap(LinkType::ETHERNET, &frames, 65_535)).unwrap();
    decode(&path, &[])
}

fn session(turns: &[(bool, &str)]) -> Conversation {
    let mut conversation = Conversation::new(
        "192.0.2.10:40000".parse().unwrap(),
        "192.0.2.20:110".parse().unwrap(),
    );
    for (from_client, text) in turns {
        conversation = if *from_client {
            conversation.client(text)
        } else {
            conversation.server(text)
        };
    }
    conversation
}

const C: bool = true;
const S: bool = false;

#[test]
fn synthetic_a_lost_segment_marks_the_reply_incomplete_and_decoding_resumes() {
    let conversation = session(&[
        (S, "+OK ready\r\n"),
        (C, "USER a\r\n"),
        (S, "+OK\r\n"),
        (C, "PASS b\r\n"),
        (S, "+OK\r\n"),
        (C, "RETR 1\r\n"),
        (
            S,
            &format!("+OK\r\n{}.\r\n", "a line of the message\r\n".repeat(200)),
        ),
        (C, "NOOP\r\n"),
        (S, "+OK still here\r\n"),
    ]);
    let records = synthetic(&conversation, |packets| {
        let lost = packets.iter().position(|p| p.payload.len() == 1460).unwrap();
        packets.remove(lost + 1);
    });
    let all = exchanges(&records);
    let retr = all.iter().find(|x| x.command.as_deref() == Some("RETR")).unwrap();
    assert!(
        retr.incomplete && retr.notes.contains(&"gap_in_reply".to_string()),
        "{retr:?}"
    );
    let noop = all.last().unwrap();
    assert_eq!(
        (noop.command.as_deref(), noop.status.as_deref()),
        (Some("NOOP"), Some("+OK"))
    );
}

#[test]
fn synthetic_a_retransmission_with_other_bytes_is_noted_and_the_first_copy_wins() {
    let conversation = session(&[
        (S, "+OK ready\r\n"),
        (C, "USER a\r\n"),
        (S, "+OK\r\n"),
        (C, "PASS b\r\n"),
        (S, "+OK\r\n"),
        (C, "RETR 1\r\n"),
        (S, "+OK\r\nhi\r\n.\r\n"),
    ]);
    let records = synthetic(&conversation, |packets| {
        let retr = packets.iter().position(|p| p.payload == b"RETR 1\r\n").unwrap();
        // Same sequence number, other bytes: the receiver keeps the first copy; a tool that
        // keeps the last would show a DELE the server never acted on.
        let mut forged = packets[retr].clone();
        forged.payload = b"DELE 1\r\n".to_vec();
        packets.insert(retr + 1, forged);
    });
    let all = exchanges(&records);
    let retr = all.last().unwrap();
    assert_eq!(retr.command.as_deref(), Some("RETR"));
    assert!(
        retr.notes.contains(&"conflicting_retransmission".to_string()),
        "{retr:?}"
    );
    assert!(!all.iter().any(|x| x.command.as_deref() == Some("DELE")));
    // Both versions are shown: the one kept and the other.
    assert_eq!(
        retr.note_details[0],
        "3 bytes differ; kept \"RETR 1\r\n\", not \"DELE 1\r\n\""
    );
}

#[test]
fn synthetic_a_capture_that_starts_mid_session_infers_the_phase() {
    let mut conversation = session(&[
        (S, "of a message that was being sent\r\n.\r\n"),
        (C, "DELE 1\r\n"),
        (S, "+OK marked\r\n"),
        (C, "QUIT\r\n"),
        (S, "+OK bye\r\n"),
    ]);
    conversation.handshake = false;
    let records = synthetic(&conversation, |_| {});
    let all = exchanges(&records);
    assert_eq!(all[0].command.as_deref(), Some("DELE"));
    assert!(all.iter().all(|x| x.phase_inferred));
    assert_eq!(all[0].phase_after, "TRANSACTION");
    assert_eq!(all[1].phase_after, "UPDATE");
}

#[test]
fn synthetic_a_server_that_does_not_stuff_dots_is_flagged() {
    let conversation = session(&[
        (S, "+OK ready\r\n"),
        (C, "RETR 1\r\n"),
        (S, "+OK\r\nline one\r\n.\r\nthe rest of the message\r\n.\r\n"),
    ]);
    let records = synthetic(&conversation, |_| {});
    assert!(
        records
            .iter()
            .any(|r| matches!(r, Record::Note { code, .. } if code == "unstuffed_terminator"))
    );
}

#[test]
fn synthetic_stls_injection_in_both_directions_is_flagged() {
    let conversation = session(&[
        (S, "+OK ready\r\n"),
        (C, "STLS\r\nCAPA\r\n"),
        (S, "+OK Begin TLS\r\n+OK injected\r\n"),
    ]);
    let records = synthetic(&conversation, |_| {});
    let stls = exchanges(&records)[0];
    assert!(
        stls.notes.contains(&"stls_injection_client".to_string()),
        "{stls:?}"
    );
    assert!(
        records
            .iter()
            .any(|r| matches!(r, Record::Note { code, .. } if code == "stls_injection_server"))
    );
    assert!(records.iter().any(|r| matches!(r, Record::Tls { .. })));
}

#[test]
fn synthetic_bare_lf_is_accepted_and_flagged() {
    let conversation = session(&[
        (S, "+OK ready\n"),
        (C, "CAPA\n"),
        (S, "+OK\nTOP\n.\n"),
        (C, "QUIT\n"),
        (S, "+OK\n"),
    ]);
    let records = synthetic(&conversation, |_| {});
    let all = exchanges(&records);
    assert_eq!(all.len(), 2);
    assert!(all[0].notes.contains(&"bare_lf".to_string()));
}

#[test]
fn synthetic_a_long_xoauth2_token_over_many_segments_is_one_exchange() {
    let token = "A".repeat(4000);
    let conversation = session(&[
        (S, "+OK ready\r\n"),
        (C, "AUTH XOAUTH2\r\n"),
        (S, "+ \r\n"),
        (C, &format!("{token}\r\n")),
        (S, "+OK Welcome.\r\n"),
        (C, "QUIT\r\n"),
        (S, "+OK\r\n"),
    ]);
    let records = synthetic(&conversation, |_| {});
    let all = exchanges(&records);
    assert_eq!(all.len(), 2);
    assert_eq!(all[0].sasl.len(), 2);
    assert_eq!(all[0].phase_after, "TRANSACTION");
}

#[test]
fn detect_finds_pop3_on_port_2110_and_not_redis_on_6379() {
    let pop3 = Conversation::new(
        "192.0.2.10:40000".parse().unwrap(),
        "192.0.2.20:2110".parse().unwrap(),
    )
    .server("+OK ready\r\n")
    .client("USER alice\r\n")
    .server("+OK\r\n")
    .client("QUIT\r\n")
    .server("+OK bye\r\n");
    let redis = Conversation::new(
        "192.0.2.11:40001".parse().unwrap(),
        "192.0.2.21:6379".parse().unwrap(),
    )
    .client("PING\r\n")
    .server("+PONG\r\n")
    .client("SET greeting hello\r\n")
    .server("+OK\r\n")
    .client("PING\r\n")
    .server("+PONG\r\n");
    let start = Timestamp::from_secs_nanos(1_700_000_000, 0);
    let mut frames = synth::frames(&pop3, &pop3.packets(), &Link::Ethernet, start);
    frames.extend(synth::frames(&redis, &redis.packets(), &Link::Ethernet, start));
    frames.sort_by_key(|f| f.ts);
    let dir = TempDir::new().unwrap();
    let path = dir.path().join("two-ports.pcap");
    std::fs::write(&path, capture::write_pcap(LinkType::ETHERNET, &frames, 65_535)).unwrap();

    // Without --detect neither is looked at: neither is on a POP3 port.
    assert_eq!(sessions(&decode(&path, &[])), 0);
    let records = decode(&path, &["--detect"]);
    assert_eq!(sessions(&records), 1);
    let started: Vec<&str> = records
        .iter()
        .filter_map(|r| match r {
            Record::SessionStart { server, .. } => Some(server.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(started, ["192.0.2.20:2110"]);
    let commands: Vec<String> = exchanges(&records)
        .iter()
        .filter_map(|e| e.command.clone())
        .collect();
    assert_eq!(commands, ["USER", "QUIT"]);
    let summary = records.iter().find_map(|r| match r {
        Record::Summary { flows, .. } => Some(flows.clone()),
        _ => None,
    });
    let flows = summary.expect("a summary");
    assert_eq!(flows["not_pop3_flows"], 1);
    assert!(flows["not_pop3_segments"].as_u64().unwrap() > 0, "{flows}");
}

#[test]
fn ntlm_names_the_user_the_domain_and_the_workstation_as_arkime_does() {
    let Some(corpus) = corpus_dir() else {
        return;
    };
    let records = decode(&corpus.join("arkime/ntlm_synthetic.pcap"), &[]);
    let names: Vec<_> = records
        .iter()
        .filter_map(|r| match r {
            Record::Credential {
                mechanism,
                user,
                domain,
                workstation,
                ..
            } => Some((
                mechanism.clone(),
                user.clone(),
                domain.clone(),
                workstation.clone(),
            )),
            _ => None,
        })
        .collect();
    assert_eq!(
        names,
        [(
            "AUTH NTLM".to_string(),
            Some(serde_json::json!("liam")),
            Some(serde_json::json!("POP3DOM")),
            Some(serde_json::json!("POP3HOST"))
        )]
    );
}

#[test]
fn extract_writes_each_message_once_its_attachments_decoded_and_nothing_outside_the_directory() {
    // A message whose attachment is named to escape the directory, retrieved twice.
    let message = "From: Bob <bob@example.test>\r\n\
Subject: =?UTF-8?B?5oql5ZGK?=\r\n\
MIME-Version: 1.0\r\n\
Content-Type: multipart/mixed; boundary=b\r\n\
\r\n\
--b\r\n\
Content-Type: text/plain\r\n\
\r\n\
See attached.\r\n\
.Dot-stuffed line.\r\n\
--b\r\n\
Content-Type: application/octet-stream\r\n\
Content-Disposition: attachment; filename=\"../../etc/passwd\"\r\n\
Content-Transfer-Encoding: base64\r\n\
\r\n\
cm9vdDp4OjA6MDo=\r\n\
--b--\r\n";
    let stuffed = message.replace("\r\n.Dot", "\r\n..Dot");
    let reply = format!("+OK {} octets\r\n{stuffed}.\r\n", message.len());
    let conversation = session(&[
        (S, "+OK ready\r\n"),
        (C, "USER bob\r\n"),
        (S, "+OK\r\n"),
        (C, "PASS secret\r\n"),
        (S, "+OK\r\n"),
        (C, "RETR 1\r\n"),
        (S, &reply),
        (C, "RETR 1\r\n"),
        (S, &reply),
        (C, "QUIT\r\n"),
        (S, "+OK\r\n"),
    ]);
    let frames = synth::frames(
        &conversation,
        &conversation.packets(),
        &Link::Ethernet,
        Timestamp::from_secs_nanos(1_700_000_000, 0),
    );
    let dir = TempDir::new().unwrap();
    let capture = dir.path().join("mime.pcap");
    std::fs::write(&capture, capture::write_pcap(LinkType::ETHERNET, &frames, 65_535)).unwrap();
    let out = dir.path().join("inner").join("out");
    let records = decode(&capture, &["--extract", out.to_str().unwrap()]);
    assert_eq!(exchanges(&records).len(), 5);

    let mut files: Vec<String> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    files.sort();
    assert_eq!(
        files,
        [
            "manifest.json",
            "s00001-x00003-2-_._.._etc_passwd",
            "s00001-x00003.eml"
        ]
    );
    // Nothing was written beside DIR, let alone in /etc.
    let beside: Vec<_> = std::fs::read_dir(dir.path().join("inner")).unwrap().collect();
    assert_eq!(beside.len(), 1);
    assert_eq!(
        std::fs::read(out.join("s00001-x00003.eml")).unwrap(),
        message.as_bytes(),
        "dot-unstuffed, byte for byte"
    );
    assert_eq!(
        std::fs::read(out.join("s00001-x00003-2-_._.._etc_passwd")).unwrap(),
        b"root:x:0:0:"
    );
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("manifest.json")).unwrap()).unwrap();
    let entry = &manifest[0];
    assert_eq!(
        manifest.as_array().unwrap().len(),
        1,
        "retrieved twice, written once"
    );
    assert_eq!(entry["user"], "bob");
    assert_eq!(entry["message"]["subject"], "报告");
    assert_eq!(entry["message"]["complete"], true);
    assert_eq!(entry["message"]["parts"][2]["file_name"], "../../etc/passwd");
    assert_eq!(
        entry["attachments"][0]["file"],
        "s00001-x00003-2-_._.._etc_passwd"
    );
    // A second run into the same directory overwrites nothing.
    let again = bin()
        .arg("open")
        .arg(&capture)
        .args(["--json", "--extract"])
        .arg(&out)
        .output()
        .unwrap();
    assert!(
        !again.status.success(),
        "manifest.json exists: refused rather than overwritten"
    );
    assert_eq!(
        std::fs::read(out.join("s00001-x00003.eml")).unwrap(),
        message.as_bytes()
    );
}

#[test]
fn a_real_dovecot_session_of_mime_messages_extracts_byte_for_byte() {
    // captures/27-mime.pcap: carol's three messages (captures/record/mkmail.py, carol_msgs).
    let dir = TempDir::new().unwrap();
    let out = dir.path().join("out");
    let records = decode(
        &crate::util::captures_dir().join("27-mime.pcap"),
        &["--extract", out.to_str().unwrap()],
    );
    let sha256 = |path: &str| {
        let bytes = std::fs::read(out.join(path)).unwrap_or_else(|e| panic!("{path}: {e}"));
        ring_hex(&bytes)
    };
    // The messages as mkmail.py wrote them, with CR LF as Dovecot sends them.
    assert_eq!(
        sha256("s00001-x00004.eml"),
        "8ad02ae55313bdcc97adb2d536f43af1655155c710a95407fdf4746c6764bb8a"
    );
    assert_eq!(
        sha256("s00001-x00005.eml"),
        "4e358c9511c1cf20ea3ef2e1d0398abdb475d615e4c38ccef54e308cc6ad271c"
    );
    assert_eq!(
        sha256("s00001-x00006.eml"),
        "5b02e62aa0fd012309fec68c1221b33c2e810b2889f381a2e6bdfcb73b2e7825"
    );
    // The attachments, from the same fixed bytes as mkmail.py's attachment_bytes().
    let mut pdf = b"%PDF-1.4\n".to_vec();
    for _ in 0..8 {
        pdf.extend(0..=255u8);
    }
    pdf.extend_from_slice(b"\n%%EOF\n");
    assert_eq!(
        std::fs::read(out.join("s00001-x00004-2-report.pdf")).unwrap(),
        pdf
    );
    assert_eq!(
        std::fs::read_to_string(out.join("s00001-x00004-3-报告.txt")).unwrap(),
        "季度报告：一切顺利。\nQuarterly report: all is well.\n"
    );
    let png = std::fs::read(out.join("s00001-x00005-4-cat.png")).unwrap();
    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n") && png.len() == 70);
    // Every header decoded as written.
    let messages: Vec<&serde_json::Value> = records
        .iter()
        .filter_map(|r| match r {
            Record::Exchange(e) => e.message.as_ref(),
            _ => None,
        })
        .collect();
    assert_eq!(messages.len(), 3);
    assert_eq!(messages[0]["from"], "张三 <zhang@example.test>");
    assert_eq!(messages[0]["subject"], "季度报告");
    assert_eq!(messages[0]["date"], "2024-01-03T09:00:00+08:00");
    assert_eq!(messages[0]["attachments"], 2);
    assert_eq!(messages[1]["parts"][4]["content_id"], "cat@example.test");
    assert_eq!(messages[2]["parts"][2]["content_type"], "message/rfc822");
    assert!(messages.iter().all(|m| m["complete"] == true));
}

fn ring_hex(bytes: &[u8]) -> String {
    let digest = ring_sha256(bytes);
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

fn ring_sha256(bytes: &[u8]) -> Vec<u8> {
    ring::digest::digest(&ring::digest::SHA256, bytes)
        .as_ref()
        .to_vec()
}

#[test]
fn tls_sessions_show_version_suite_sni_and_the_ja3_tshark_computes() {
    // JA3 as `tshark -T fields -e tls.handshake.ja3` gives it for the same ClientHello.
    let facts = |path: &Path| -> serde_json::Value {
        let output = bin().arg("open").arg(path).arg("--json").output().unwrap();
        let text = String::from_utf8(output.stdout).unwrap();
        let end = text
            .lines()
            .find(|l| l.contains("\"session_end\""))
            .expect("a session end");
        serde_json::from_str::<serde_json::Value>(end).unwrap()["tls"].clone()
    };
    for capture in ["07-stls.pcap", "22-pop3s-implicit-tls.pcap"] {
        let tls = facts(&crate::util::captures_dir().join(capture));
        assert_eq!(tls["version"], "TLS 1.3", "{capture}");
        assert_eq!(tls["cipher"], "TLS_AES_256_GCM_SHA384", "{capture}");
        assert_eq!(tls["ja3_hash"], "c12b4ccd5320bbb380ca1a9df90f771d", "{capture}");
        assert!(tls["application_records"][1].as_u64().unwrap() > 0, "{capture}");
    }
    let Some(corpus) = corpus_dir() else { return };
    let tls = facts(&corpus.join("ndpi/pops.pcapng"));
    assert_eq!(tls["version"], "TLS 1.2");
    assert_eq!(tls["sni"], "pop.secureserver.net");
    assert_eq!(tls["ja3_hash"], "36f7277af969a6947a61ae0b815907a1");
}
