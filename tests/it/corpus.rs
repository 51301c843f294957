//! The public captures in ../shared/corpus/public: each reads without an error, and the flow
//! listing is a reviewed golden snapshot.

use crate::util::{NOT_POP3, bin, corpus_dir};

const FILES: &[&str] = &[
    "arkime/ntlm_synthetic.pcap",
    "arkime/pop3-tag.pcap",
    "ndpi/imap.pcap",
    "ndpi/pop3.pcap",
    "ndpi/pop3_stls.pcap",
    "ndpi/pops.pcapng",
    "ndpi/smtp.pcap",
    "ndpi/synscan.pcap",
    "suricata-verify/pop3/input.pcap",
    "suricata-verify/pop3-02-bug-7709/input.pcap",
    "suricata-verify/pop3-03-bug-7709/input.pcap",
    "suricata-verify/pop3-auth-01/input.pcap",
    "zeek/bad-list-retr-crafted.pcap",
    "zeek/imap-starttls.pcap",
    "zeek/pop3-starttls.pcap",
    "zeek/pop3-unknown-commands.pcap",
    "zeek/pop3.pcap",
    "zeek/redis-50-pings.pcap",
    "zeek/smtp.pcap",
];

#[test]
fn every_public_capture_lists_its_flows() {
    let Some(corpus) = corpus_dir() else { return };
    for file in FILES {
        let output = bin()
            .arg("open")
            .arg(corpus.join(file))
            .arg("--flows")
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "{file}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        let text = format!(
            "{}--- stderr ---\n{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        let name = format!("corpus_flows__{}", file.replace(['/', '.'], "_"));
        insta::assert_snapshot!(name, text);
    }
}

#[test]
fn non_pop3_captures_have_no_pop3_port_connections() {
    let Some(corpus) = corpus_dir() else { return };
    for file in NOT_POP3 {
        let output = bin()
            .arg("open")
            .arg(corpus.join(file))
            .args(["--flows", "--json"])
            .output()
            .unwrap();
        let flows = String::from_utf8_lossy(&output.stdout)
            .matches("\"type\":\"flow\"")
            .count();
        assert_eq!(flows, 0, "{file}");
    }
}

#[test]
fn retransmissions_in_a_real_capture_are_counted_not_duplicated() {
    let Some(corpus) = corpus_dir() else { return };
    let output = bin()
        .arg("open")
        .arg(corpus.join("suricata-verify/pop3/input.pcap"))
        .args(["--flows", "--json"])
        .output()
        .unwrap();
    let flow: serde_json::Value =
        serde_json::from_slice(output.stdout.split(|&b| b == b'\n').next().unwrap()).unwrap();
    assert!(flow["retransmitted_bytes"].as_u64().unwrap() > 0);
    assert_eq!(flow["conflicting_bytes"], 0);
    assert_eq!(flow["gaps"], 0);
}
