//! Timeline: the session layer's events kept for browsing, stepping and explaining.
//!
//! Contract:
//! - [`Recorder`] is a [`SessionSink`] that turns each event into an owned [`Record`]; a
//!   [`Timeline`] takes records in the order they were made and keeps, per session, its
//!   exchanges and its conversation: one [`Line`] per greeting, command, SASL line, reply,
//!   note, TLS switch and end, in wire order (pipelined commands before their replies).
//! - Memory follows the POP3 exchanges, not the bytes: a multi-line reply keeps at most
//!   [`PREVIEW_LINES`] lines and [`PREVIEW_BYTES`] bytes, with its true counts.
//! - The mailbox as it stood at any line is rebuilt from the exchanges' [`MailboxChange`]s.
//! - UI-free: no terminal, no clock, no I/O. The terminal UI and the lessons read it.

use crate::base::Direction;
use crate::base::Timestamp;
use crate::capture::{CaptureError, CaptureReader};
use crate::mail::MessageFacts;
use crate::pipeline::{Config, EngineStats, analyze};
use crate::pop3::{Exchange, Greeting, Note, Phase, Position};
use crate::session::{
    Credential, Mailbox, MailboxChange, SessionEnd, SessionEvent, SessionId, SessionInfo, SessionSink,
    SessionSummary,
};

/// Data lines of one multi-line reply kept for showing.
pub const PREVIEW_LINES: usize = 200;
/// Bytes of one multi-line reply kept for showing.
pub const PREVIEW_BYTES: usize = 16 * 1024;

/// What the timeline learned about an exchange beyond the exchange itself.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ExchangeFacts {
    /// What it changed in the mailbox mirror, in order.
    pub changes: Vec<MailboxChange>,
    /// Sent before the reply to the previous command arrived (RFC 2449 §6.6).
    pub pipelined: bool,
    /// The message a RETR or TOP brought, read from the whole reply (the exchange itself keeps
    /// only a preview of its lines).
    pub message: Option<Box<MessageFacts>>,
}

/// One session event, owned: what a [`Recorder`] hands on.
#[derive(Clone, Debug)]
pub enum Record {
    /// [`SessionEvent::Started`]: a session began.
    Started(SessionInfo),
    /// [`SessionEvent::Greeting`]: the server's greeting.
    Greeting(SessionId, Greeting),
    /// The exchange with its data lines cut to a preview, its mailbox changes, and the message
    /// it retrieved, read before the cut.
    Exchange(
        SessionId,
        Box<Exchange>,
        Vec<MailboxChange>,
        Option<Box<MessageFacts>>,
    ),
    /// [`SessionEvent::Credential`]: a login attempt, secret unmasked.
    Credential(SessionId, Credential),
    /// [`SessionEvent::TlsStarted`]: where the switch to TLS happened.
    TlsStarted(SessionId, Position),
    /// [`SessionEvent::Note`]: a note about the session, with where it was seen.
    Note(SessionId, Note, Position),
    /// [`SessionEvent::Ended`]: the session's summary.
    Ended(Box<SessionSummary>),
}

/// A [`SessionSink`] that hands each event on as an owned [`Record`]: to a channel, a
/// [`Timeline`], a test. `deliver` returns false when nobody wants more.
pub struct Recorder<F> {
    deliver: F,
    stopped: bool,
}

impl<F: FnMut(Record) -> bool> Recorder<F> {
    /// A recorder handing each record to `deliver`; once it returns false the recorder drops
    /// the rest and reports itself stopped.
    pub fn new(deliver: F) -> Self {
        Recorder {
            deliver,
            stopped: false,
        }
    }
}

impl<F: FnMut(Record) -> bool> SessionSink for Recorder<F> {
    fn event(&mut self, event: SessionEvent<'_>) {
        if self.stopped {
            return;
        }
        let record = match event {
            SessionEvent::Started(info) => Record::Started(info.clone()),
            SessionEvent::Greeting { session, greeting } => Record::Greeting(session, greeting.clone()),
            SessionEvent::Exchange {
                session,
                exchange,
                changes,
                message,
            } => Record::Exchange(
                session,
                Box::new(exchange.with_body_preview(PREVIEW_LINES, PREVIEW_BYTES)),
                changes.to_vec(),
                message.cloned().map(Box::new),
            ),
            SessionEvent::Credential {
                session, credential, ..
            } => Record::Credential(session, credential.clone()),
            SessionEvent::TlsStarted { session, at } => Record::TlsStarted(session, at),
            SessionEvent::Note { session, note, at } => Record::Note(session, note.clone(), at),
            SessionEvent::Ended(summary) => Record::Ended(Box::new(summary.clone())),
        };
        self.stopped = !(self.deliver)(record);
    }

