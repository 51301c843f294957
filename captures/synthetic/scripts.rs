// The synthetic captures of captures/: what real servers and clients will not produce on
// demand (an injection attack, a capture that starts mid-session, a lost segment, a server
// that does not dot-stuff, rare response codes). Written by the test-capture builder
// (pop3scope::synth) with the real TCP handshake, sequence numbers and teardown.
//
// Included by captures/synthetic/make.rs (which writes the files) and by the tests (which
// check that the committed files are exactly what these scripts make).

use pop3scope::capture::{LinkType, Timestamp};
use pop3scope::synth::{self, Conversation, Ending, Link, SynthFrame};

/// 2026-01-05 09:00:00 UTC: a Monday morning lab.
const START: i64 = 1_767_603_600;

fn talk(client_port: u16) -> Conversation {
    Conversation::new(
        format!("192.0.2.10:{client_port}").parse().expect("an address"),
        "192.0.2.20:110".parse().expect("an address"),
    )
}

fn login(conversation: Conversation) -> Conversation {
    conversation
        .server("+OK POP3 server ready\r\n")
        .client("USER alice\r\n")
        .server("+OK\r\n")
        .client("PASS wonderland\r\n")
        .server("+OK Logged in.\r\n")
}

/// Sessions one after another, a minute apart.
fn capture(sessions: &[(Conversation, Vec<synth::TcpPacket>)]) -> Vec<u8> {
    let mut frames: Vec<SynthFrame> = Vec::new();
    for (i, (conversation, packets)) in sessions.iter().enumerate() {
        let start = Timestamp::from_secs_nanos(START + 60 * i as i64, 0);
        frames.extend(synth::frames(conversation, packets, &Link::Ethernet, start));
    }
    synth::write_pcap(LinkType::ETHERNET, &frames, 65_535)
}

fn whole(conversation: Conversation) -> (Conversation, Vec<synth::TcpPacket>) {
    let packets = conversation.packets();
    (conversation, packets)
}

/// A TLS record's first bytes, standing for the encrypted rest of the connection.
const TLS_HELLO: &[u8] = b"\x16\x03\x01\x00\x2e\x01\x00\x00\x2a\x03\x03";

fn stls_injection() -> Vec<u8> {
    // The attacker's USER rides in the same segment as STLS: a server that buffers it reads
    // it as plain text after the switch (RFC 2595 §4; CVE-2011-0411 and relatives).
    let client = talk(50001)
        .server("+OK POP3 server ready\r\n")
        .client("STLS\r\nUSER mallory\r\n")
        .server("+OK Begin TLS negotiation now.\r\n")
        .client(TLS_HELLO)
        .server(TLS_HELLO);
    // The server side: plain text after the +OK to STLS, which the client would take as a
    // reply inside TLS.
    let server = talk(50002)
        .server("+OK POP3 server ready\r\n")
        .client("STLS\r\n")
        .server("+OK Begin TLS negotiation now.\r\n+OK injected\r\n")
        .client(TLS_HELLO)
        .server(TLS_HELLO);
    capture(&[whole(client), whole(server)])
}

fn mid_session() -> Vec<u8> {
    // The capture starts after the login: no handshake, no greeting, no USER/PASS.
    let mut conversation = talk(50011)
        .client("LIST\r\n")
        .server("+OK 2 messages\r\n1 372\r\n2 56\r\n.\r\n")
        .client("RETR 2\r\n")
        .server("+OK 56 octets\r\nSubject: riddle\r\n\r\nWhy is a raven like a writing-desk?\r\n.\r\n")
        .client("DELE 2\r\n")
        .server("+OK Marked to be deleted.\r\n")
        .client("QUIT\r\n")
        .server("+OK Logging out, messages deleted.\r\n");
    conversation.handshake = false;
    capture(&[whole(conversation)])
}

fn lost_segment() -> Vec<u8> {
    let body: String = (1..=40)
        .map(|n| format!("Line {n:02} of a message long enough to need several TCP segments.\r\n"))
        .collect();
    let mut conversation = login(talk(50021))
        .client("RETR 1\r\n")
        .server(format!("+OK {} octets\r\n{body}.\r\n", body.len()))
        .client("QUIT\r\n")
        .server("+OK Logging out.\r\n");
    conversation.mss = 536;
    let mut packets = conversation.packets();
    // The third data segment of the message never reached the capture point.
    let body_segments: Vec<usize> = packets
        .iter()
        .enumerate()
        .filter(|(_, p)| p.payload.starts_with(b"Line") || p.payload.len() == 536)
        .map(|(i, _)| i)
        .collect();
    packets.remove(body_segments[2]);
    capture(&[(conversation, packets)])
}

fn no_dot_stuffing() -> Vec<u8> {
    // The message has a line that is a single dot. A correct server sends it as "..";
    // this one sends it as ".", which ends the reply early for every client.
    let conversation = login(talk(50031))
        .client("RETR 1\r\n")
        .server("+OK 62 octets\r\nThe answer is below this line\r\n.\r\nP.S. and this line is lost\r\n.\r\n")
        .client("QUIT\r\n")
        .server("+OK Logging out.\r\n");
    capture(&[whole(conversation)])
}

fn response_codes() -> Vec<u8> {
    let in_use = talk(50041)
        .server("+OK POP3 server ready\r\n")
        .client("USER alice\r\n")
        .server("+OK\r\n")
        .client("PASS wonderland\r\n")
        .server("-ERR [IN-USE] Mailbox is locked by another POP3 session.\r\n")
        .client("QUIT\r\n")
        .server("+OK Logging out.\r\n");
    let temporary = talk(50042)
        .server("+OK POP3 server ready\r\n")
        .client("USER alice\r\n")
        .server("+OK\r\n")
        .client("PASS wonderland\r\n")
        .server("-ERR [SYS/TEMP] Temporary failure; try again later.\r\n")
        .client("QUIT\r\n")
        .server("+OK Logging out.\r\n");
    let delay = talk(50043)
        .server("+OK POP3 server ready\r\n")
        .client("USER alice\r\n")
        .server("+OK\r\n")
        .client("PASS wonderland\r\n")
        .server("-ERR [LOGIN-DELAY] Only one login every 300 seconds.\r\n")
        .client("QUIT\r\n")
        .server("+OK Logging out.\r\n");
    let mut dropped = talk(50044)
        .server("+OK POP3 server ready\r\n")
        .client("HELO\r\n")
        .server("-ERR Unknown command.\r\n");
    dropped.ending = Ending::Rst;
    capture(&[whole(in_use), whole(temporary), whole(delay), whole(dropped)])
}

/// (file name in captures/, its bytes)
pub fn synthetic_captures() -> Vec<(&'static str, Vec<u8>)> {
    vec![
        ("30-synthetic-stls-injection.pcap", stls_injection()),
        ("31-synthetic-mid-session.pcap", mid_session()),
        ("32-synthetic-lost-segment.pcap", lost_segment()),
        ("33-synthetic-no-dot-stuffing.pcap", no_dot_stuffing()),
        ("34-synthetic-response-codes.pcap", response_codes()),
    ]
}
