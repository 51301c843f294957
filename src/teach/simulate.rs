//! `pop3scope simulate`: a scripted POP3 conversation becomes a capture with a real TCP
//! handshake, sequence and acknowledgement numbers, segmentation and teardown, with the
//! network's misdeeds on request.
//!
//! The script, a line each:
//!
//! ```text
//! # a comment
//! client 192.0.2.10:40000      server 192.0.2.20:110      (the defaults)
//! link ethernet                or sll, sll2, null, loop, raw
//! mss 536                      largest TCP payload (default 1460)
//! mid-session                  the capture starts after the handshake and the greeting
//! end fin                      or rst, or open (the capture stops first)
//! S: +OK POP3 server ready     a server line; CRLF is added
//! C: USER alice                a client line
//! S! +OK no line end\n         bytes as written, no CRLF added (\r \n \t \\ \xNN escapes)
//! wait 2.5                     seconds before the next line is sent
//! @drop 2                      the next turn's 2nd segment is lost (not captured)
//! @duplicate 1                 … sent twice
//! @reorder                     … its segments arrive last first
//! --                           ends a turn: the next line is sent on its own
//! next-session                 a new connection (the next client port), after the last one
//! ```
//!
//! Consecutive lines from one side are one turn: one write, cut into segments of at most
//! `mss` bytes. Lines are written as they go on the wire: a server line that starts with a dot
//! must be written dot-stuffed (`S: ..dot`). With `from_session`, the script holds only the
//! client's lines and pop3scope's own teaching server ([`crate::teach::server`]) answers them, with
//! its built-in demo mailboxes; each C: line then waits for its reply (one `C!` line with
//! several commands pipelines them).
//!
//! Contract: the same script always makes the same bytes (no clock, no randomness); a script
//! that cannot be made says which line is wrong.

use std::net::SocketAddr;

use crate::base::Direction;
use crate::base::Timestamp;
use crate::capture::LinkType;
use crate::capture::{DEFAULT_SNAPLEN, OwnedFrame, write_pcap};
use crate::teach::Error;
use crate::wire::synth::{self, Conversation, Ending, Link, TcpPacket};

/// 2026-01-05 09:00:00 UTC: every simulated capture starts there.
const START_SECS: i64 = 1_767_603_600;
/// Time between two packets of a turn.
const PACKET_GAP_NANOS: i64 = 1_000_000;

/// What can go wrong with the next turn's segments.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Perturbation {
    /// 1-based segment number.
    Drop(usize),
    Duplicate(usize),
    Reorder,
}

/// A turn as read: who sends it, its bytes, the script line it starts on.
type Turn = (Direction, Vec<u8>, usize);

#[derive(Clone, Debug, Default)]
struct TurnPlan {
    wait_nanos: i64,
    perturbations: Vec<Perturbation>,
    /// The script line the turn starts on, for errors.
    line: usize,
}

/// One connection of a script.
#[derive(Clone, Debug)]
struct SessionScript {
    conversation: Conversation,
    plans: Vec<TurnPlan>,
    /// Before its first packet.
    wait_nanos: i64,
}

/// A script, read.
#[derive(Clone, Debug)]
pub struct Script {
    sessions: Vec<SessionScript>,
    link: Link,
}

/// The session being read.
struct Draft {
    conversation: Conversation,
    turns: Vec<Turn>,
    plans: Vec<TurnPlan>,
    mid_session: bool,
    wait_nanos: i64,
}

impl Draft {
    fn new(client: SocketAddr, server: SocketAddr) -> Self {
        Draft {
            conversation: Conversation::new(client, server),
            turns: Vec::new(),
            plans: Vec::new(),
            mid_session: false,
            wait_nanos: 0,
        }
    }

