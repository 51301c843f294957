//! Byte for byte against tcpflow: for every capture, each direction of each connection that
//! pop3scope exports must equal what `tcpflow -r` reconstructs, except where the capture itself
//! is missing data: there pop3scope reports a gap, and tcpflow (which fills holes with zeros or
//! stops) is not the reference.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::path::Path;
use std::process::Command;

use tempfile::TempDir;

use crate::util::{bin, captures_dir, corpus_dir};

/// Parses tcpflow's default file name `SRC.SPORT-DST.DPORT[cN]` (IPv4 zero-padded).
fn parse_tcpflow_name(name: &str) -> Option<(SocketAddr, SocketAddr, u32)> {
    let (name, repeat) = match name.rfind('c') {
        Some(at) if name[at + 1..].chars().all(|c| c.is_ascii_digit()) && at + 1 < name.len() => {
            (&name[..at], name[at + 1..].parse().ok()?)
        }
        _ => (name, 0),
    };
    let endpoint = |text: &str| -> Option<SocketAddr> {
        let (ip, port) = text.rsplit_once('.')?;
        let ip: IpAddr = if ip.contains(':') {
            ip.parse().ok()?
        } else {
            let octets: Vec<String> = ip
                .split('.')
                .map(|o| o.trim_start_matches('0').to_string())
                .map(|o| if o.is_empty() { "0".into() } else { o })
                .collect();
            octets.join(".").parse().ok()?
        };
        Some(SocketAddr::new(ip, port.parse().ok()?))
    };
    // The separator is the '-' followed by the second address: find it by trying each.
    for (at, _) in name.match_indices('-') {
        if let (Some(src), Some(dst)) = (endpoint(&name[..at]), endpoint(&name[at + 1..])) {
            return Some((src, dst, repeat));
        }
    }
    None
}

/// Equal, except that tcpflow may have appended the padding of a trailing bare ACK (see below).
fn equal_but_padding(ours: &[u8], theirs: &[u8]) -> bool {
    theirs.starts_with(ours) && theirs.len() - ours.len() <= 6 && theirs[ours.len()..].iter().all(|&b| b == 0)
}

fn tcpflow_available() -> bool {
    let found = Command::new("tcpflow").arg("-V").output().is_ok();
    if !found {
        eprintln!("skipped: tcpflow is not installed (apt-get install tcpflow; .ci/run installs it)");
    }
    found
}

/// Compares one capture; returns how many directions were compared byte for byte.
fn compare(capture: &Path) -> usize {
    let work = TempDir::new().unwrap();
    let theirs = work.path().join("tcpflow");
    let ours = work.path().join("pop3scope");
    std::fs::create_dir(&theirs).unwrap();
    let status = Command::new("tcpflow")
        .arg("-r")
        .arg(capture)
        .arg("-o")
        .arg(&theirs)
        // pop3scope follows the POP3 ports only.
        .arg("tcp port 110 or tcp port 995")
        .output()
        .unwrap();
    assert!(status.status.success(), "tcpflow failed on {}", capture.display());
    let listing = bin()
        .arg("open")
        .arg(capture)
        .args(["--flows", "--json", "--export-streams"])
        .arg(&ours)
        .output()
        .unwrap();
    assert!(
        listing.status.success(),
        "pop3scope failed on {}",
        capture.display()
    );

    // Our flows, by (src, dst) of each direction, in order of appearance.
    let mut ours_by_tuple: HashMap<(SocketAddr, SocketAddr), Vec<(String, u64)>> = HashMap::new();
    for line in listing.stdout.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
        let flow: serde_json::Value = serde_json::from_slice(line).unwrap();
        if flow["type"] != "flow" {
            continue;
        }
        let id = flow["flow"].as_u64().unwrap();
        let client: SocketAddr = flow["client"].as_str().unwrap().parse().unwrap();
        let server: SocketAddr = flow["server"].as_str().unwrap().parse().unwrap();
        for (dir, src, dst, stats) in [
            ("c2s", client, server, "to_server"),
            ("s2c", server, client, "to_client"),
        ] {
            let name = pop3scope::output::StreamExporter::file_name(
                id,
                if dir == "c2s" {
                    pop3scope::base::Direction::ClientToServer
                } else {
                    pop3scope::base::Direction::ServerToClient
                },
                client,
                server,
            );
            let gaps = flow[stats]["gaps"].as_u64().unwrap();
            ours_by_tuple.entry((src, dst)).or_default().push((name, gaps));
        }
    }
    for list in ours_by_tuple.values_mut() {
        list.sort_by_key(|(name, _)| name.clone());
    }

    let mut compared = 0;
    for entry in std::fs::read_dir(&theirs).unwrap() {
        let entry = entry.unwrap();
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some((src, dst, repeat)) = parse_tcpflow_name(&name) else {
            continue;
        };
        let candidates = ours_by_tuple.get(&(src, dst)).unwrap_or_else(|| {
            panic!(
                "{}: tcpflow has {name}, pop3scope has no such connection",
                capture.display()
            )
        });
        // tcpflow numbers repeated connections on one address pair c1, c2, …; only data-carrying
        // ones get a file, so match by content among ours when the pair repeats.
        let theirs_bytes = std::fs::read(entry.path()).unwrap();
        // tcpflow reads the Ethernet padding of a bare ACK (a 54-byte frame padded to 60) as 6
        // payload bytes; the IP length says there are none.
        // After the FINs tcpflow even files that padding as a new connection `…c1`.
        let is_padding_artifact = theirs_bytes.len() <= 6 && theirs_bytes.iter().all(|&b| b == 0);
        if is_padding_artifact {
            continue;
        }
        let matched = candidates.iter().any(|(our_name, gaps)| {
            let our_bytes = std::fs::read(ours.join(our_name)).unwrap();
            *gaps > 0 || equal_but_padding(&our_bytes, &theirs_bytes)
        });
        assert!(
            matched,
            "{}: {name} (repeat {repeat}) differs from pop3scope's export",
            capture.display()
        );
        compared += 1;
    }
    compared
}

