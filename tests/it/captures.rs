//! The captures recorded for this project (captures/README.md says how and what each holds):
//! the flow listing, the decoded text and the JSON Lines of each are reviewed golden snapshots.

use crate::util::{bin, captures_dir};

fn capture_files() -> Vec<std::path::PathBuf> {
    let mut files: Vec<_> = std::fs::read_dir(captures_dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "pcap" || e == "pcapng"))
        .collect();
    files.sort();
    assert!(files.len() >= 12);
    files
}

fn stem(path: &std::path::Path) -> String {
    path.file_stem()
        .unwrap()
        .to_string_lossy()
        .replace(['-', '.'], "_")
}

fn run(path: &std::path::Path, args: &[&str]) -> (String, String) {
    let output = bin().arg("open").arg(path).args(args).output().unwrap();
    assert!(
        output.status.success(),
        "{}: {}",
        path.display(),
        String::from_utf8_lossy(&output.stderr)
    );
    (
        String::from_utf8(output.stdout).unwrap(),
        String::from_utf8(output.stderr).unwrap(),
    )
}

#[test]
fn every_capture_lists_its_flows() {
    for path in capture_files() {
        let (stdout, stderr) = run(&path, &["--flows"]);
        insta::assert_snapshot!(
            format!("capture_flows__{}", stem(&path)),
            format!("{stdout}--- stderr ---\n{stderr}")
        );
    }
}

#[test]
fn every_capture_decodes_to_text() {
    for path in capture_files() {
        let (stdout, stderr) = run(&path, &["--color", "never"]);
        insta::assert_snapshot!(
            format!("capture_text__{}", stem(&path)),
            format!("{stdout}--- stderr ---\n{stderr}")
        );
    }
}

/// JSON Lines, with each multi-line reply's `lines` cut to its first 12 (the rest is counted
/// by `body_lines` anyway) so that a 200 KB message does not make a 200 KB snapshot.
#[test]
fn every_capture_decodes_to_json_lines() {
    for path in capture_files() {
        let (stdout, _) = run(&path, &["--json"]);
        let mut shown = String::new();
        for line in stdout.lines() {
            let mut record: serde_json::Value = serde_json::from_str(line).expect("each line is JSON");
            if let Some(lines) = record.get_mut("lines").and_then(|l| l.as_array_mut())
                && lines.len() > 12
            {
                let more = lines.len() - 12;
                lines.truncate(12);
                lines.push(serde_json::Value::String(format!(
                    "[snapshot: {more} more lines]"
                )));
            }
            shown.push_str(&serde_json::to_string(&record).unwrap());
            shown.push('\n');
        }
        insta::assert_snapshot!(format!("capture_json__{}", stem(&path)), shown);
    }
}

/// Every capture made by `pop3scope simulate` is what its script makes today: each script
/// names its capture in a comment (`… -o captures/FILE`).
#[test]
fn the_simulated_captures_are_what_their_scripts_make() {
    let mut checked = 0;
    for folder in ["synthetic", "whatif"] {
        for entry in std::fs::read_dir(captures_dir().join(folder)).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_none_or(|e| e != "pop3") {
                continue;
            }
            let text = std::fs::read_to_string(&path).unwrap();
            let target = text
                .split("-o captures/")
                .nth(1)
                .and_then(|rest| rest.split_whitespace().next())
                .unwrap_or_else(|| panic!("{}: no \"-o captures/FILE\" in its comments", path.display()));
            let made = pop3scope::teach::simulate::Script::parse(&text, false)
                .unwrap()
                .capture()
                .unwrap();
            assert!(
                std::fs::read(captures_dir().join(target)).unwrap() == made,
                "captures/{target} differs from {}: run the pop3scope simulate command in its comments",
                path.display()
            );
            checked += 1;
        }
    }
    assert_eq!(checked, 7);
}