    fn stopped(&self) -> bool {
        self.stopped
    }
}

/// What one line of the conversation shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LineKind {
    /// The server's greeting.
    Greeting,
    /// The command of exchange `n` (an index into [`SessionView::exchanges`]).
    Command(usize),
    /// SASL line `line` of exchange `n`.
    Sasl(usize, usize),
    /// The first line of the reply of exchange `n`.
    Reply(usize),
    /// A note about the session, index into [`SessionView::notes`].
    Note(usize),
    /// The switch to TLS: after `+OK` to STLS, or the start of an implicit-TLS session.
    TlsStarted,
    /// The session's end.
    Ended,
}

/// One line of a session's conversation: one greeting, command, SASL line or reply.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Line {
    /// What the line shows.
    pub kind: LineKind,
    /// When its first byte was captured; for a line with no frame, the time of the event.
    pub ts: Timestamp,
    /// Who sent it; `None` for what pop3scope says (notes, the end).
    pub from: Option<Direction>,
    /// Where the line sorts: frame number, then offset in its stream.
    order: (u64, u64),
}

/// How a session ended, as kept for showing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionEnding {
    /// When the connection ended, or the capture did.
    pub ts: Timestamp,
    /// How the session ended.
    pub reason: SessionEnd,
    /// The RFC 1939 state the session was in at the end.
    pub phase: Phase,
    /// Marked messages were not deleted: the session ended without QUIT answered.
    pub uncommitted: bool,
    /// Bytes after the switch to TLS: (client to server, server to client); `None` without TLS.
    pub tls_bytes: Option<(u64, u64)>,
    /// What the TLS handshake showed, for a TLS session.
    pub tls: Option<Box<crate::tls::TlsFacts>>,
}

/// One session: what is known so far.
#[derive(Clone, Debug)]
pub struct SessionView {
    /// What was known at the start.
    pub info: SessionInfo,
    /// The server's greeting; `None` until seen, or if the capture missed it.
    pub greeting: Option<Greeting>,
    /// Each with its data lines cut to a preview.
    pub exchanges: Vec<Exchange>,
    /// One per exchange, in the same order.
    pub facts: Vec<ExchangeFacts>,
    /// Login attempts, in the order sent, secrets unmasked.
    pub credentials: Vec<Credential>,
    /// Notes about the session rather than one exchange, with where each was seen.
    pub notes: Vec<(Note, Position)>,
    /// Where the session switched to TLS (its start for implicit TLS); `None` while plain text.
    pub tls_at: Option<Position>,
    /// `None` while the session is open.
    pub ending: Option<SessionEnding>,
    /// The conversation in wire order: pipelined commands before their replies.
    pub lines: Vec<Line>,
    /// The furthest phase reached, in RFC order: AUTHORIZATION, TRANSACTION, UPDATE.
    pub phase_reached: Phase,
    /// Notes of every kind: on the greeting, on the exchanges and on the session.
    pub note_count: usize,
}

fn phase_rank(phase: Phase) -> u8 {
    match phase {
        Phase::Unknown => 0,
        Phase::Authorization => 1,
        Phase::Tls => 2,
        Phase::Transaction => 3,
        Phase::Update => 4,
    }
}

impl SessionView {
    fn new(info: SessionInfo) -> Self {
        let phase_reached = if info.implicit_tls {
            Phase::Tls
        } else if info.handshake {
            Phase::Authorization
        } else {
            Phase::Unknown
        };
        SessionView {
            info,
            greeting: None,
            exchanges: Vec::new(),
            facts: Vec::new(),
            credentials: Vec::new(),
            notes: Vec::new(),
            tls_at: None,
            ending: None,
            lines: Vec::new(),
            phase_reached,
            note_count: 0,
        }
    }

    /// Whether the key log opened this session's TLS: some line was read inside it.
    pub fn decrypted(&self) -> bool {
        self.greeting.as_ref().is_some_and(|g| g.decrypted) || self.exchanges.iter().any(|e| e.decrypted)
    }

    /// Whether a password or token crossed the network readable (not a digest, not in TLS).
    pub fn cleartext_credentials(&self) -> bool {
        self.credentials.iter().any(Credential::in_clear)
    }

    fn reach(&mut self, phase: Phase) {
        if phase_rank(phase) > phase_rank(self.phase_reached) {
            self.phase_reached = phase;
        }
    }