#[test]
fn our_captures_match_tcpflow_byte_for_byte() {
    if !tcpflow_available() {
        return;
    }
    let mut total = 0;
    for entry in std::fs::read_dir(captures_dir()).unwrap() {
        let path = entry.unwrap().path();
        let is_capture = path.extension().is_some_and(|e| e == "pcap" || e == "pcapng");
        // tcpflow cannot read LINUX_SLL2 ("unknown datalink type 276"): pipeline tests cover it.
        if !is_capture || path.file_name().unwrap().to_string_lossy().contains("sll2") {
            continue;
        }
        total += compare(&path);
    }
    assert!(total >= 40, "compared {total} directions");
}

#[test]
fn public_corpus_matches_tcpflow_byte_for_byte() {
    let Some(corpus) = corpus_dir() else { return };
    if !tcpflow_available() {
        return;
    }
    let mut total = 0;
    for dir in [
        "zeek",
        "ndpi",
        "arkime",
        "suricata-verify/pop3",
        "suricata-verify/pop3-02-bug-7709",
        "suricata-verify/pop3-03-bug-7709",
        "suricata-verify/pop3-auth-01",
    ] {
        for entry in std::fs::read_dir(corpus.join(dir)).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "pcap" || e == "pcapng") {
                total += compare(&path);
            }
        }
    }
    assert!(total >= 20, "compared {total} directions");
}

#[test]
fn tcpflow_names_are_understood() {
    assert_eq!(
        parse_tcpflow_name("127.000.000.001.00110-127.000.000.001.36340"),
        Some((
            "127.0.0.1:110".parse().unwrap(),
            "127.0.0.1:36340".parse().unwrap(),
            0
        ))
    );
    assert_eq!(
        parse_tcpflow_name("::1.00110-::1.33626c2"),
        Some(("[::1]:110".parse().unwrap(), "[::1]:33626".parse().unwrap(), 2))
    );
}

/// tcpflow cannot read LINUX_SLL2 (`tcpdump -i any`): for that capture tshark's "Follow TCP
/// Stream" is the reference instead.
#[test]
fn linux_sll2_capture_matches_tshark_follow_stream() {
    if Command::new("tshark").arg("-v").output().is_err() {
        eprintln!("skipped: tshark is not installed (apt-get install tshark; .ci/run installs it)");
        return;
    }
    let capture = captures_dir().join("19-linux-sll2.pcap");
    let follow = Command::new("tshark")
        .arg("-r")
        .arg(&capture)
        .args(["-q", "-z", "follow,tcp,raw,0"])
        .output()
        .unwrap();
    let text = String::from_utf8(follow.stdout).unwrap();
    let (mut to_server, mut to_client) = (Vec::new(), Vec::new());
    let hex = |line: &str| -> Vec<u8> {
        (0..line.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&line[i..i + 2], 16).unwrap())
            .collect()
    };
    for line in text.lines().skip_while(|l| !l.starts_with("Node 1:")).skip(1) {
        if line.starts_with('=') {
            break;
        }
        match line.strip_prefix('\t') {
            Some(server_line) => to_client.extend(hex(server_line)),
            None => to_server.extend(hex(line)),
        }
    }
    assert!(to_client.starts_with(b"+OK Dovecot"));
    let work = TempDir::new().unwrap();
    bin()
        .arg("open")
        .arg(&capture)
        .arg("--export-streams")
        .arg(work.path())
        .assert()
        .success();
    let mut files: Vec<_> = std::fs::read_dir(work.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    assert_eq!(std::fs::read(&files[0]).unwrap(), to_server);
    assert_eq!(std::fs::read(&files[1]).unwrap(), to_client);
}