    /// The session as written, or answered by the teaching server (shared by all sessions,
    /// so what one deletes the next does not find).
    fn finish(mut self, server: Option<&AnsweringServer>, line: usize) -> Result<SessionScript, ScriptError> {
        let (client, server_addr) = (self.conversation.client, self.conversation.server);
        if client.is_ipv4() != server_addr.is_ipv4() {
            return Err(ScriptError {
                line,
                message: format!("{client} and {server_addr}: both IPv4 or both IPv6"),
            });
        }
        if let Some(server) = server {
            let (turns, plans) = server.answer(self.turns, self.plans, self.mid_session)?;
            self.turns = turns;
            self.plans = plans;
        }
        if self.turns.is_empty() {
            return Err(ScriptError {
                line,
                message: "a session with no C: or S: lines".to_string(),
            });
        }
        let mut conversation = self.conversation;
        conversation.handshake = !self.mid_session;
        for (dir, bytes, _) in self.turns {
            conversation = match dir {
                Direction::ClientToServer => conversation.client(bytes),
                Direction::ServerToClient => conversation.server(bytes),
            };
        }
        Ok(SessionScript {
            conversation,
            plans: self.plans,
            wait_nanos: self.wait_nanos,
        })
    }
}

/// A line of the script that could not be used.
#[derive(Debug, thiserror::Error)]
#[error("line {line}: {message}")]
pub struct ScriptError {
    pub line: usize,
    pub message: String,
}

/// `\r`, `\n`, `\t`, `\\` and `\xNN` in a script line.
fn unescape(text: &str) -> Result<Vec<u8>, Error> {
    let mut out = Vec::with_capacity(text.len());
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] != b'\\' {
            out.push(bytes[i]);
            i += 1;
            continue;
        }
        match bytes.get(i + 1) {
            Some(b'r') => out.push(b'\r'),
            Some(b'n') => out.push(b'\n'),
            Some(b't') => out.push(b'\t'),
            Some(b'\\') => out.push(b'\\'),
            Some(b'x') => {
                let hex = text
                    .get(i + 2..i + 4)
                    .ok_or_else(|| Error::Escape("\\x needs two hex digits".to_string()))?;
                out.push(
                    u8::from_str_radix(hex, 16).map_err(|_| Error::Escape(format!("\\x{hex} is not hex")))?,
                );
                i += 2;
            }
            _ => {
                return Err(Error::Escape(
                    "a backslash starts \\r, \\n, \\t, \\\\ or \\xNN".to_string(),
                ));
            }
        }
        i += 2;
    }
    Ok(out)
}

fn link(name: &str) -> Option<Link> {
    Some(match name {
        "ethernet" => Link::Ethernet,
        "sll" => Link::Sll,
        "sll2" => Link::Sll2,
        "null" => Link::Null,
        "loop" => Link::Loop,
        "raw" => Link::Raw,
        _ => return None,
    })
}