    /// Puts a line where it belongs in wire order. Lines without a frame (gaps, the end) go
    /// after everything seen so far. Returns the index it took.
    fn insert(&mut self, kind: LineKind, at: Position, from: Option<Direction>) -> usize {
        let order = if at.frame == 0 {
            self.lines.last().map_or((0, 0), |l| l.order)
        } else {
            (at.frame, at.offset)
        };
        let index = self.lines.partition_point(|l| l.order <= order);
        self.lines.insert(
            index,
            Line {
                kind,
                ts: at.ts,
                from,
                order,
            },
        );
        index
    }

    /// The mailbox as it stood once line `line` had been seen: the changes of every reply
    /// up to it, and at the end whether the marks were committed.
    pub fn mailbox_at(&self, line: usize) -> Mailbox {
        let mut mailbox = Mailbox::default();
        for seen in self.lines.iter().take(line.saturating_add(1)) {
            match seen.kind {
                LineKind::Reply(n) => self.facts[n].changes.iter().for_each(|c| mailbox.apply(c)),
                LineKind::Ended if self.ending.as_ref().is_some_and(|e| e.uncommitted) => {
                    mailbox.committed = Some(false);
                }
                _ => {}
            }
        }
        mailbox
    }

    /// The phase in force at a line: the phase the line's exchange was processed in, or after
    /// the last exchange before it.
    pub fn phase_at(&self, line: usize) -> (Phase, bool) {
        let Some(seen) = self.lines.get(line) else {
            return (self.phase_reached, false);
        };
        match seen.kind {
            LineKind::Command(n) | LineKind::Sasl(n, _) => {
                let exchange = &self.exchanges[n];
                (exchange.phase, exchange.inferred)
            }
            LineKind::Reply(n) => {
                let exchange = &self.exchanges[n];
                let phase = match exchange.verb() {
                    Some(verb) => crate::pop3::of_reply(exchange.phase, verb),
                    None => exchange.phase,
                };
                (phase, exchange.inferred)
            }
            LineKind::Greeting => (Phase::Authorization, false),
            LineKind::TlsStarted => (Phase::Tls, false),
            LineKind::Ended => self
                .ending
                .as_ref()
                .map_or((self.phase_reached, false), |e| (e.phase, false)),
            LineKind::Note(_) => self.lines[..line]
                .iter()
                .rev()
                .find_map(|l| match l.kind {
                    LineKind::Reply(n) | LineKind::Command(n) => {
                        Some((self.exchanges[n].phase_after, self.exchanges[n].inferred))
                    }
                    LineKind::TlsStarted => Some((Phase::Tls, false)),
                    _ => None,
                })
                .unwrap_or((
                    if self.info.handshake {
                        Phase::Authorization
                    } else {
                        Phase::Unknown
                    },
                    !self.info.handshake,
                )),
        }
    }

    /// The exchange a line belongs to.
    pub fn exchange_of(&self, line: usize) -> Option<&Exchange> {
        match self.lines.get(line)?.kind {
            LineKind::Command(n) | LineKind::Sasl(n, _) | LineKind::Reply(n) => self.exchanges.get(n),
            _ => None,
        }
    }
}

/// Every session seen so far, with its conversation in wire order.
#[derive(Clone, Debug, Default)]
pub struct Timeline {
    /// In order of first appearance.
    pub sessions: Vec<SessionView>,
}

/// Where a new line went, so a viewer can keep its selection on the same line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Inserted {
    /// Index into [`Timeline::sessions`].
    pub session: usize,
    /// Index into that session's [`SessionView::lines`], valid once the record is pushed.
    pub line: usize,
}

impl Timeline {
    /// The session with the id the session layer gave it.
    fn session_mut(&mut self, id: SessionId) -> Option<&mut SessionView> {
        let index = self.position(id)?;
        self.sessions.get_mut(index)
    }

    fn position(&self, id: SessionId) -> Option<usize> {
        // Ids count up from 1 in order of appearance, so the id is nearly always the place.
        let guess = usize::try_from(id).ok()?.checked_sub(1)?;
        if self.sessions.get(guess).is_some_and(|s| s.info.id == id) {
            return Some(guess);
        }
        self.sessions.iter().position(|s| s.info.id == id)
    }