/// The frames of a capture, each with whether the server sent it (source port 110), and the
/// file's link type.
fn frames_with_direction(
    path: &std::path::Path,
) -> (
    pop3scope::capture::LinkType,
    Vec<(bool, pop3scope::capture::OwnedFrame)>,
) {
    use pop3scope::wire::{Decoded, decode};
    let file = std::fs::File::open(path).unwrap();
    let mut reader = pop3scope::capture::CaptureReader::new(std::io::BufReader::new(file)).unwrap();
    let mut link = None;
    let mut frames = Vec::new();
    reader
        .for_each_frame(|frame| {
            link = Some(frame.link_type);
            let from_server =
                matches!(decode(frame.link_type, frame.data), Ok(Decoded::Tcp(seg)) if seg.src.port() == 110);
            frames.push((
                from_server,
                pop3scope::capture::OwnedFrame {
                    ts: frame.ts,
                    data: frame.data.to_vec(),
                },
            ));
            true
        })
        .unwrap();
    (link.unwrap(), frames)
}

#[test]
fn real_sessions_with_their_directions_captured_out_of_order_pair_as_recorded() {
    // Real Dovecot traffic as a capture point on two links sees it: every server frame that
    // follows a client frame is captured first (a reply before the command it answers), or
    // two places earlier. The ACKs say which came first; every exchange pairs as recorded.
    for name in [
        "01-full-session",
        "08-pipelined",
        "09-top",
        "13-large-retr",
        "16-curl",
        "17-fetchmail-keep",
        "25-two-phase-delete",
        "26-uidl-two-sessions",
    ] {
        let path = captures_dir().join(format!("{name}.pcap"));
        let (link, frames) = frames_with_direction(&path);
        let write = |frames: &[(bool, pop3scope::capture::OwnedFrame)]| {
            let owned: Vec<_> = frames.iter().map(|(_, f)| f.clone()).collect();
            pop3scope::capture::write_pcap(link, &owned, 262_144)
        };
        let recorded = crate::util::run_sessions(write(&frames));
        assert!(!recorded.is_empty(), "{name}");
        for reach in [1, 2] {
            let mut moved = frames.clone();
            let mut i = reach;
            while i < moved.len() {
                if moved[i].0 && !moved[i - reach].0 {
                    let frame = moved.remove(i);
                    moved.insert(i - reach, frame);
                    i += reach + 1;
                } else {
                    i += 1;
                }
            }
            assert_eq!(
                crate::util::run_sessions(write(&moved)),
                recorded,
                "{name}, server frames {reach} earlier"
            );
        }
    }
}

#[test]
fn the_detail_of_a_retrieved_message_shows_its_headers_parts_and_attachments() {
    use pop3scope::view::explain::{DetailOptions, detail};
    use pop3scope::view::timeline::LineKind;
    let file = std::fs::File::open(captures_dir().join("27-mime.pcap")).unwrap();
    let reader = pop3scope::capture::CaptureReader::new(std::io::BufReader::new(file)).unwrap();
    let (timeline, _, _) = pop3scope::view::timeline::load(reader, &pop3scope::pipeline::Config::default());
    let session = &timeline.sessions[0];
    let first_retr = session
        .lines
        .iter()
        .position(|l| matches!(l.kind, LineKind::Reply(n) if session.exchanges[n].index == 4))
        .expect("the reply to RETR 1");
    let shown: Vec<String> = detail(session, first_retr, DetailOptions::default())
        .into_iter()
        .map(|(_, text)| text)
        .collect();
    let at = shown
        .iter()
        .position(|l| l == "MESSAGE")
        .expect("a MESSAGE section");
    assert_eq!(shown[at + 1], "From: 张三 <zhang@example.test>");
    assert!(shown.contains(&"Subject: 季度报告".to_string()), "{shown:#?}");
    assert!(
        shown
            .iter()
            .any(|l| l.starts_with("  application/pdf \"report.pdf\" 2064 B attachment sha256 ")),
        "{shown:#?}"
    );
    assert!(
        shown
            .iter()
            .any(|l| l.starts_with("  text/plain \"报告.txt\" 62 B attachment")),
        "{shown:#?}"
    );
}