impl Script {
    /// Reads a script. With `from_session`, it holds only client lines and the teaching
    /// server answers them.
    pub fn parse(text: &str, from_session: bool) -> Result<Script, ScriptError> {
        let mut draft = Draft::new(
            "192.0.2.10:40000".parse().expect("an address"),
            "192.0.2.20:110".parse().expect("an address"),
        );
        let answering = from_session.then(AnsweringServer::default);
        let mut sessions = Vec::new();
        let mut link_choice = Link::Ethernet;
        let mut link_set = false;
        let mut next_plan = TurnPlan::default();
        let mut open_turn = false;
        for (index, raw) in text.lines().enumerate() {
            let number = index + 1;
            let fail = |message: String| ScriptError {
                line: number,
                message,
            };
            let line = raw.trim_end_matches('\r');
            if line.trim().is_empty() || line.trim_start().starts_with('#') {
                continue;
            }
            let side_line = |prefix: &str| {
                line.strip_prefix(prefix)
                    .map(|rest| rest.strip_prefix(' ').unwrap_or(rest))
            };
            let data = if let Some(rest) = side_line("C:") {
                Some((Direction::ClientToServer, [rest.as_bytes(), b"\r\n"].concat()))
            } else if let Some(rest) = side_line("S:") {
                Some((Direction::ServerToClient, [rest.as_bytes(), b"\r\n"].concat()))
            } else if let Some(rest) = side_line("C!") {
                Some((
                    Direction::ClientToServer,
                    unescape(rest).map_err(|e| fail(e.to_string()))?,
                ))
            } else if let Some(rest) = side_line("S!") {
                Some((
                    Direction::ServerToClient,
                    unescape(rest).map_err(|e| fail(e.to_string()))?,
                ))
            } else {
                None
            };
            if let Some((dir, bytes)) = data {
                if from_session && dir == Direction::ServerToClient {
                    return Err(fail(
                        "with --from-session the server's lines come from pop3scope's own server: write only C: lines"
                            .to_string(),
                    ));
                }
                // Answered by the server, a client waits for each reply: a line is a turn.
                match draft.turns.last_mut() {
                    Some((last, existing, _)) if open_turn && *last == dir && !from_session => {
                        existing.extend_from_slice(&bytes)
                    }
                    _ => {
                        draft.turns.push((dir, bytes, number));
                        let mut plan = std::mem::take(&mut next_plan);
                        plan.line = number;
                        draft.plans.push(plan);
                    }
                }
                open_turn = true;
                continue;
            }
            open_turn = false;
            let words: Vec<&str> = line.split_whitespace().collect();
            let number_arg = |what: &str| -> Result<usize, ScriptError> {
                words
                    .get(1)
                    .and_then(|w| w.parse::<usize>().ok())
                    .filter(|&n| n > 0)
                    .ok_or_else(|| fail(format!("{what} needs a number (1 or more)")))
            };
            match words.as_slice() {
                ["--"] => {}
                ["next-session"] => {
                    if !next_plan.perturbations.is_empty() {
                        return Err(fail(
                            "a perturbation before next-session applies to no line".to_string(),
                        ));
                    }
                    // The next connection: the same endpoints, the next client port.
                    let previous = &draft.conversation;
                    let mut client = previous.client;
                    client.set_port(client.port().wrapping_add(1).max(1));
                    let mut next = Draft::new(client, previous.server);
                    next.conversation.mss = previous.mss;
                    next.wait_nanos = std::mem::take(&mut next_plan.wait_nanos);
                    sessions.push(std::mem::replace(&mut draft, next).finish(answering.as_ref(), number)?);
                }
                ["client", addr] | ["server", addr] => {
                    let addr: SocketAddr = addr
                        .parse()
                        .map_err(|_| fail(format!("\"{addr}\" is not ADDRESS:PORT")))?;
                    if words[0] == "client" {
                        draft.conversation.client = addr;
                    } else {
                        draft.conversation.server = addr;
                    }
                }
                ["link", _] if link_set => {
                    return Err(fail(
                        "one link type per script: the capture file has one".to_string(),
                    ));
                }
                ["link", name] => {
                    link_set = true;
                    link_choice = link(name).ok_or_else(|| {
                        fail(format!(
                            "no link type \"{name}\": ethernet, sll, sll2, null, loop or raw"
                        ))
                    })?
                }
                ["mss", _] => {
                    let mss = number_arg("mss")?;
                    if mss > 65_000 {
                        return Err(fail("mss is at most 65000".to_string()));
                    }
                    draft.conversation.mss = mss;
                }
                ["mid-session"] => draft.mid_session = true,
                ["end", how] => {
                    draft.conversation.ending = match *how {
                        "fin" => Ending::Fin,
                        "rst" => Ending::Rst,
                        "open" => Ending::Open,
                        _ => return Err(fail(format!("end is fin, rst or open, not \"{how}\""))),
                    }
                }
                ["wait", seconds] => {
                    let seconds: f64 = seconds
                        .parse()
                        .ok()
                        .filter(|s: &f64| s.is_finite() && *s >= 0.0 && *s < 86_400.0)
                        .ok_or_else(|| fail(format!("\"{seconds}\" is not a number of seconds")))?;
                    next_plan.wait_nanos += (seconds * 1e9) as i64;
                }
                ["@drop", _] => next_plan
                    .perturbations
                    .push(Perturbation::Drop(number_arg("@drop")?)),
                ["@duplicate", _] => next_plan
                    .perturbations
                    .push(Perturbation::Duplicate(number_arg("@duplicate")?)),
                ["@reorder"] => next_plan.perturbations.push(Perturbation::Reorder),
                _ => {
                    return Err(fail(format!(
                        "\"{line}\" is not a script line: C: or S: lines, or client, server, link, mss, mid-session, end, wait, @drop, @duplicate, @reorder, --, next-session"
                    )));
                }
            }
        }
        let last_line = text.lines().count().max(1);
        if !next_plan.perturbations.is_empty() {
            return Err(ScriptError {
                line: last_line,
                message: "a perturbation at the end applies to no line".to_string(),
            });
        }
        sessions.push(draft.finish(answering.as_ref(), last_line)?);
        Ok(Script {
            sessions,
            link: link_choice,
        })
    }