    /// Takes the next record; returns the lines it added, in the order added.
    pub fn push(&mut self, record: Record) -> Vec<Inserted> {
        let mut inserted = Vec::new();
        let id = match &record {
            Record::Started(info) => info.id,
            Record::Greeting(id, _)
            | Record::Exchange(id, ..)
            | Record::Credential(id, _)
            | Record::TlsStarted(id, _)
            | Record::Note(id, _, _) => *id,
            Record::Ended(summary) => summary.info.id,
        };
        if let Record::Started(info) = record {
            let implicit_tls = info.implicit_tls;
            let at = Position {
                ts: info.ts,
                ..Position::default()
            };
            let mut session = SessionView::new(info);
            // Port 995: the session is encrypted from its first byte, and its first row says so.
            if implicit_tls {
                session.tls_at = Some(at);
                session.insert(LineKind::TlsStarted, at, None);
                inserted.push(Inserted {
                    session: self.sessions.len(),
                    line: 0,
                });
            }
            self.sessions.push(session);
            return inserted;
        }
        let Some(index) = self.position(id) else {
            return inserted;
        };
        let Some(session) = self.session_mut(id) else {
            return inserted;
        };
        let mut add = |session: &mut SessionView, kind, at, from| {
            let line = session.insert(kind, at, from);
            for earlier in &mut inserted {
                if earlier.line >= line {
                    earlier.line += 1;
                }
            }
            inserted.push(Inserted { session: index, line });
        };
        match record {
            // Opened above.
            Record::Started(_) => {}
            Record::Greeting(_, greeting) => {
                session.note_count += greeting.notes.len();
                session.reach(Phase::Authorization);
                let at = greeting.at;
                session.greeting = Some(greeting);
                add(session, LineKind::Greeting, at, Some(Direction::ServerToClient));
            }
            Record::Exchange(_, exchange, changes, message) => {
                let n = session.exchanges.len();
                let pipelined = match (session.exchanges.last(), exchange.sent) {
                    (Some(previous), Some(sent)) => previous
                        .reply
                        .as_ref()
                        .is_some_and(|r| r.first.frame > sent.frame && sent.frame != 0),
                    _ => false,
                };
                session.note_count += exchange.notes.len();
                session.reach(exchange.phase);
                session.reach(exchange.phase_after);
                let sent = exchange.sent;
                let sasl: Vec<_> = exchange.sasl.iter().map(|l| (l.at, l.from)).collect();
                let reply_at = exchange.reply.as_ref().map(|r| r.first);
                session.exchanges.push(*exchange);
                session.facts.push(ExchangeFacts {
                    changes,
                    pipelined,
                    message,
                });
                if let Some(sent) = sent {
                    add(
                        session,
                        LineKind::Command(n),
                        sent,
                        Some(Direction::ClientToServer),
                    );
                }
                for (i, (at, from)) in sasl.into_iter().enumerate() {
                    add(session, LineKind::Sasl(n, i), at, Some(from));
                }
                if let Some(at) = reply_at {
                    add(session, LineKind::Reply(n), at, Some(Direction::ServerToClient));
                } else if sent.is_none() {
                    // A placeholder for a lost command with no reply either: still a row.
                    let at = session.lines.last().map_or_else(Position::default, |l| Position {
                        ts: l.ts,
                        ..Position::default()
                    });
                    add(session, LineKind::Command(n), at, None);
                }
            }
            Record::Credential(_, credential) => session.credentials.push(credential),
            Record::TlsStarted(_, at) => {
                session.tls_at = Some(at);
                session.reach(Phase::Tls);
                add(session, LineKind::TlsStarted, at, None);
            }
            Record::Note(_, note, at) => {
                session.note_count += 1;
                let n = session.notes.len();
                session.notes.push((note, at));
                add(session, LineKind::Note(n), at, None);
            }
            Record::Ended(summary) => {
                let marked = summary.mailbox.messages.values().any(|m| m.marked);
                session.ending = Some(SessionEnding {
                    ts: summary.ts,
                    reason: summary.reason,
                    phase: summary.phase,
                    uncommitted: marked && summary.mailbox.committed == Some(false),
                    tls_bytes: summary.tls_bytes,
                    tls: summary.tls.map(Box::new),
                });
                let at = Position {
                    ts: summary.ts,
                    ..Position::default()
                };
                add(session, LineKind::Ended, at, None);
            }
        }
        inserted
    }

    /// Every line of every session, counted.
    pub fn line_count(&self) -> usize {
        self.sessions.iter().map(|s| s.lines.len()).sum()
    }
}

