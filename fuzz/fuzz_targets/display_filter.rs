//! Any text as a display filter (`--filter`, the interactive view's f): it parses or is refused,
//! and a parsed one is matched against an exchange without panicking. The key log parser is
//! fed the same text.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pop3scope::pop3::{Command, Exchange, Phase, Position};
use pop3scope::tls::KeyLog;
use pop3scope::view::filter::{Filter, Subject};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    std::hint::black_box(KeyLog::complete(&text).sessions());
    let Ok(filter) = Filter::parse(&text) else {
        return;
    };
    let exchange = Exchange {
        index: 1,
        command: Some(Command::parse(b"RETR 1")),
        sent: Some(Position::default()),
        sent_octets: 8,
        phase: Phase::Transaction,
        phase_after: Phase::Transaction,
        inferred: false,
        reply: None,
        sasl: Vec::new(),
        notes: Vec::new(),
        incomplete: false,
        missing_bytes: 0,
        decrypted: false,
    };
    let subject = Subject {
        session: 1,
        client: "127.0.0.1:40000".parse().unwrap(),
        server: "127.0.0.1:110".parse().unwrap(),
        user: Some(b"alice"),
        exchange: Some(&exchange),
        phase: Phase::Transaction,
        text: "RETR 1".to_string(),
        notes: vec!["size_mismatch"],
    };
    std::hint::black_box(filter.matches(&subject));
});