    /// The capture, as a pcap file; an error names the line of a perturbation that cannot be
    /// applied (a segment the turn does not have).
    pub fn capture(&self) -> Result<Vec<u8>, ScriptError> {
        let mut clock = START_SECS * 1_000_000_000;
        let mut frames: Vec<OwnedFrame> = Vec::new();
        for session in &self.sessions {
            clock += session.wait_nanos;
            for (nanos, packet) in session.timed(&mut clock)? {
                frames.push(OwnedFrame {
                    ts: Timestamp(nanos),
                    data: synth::frame_bytes(&session.conversation, &packet, &self.link),
                });
            }
        }
        let link_type: LinkType = self.link.link_type();
        Ok(write_pcap(link_type, &frames, DEFAULT_SNAPLEN))
    }
}

impl SessionScript {
    /// The session's packets with their times: each a millisecond after the one before, plus
    /// the waits the script asks for; the turns' perturbations applied.
    fn timed(&self, clock: &mut i64) -> Result<Vec<(i64, TcpPacket)>, ScriptError> {
        let segments = self.conversation.segments();
        let mut ordered: Vec<(i64, TcpPacket)> = Vec::new();
        for packet in segments.opening {
            ordered.push((0, packet));
        }
        for (turn, plan) in segments.turns.into_iter().zip(&self.plans) {
            let (mut data, ack): (Vec<TcpPacket>, Vec<TcpPacket>) =
                turn.into_iter().partition(|p| !p.payload.is_empty());
            for perturbation in &plan.perturbations {
                match perturbation {
                    Perturbation::Drop(n) | Perturbation::Duplicate(n) if *n > data.len() => {
                        return Err(ScriptError {
                            line: plan.line,
                            message: format!(
                                "segment {n} asked, but this turn has {} segment{} (mss {})",
                                data.len(),
                                if data.len() == 1 { "" } else { "s" },
                                self.conversation.mss
                            ),
                        });
                    }
                    Perturbation::Drop(n) => {
                        data.remove(n - 1);
                    }
                    Perturbation::Duplicate(n) => {
                        let copy = data[n - 1].clone();
                        data.insert(*n, copy);
                    }
                    Perturbation::Reorder => data.reverse(),
                }
            }
            let mut wait = plan.wait_nanos;
            for packet in data.into_iter().chain(ack) {
                ordered.push((std::mem::take(&mut wait), packet));
            }
        }
        for packet in segments.closing {
            ordered.push((0, packet));
        }
        Ok(ordered
            .into_iter()
            .map(|(wait, packet)| {
                *clock += wait + PACKET_GAP_NANOS;
                (*clock, packet)
            })
            .collect())
    }
}

/// The teaching server that answers a `--from-session` script: its built-in demo mailboxes,
/// and a fixed greeting timestamp, so the same script makes the same capture.
struct AnsweringServer {
    store: crate::teach::server::store::DemoStore,
    locks: crate::teach::server::store::Locks,
    config: crate::teach::server::ServerConfig,
}