/// Reads a whole capture into a timeline. A damaged file after some frames keeps what came
/// before; the error is returned beside it.
pub fn load(mut reader: CaptureReader, config: &Config) -> (Timeline, EngineStats, Result<(), CaptureError>) {
    let mut timeline = Timeline::default();
    let mut sessions = config.sessions(Recorder::new(|record| {
        timeline.push(record);
        true
    }));
    let (stats, result) = analyze(&mut reader, config, &mut sessions, || {});
    drop(sessions);
    (timeline, stats, result)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::synth::Conversation;

    fn timeline_of(conversation: Conversation) -> Timeline {
        let reader = CaptureReader::new(std::io::Cursor::new(conversation.to_pcap())).expect("a capture");
        let (timeline, _, result) = load(reader, &Config::default());
        result.expect("the capture reads to the end");
        timeline
    }

    fn talk() -> Conversation {
        Conversation::new(
            "192.0.2.10:40000".parse().unwrap(),
            "192.0.2.20:110".parse().unwrap(),
        )
    }

    /// A session through its greeting and a USER/PASS login: exchanges 1 and 2.
    fn logged_in() -> Conversation {
        talk()
            .server("+OK ready\r\n")
            .client("USER a\r\n")
            .server("+OK\r\n")
            .client("PASS b\r\n")
            .server("+OK\r\n")
    }

    fn shown(session: &SessionView) -> Vec<String> {
        session
            .lines
            .iter()
            .map(|line| match line.kind {
                LineKind::Greeting => "S greeting".to_string(),
                LineKind::Command(n) => format!(
                    "C {}",
                    session.exchanges[n]
                        .command
                        .as_ref()
                        .map_or("?".into(), |c| String::from_utf8_lossy(&c.keyword).into_owned())
                ),
                LineKind::Sasl(n, i) => format!(
                    "{} sasl {n}.{i}",
                    if session.exchanges[n].sasl[i].from == Direction::ClientToServer {
                        "C"
                    } else {
                        "S"
                    }
                ),
                LineKind::Reply(n) => format!("S reply {}", session.exchanges[n].index),
                LineKind::Note(n) => format!("! {}", session.notes[n].0.code.name()),
                LineKind::TlsStarted => "tls".to_string(),
                LineKind::Ended => "end".to_string(),
            })
            .collect()
    }

    #[test]
    fn pipelined_commands_come_before_their_replies_in_wire_order() {
        let conversation = logged_in()
            .client("STAT\r\nLIST 1\r\n")
            .server("+OK 1 10\r\n+OK 1 10\r\n")
            .client("QUIT\r\n")
            .server("+OK bye\r\n");
        let timeline = timeline_of(conversation);
        let session = &timeline.sessions[0];
        assert_eq!(
            shown(session)[5..],
            [
                "C STAT",
                "C LIST",
                "S reply 3",
                "S reply 4",
                "C QUIT",
                "S reply 5",
                "end"
            ]
        );
        assert!(session.facts[3].pipelined, "LIST 1 went before STAT's reply");
        assert!(!session.facts[2].pipelined);
    }

    #[test]
    fn the_mailbox_follows_the_cursor_and_commits_only_at_quit() {
        let conversation = logged_in()
            .client("LIST\r\n")
            .server("+OK\r\n1 10\r\n2 20\r\n.\r\n")
            .client("DELE 1\r\n")
            .server("+OK marked\r\n")
            .client("RSET\r\n")
            .server("+OK\r\n");
        let timeline = timeline_of(conversation);
        let session = &timeline.sessions[0];
        let line_of = |wanted: &str| shown(session).iter().position(|l| l == wanted).expect(wanted);
        let after_dele = session.mailbox_at(line_of("S reply 4"));
        assert!(after_dele.messages[&1].marked);
        assert_eq!(after_dele.messages[&2].size, Some(20));
        let before_dele_reply = session.mailbox_at(line_of("C DELE"));
        assert!(
            !before_dele_reply.messages[&1].marked,
            "DELE counts once its +OK is seen"
        );
        let after_rset = session.mailbox_at(line_of("S reply 5"));
        assert!(!after_rset.messages[&1].marked);
        assert_eq!(session.mailbox_at(session.lines.len() - 1).committed, None);
    }

    #[test]
    fn a_session_without_quit_commits_nothing() {
        let conversation = logged_in().client("DELE 1\r\n").server("+OK\r\n");
        let timeline = timeline_of(conversation);
        let session = &timeline.sessions[0];
        assert!(session.cleartext_credentials());
        assert_eq!(session.phase_reached, Phase::Transaction);
        let end = session.mailbox_at(session.lines.len() - 1);
        assert_eq!(end.committed, Some(false));
        assert!(end.messages[&1].marked);
    }
}