impl Default for AnsweringServer {
    fn default() -> Self {
        AnsweringServer {
            store: Default::default(),
            locks: Default::default(),
            config: crate::teach::server::ServerConfig {
                quirks: Default::default(),
                tls_available: false,
                hostname: "pop3scope.test".to_string(),
            },
        }
    }
}

impl AnsweringServer {
    /// The client's turns, each followed by the server's answer. A line split over turns
    /// (`C!` without a line end) is answered once it is whole; a line after the server closed
    /// is an error.
    fn answer(
        &self,
        client_turns: Vec<Turn>,
        plans: Vec<TurnPlan>,
        mid_session: bool,
    ) -> Result<(Vec<Turn>, Vec<TurnPlan>), ScriptError> {
        use crate::teach::server::session::{ServerSession, Then};
        let mut session = ServerSession::new(&self.store, &self.locks, &self.config, "1.1.1767603600", false);
        let mut turns = Vec::new();
        let mut out_plans = Vec::new();
        if !mid_session {
            turns.push((Direction::ServerToClient, session.greeting(), 0));
            out_plans.push(TurnPlan::default());
        }
        let mut partial: Vec<u8> = Vec::new();
        let mut closed = false;
        for ((_, bytes, line), plan) in client_turns.into_iter().zip(plans) {
            if closed {
                return Err(ScriptError {
                    line,
                    message: "the server closed the connection after QUIT: nothing can follow (next-session starts another)"
                        .to_string(),
                });
            }
            partial.extend_from_slice(&bytes);
            let mut reply = Vec::new();
            while let Some(lf) = partial.iter().position(|&b| b == b'\n') {
                let command: Vec<u8> = partial.drain(..=lf).collect();
                let command = command.strip_suffix(b"\n").unwrap_or(&command);
                let command = command.strip_suffix(b"\r").unwrap_or(command);
                let response = session.line(command);
                reply.extend_from_slice(&response.bytes);
                if response.then == Then::Close {
                    closed = true;
                    break;
                }
            }
            turns.push((Direction::ClientToServer, bytes, line));
            out_plans.push(plan);
            if !reply.is_empty() {
                turns.push((Direction::ServerToClient, reply, line));
                out_plans.push(TurnPlan::default());
            }
        }
        session.disconnected();
        Ok((turns, out_plans))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_script_names_the_line_it_cannot_use() {
        let error = Script::parse("S: +OK\nwiat 2\n", false).unwrap_err();
        assert_eq!(error.line, 2);
        assert!(error.message.contains("is not a script line"), "{error}");
        assert_eq!(Script::parse("mss 0\nS: +OK\n", false).unwrap_err().line, 1);
        assert!(
            Script::parse("S! \\xZZ\n", false)
                .unwrap_err()
                .message
                .contains("not hex")
        );
    }

    #[test]
    fn lines_of_one_side_make_one_turn_until_the_other_side_speaks() {
        let script = Script::parse("S: +OK hi\nC: STAT\nC: LIST\nS: +OK 0 0\n--\nS: +OK\n", false).unwrap();
        assert_eq!(script.sessions[0].plans.len(), 4);
        assert_eq!(
            script.sessions[0].conversation.stream(Direction::ClientToServer),
            b"STAT\r\nLIST\r\n"
        );
    }

    #[test]
    fn escapes_write_any_bytes() {
        assert_eq!(unescape("a\\r\\nb\\x00\\\\").unwrap(), b"a\r\nb\x00\\");
    }

    #[test]
    fn the_same_script_makes_the_same_capture() {
        let text = "S: +OK\nC: QUIT\nS: +OK bye\n";
        assert_eq!(
            Script::parse(text, false).unwrap().capture().unwrap(),
            Script::parse(text, false).unwrap().capture().unwrap()
        );
    }
}
