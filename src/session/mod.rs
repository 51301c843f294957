//! Session: the model every front end reads, built from the flow layer's streams.
//!
//! Contract:
//! - A connection on a POP3 port becomes a session when its first byte (or gap) arrives: a
//!   connection with only SYNs is not a POP3 session (POP3.md §7.13). Sessions are numbered in
//!   order of first appearance.
//! - Each session runs a [`crate::pop3::Decoder`]; its events reach the [`SessionSink`] in order, with what
//!   the session learned from them: the mailbox mirror (numbers, sizes, UIDs, retrieved,
//!   marked, committed at UPDATE or not) and the credentials seen (and whether the server
//!   accepted them). Secrets stay in the model; front ends mask them (see
//!   [`crate::pop3::sasl`]) unless asked not to.
//! - Sizes the server announced are checked against the octets it sent.
//! - No I/O, no clock.

use std::net::SocketAddr;

use crate::base::Timestamp;
use crate::flow::FlowId;
use crate::pop3::{Exchange, Greeting, Note, Phase, Position};

/// A session's number: 1 for the first POP3 session of the capture.
pub type SessionId = u64;

mod driver;
mod mailbox;

pub use driver::Sessions;
pub use mailbox::{Mailbox, MailboxChange, Message};

/// Facts about a session known at its start.
#[derive(Clone, Debug)]
pub struct SessionInfo {
    /// The session's number, in order of first appearance.
    pub id: SessionId,
    /// The connection that carries the session.
    pub flow: FlowId,
    /// The end that opened the connection; without the SYN, the one not on a POP3 port.
    pub client: SocketAddr,
    /// The other end: the POP3 server.
    pub server: SocketAddr,
    /// When the connection's first segment was captured.
    pub ts: Timestamp,
    /// The capture has the TCP handshake.
    pub handshake: bool,
    /// TLS from the first byte (port 995).
    pub implicit_tls: bool,
}

/// A login attempt seen on the wire.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Credential {
    /// `USER/PASS`, `APOP`, `AUTH PLAIN`, `AUTH LOGIN`, `AUTH CRAM-MD5`, `AUTH XOAUTH2`, …
    pub mechanism: String,
    /// The user name as sent; `None` if the command or SASL exchange carried none.
    pub user: Option<Vec<u8>>,
    /// The user's domain, when the mechanism names one (NTLM).
    pub domain: Option<Vec<u8>>,
    /// The client machine's name, when the mechanism names it (NTLM).
    pub workstation: Option<Vec<u8>>,
    /// The password or token as decoded; for APOP and CRAM-MD5 the digest.
    pub secret: Option<Vec<u8>>,
    /// The secret is a digest, not the password itself (still open to offline guessing).
    pub is_digest: bool,
    /// Whether the server said +OK; `None` if no reply was seen.
    pub accepted: Option<bool>,
    /// The exchange that carried it.
    pub exchange: u32,
    /// It was sent inside TLS, and read only because the key log opened it.
    pub decrypted: bool,
}

impl Credential {
    /// Whether anyone on the path could read the password or token: not a digest, and not
    /// inside TLS.
    pub fn in_clear(&self) -> bool {
        !self.is_digest && self.secret.is_some() && !self.decrypted
    }
}

/// How a session ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum SessionEnd {
    /// The server answered QUIT.
    Quit,
    /// The connection closed (FIN) without QUIT answered.
    Fin,
    /// The connection was reset.
    Rst,
    /// The capture ended while the connection was open.
    Eof,
    /// No packet for the idle timeout.
    Idle,
    /// Dropped to make room for newer connections.
    Evicted,
}

impl SessionEnd {
    /// The name JSON and the text output use: `quit`, `fin`, `rst`, `eof`, `idle`, `evicted`.
    pub fn as_str(self) -> &'static str {
        match self {
            SessionEnd::Quit => "quit",
            SessionEnd::Fin => "fin",
            SessionEnd::Rst => "rst",
            SessionEnd::Eof => "eof",
            SessionEnd::Idle => "idle",
            SessionEnd::Evicted => "evicted",
        }
    }
}

impl serde::Serialize for SessionEnd {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

/// Everything known about a session when it ends.
#[derive(Clone, Debug)]
pub struct SessionSummary {
    /// What was known at the start, as in [`SessionEvent::Started`].
    pub info: SessionInfo,
    /// When the connection closed, was reset, went idle or was evicted, or the capture ended.
    pub ts: Timestamp,
    /// How the session ended; QUIT answered wins over how the connection closed.
    pub reason: SessionEnd,
    /// The RFC 1939 state the session was in at the end.
    pub phase: Phase,
    /// The capture started mid-session, so `phase` was inferred rather than followed from the
    /// greeting.
    pub phase_inferred: bool,
    /// Exchanges completed in the session.
    pub exchanges: u32,
    /// Notes raised in the session: on the greeting, on exchanges and on the session itself.
    pub notes: u32,
    /// The mailbox as the session left it.
    pub mailbox: Mailbox,
    /// Every login attempt, in the order sent.
    pub credentials: Vec<Credential>,
    /// Bytes after the switch to TLS: (client to server, server to client).
    pub tls_bytes: Option<(u64, u64)>,
    /// What the TLS handshake showed (version, suite, SNI, certificates…), for a TLS session.
    pub tls: Option<crate::tls::TlsFacts>,
}

/// What the session layer tells front ends.
#[derive(Clone, Copy, Debug)]
#[non_exhaustive]
pub enum SessionEvent<'a> {
    /// A session began: its connection's first byte or gap arrived. Always the session's first
    /// event.
    Started(&'a SessionInfo),
    /// The server's greeting was decoded.
    Greeting {
        /// The session it belongs to.
        session: SessionId,
        /// The greeting, with its notes.
        greeting: &'a Greeting,
    },
    /// An exchange completed: a command with its reply, or one of the two alone when the
    /// capture lost the other. Emitted before the exchange's [`SessionEvent::Credential`].
    Exchange {
        /// The session it belongs to.
        session: SessionId,
        /// The exchange, with the notes the session layer added (cleartext password, size
        /// mismatch, broken MIME, TOP cut short).
        exchange: &'a Exchange,
        /// What the exchange changed in the mailbox mirror, in order.
        changes: &'a [MailboxChange],
        /// The message a RETR or TOP brought, read once here for every front end.
        message: Option<&'a crate::mail::MessageFacts>,
    },
    /// An exchange carried a login attempt (`PASS`, `APOP` or `AUTH`); follows that exchange's
    /// [`SessionEvent::Exchange`].
    Credential {
        /// The session it belongs to.
        session: SessionId,
        /// The attempt, secret unmasked.
        credential: &'a Credential,
        /// Where the command was sent; the default position if the capture lost it.
        at: Position,
    },
    /// The server said `+OK` to STLS: from the next byte both directions are TLS and only
    /// sizes can be seen (RFC 2595 §4).
    TlsStarted {
        /// The session it belongs to.
        session: SessionId,
        /// Where the server's `+OK` to STLS was.
        at: Position,
    },
    /// Something about the session rather than one exchange, such as bytes skipped or a
    /// partial line at the end.
    Note {
        /// The session it belongs to.
        session: SessionId,
        /// What was seen.
        note: &'a Note,
        /// Where it was seen.
        at: Position,
    },
    /// The session's connection closed or the capture ended. Always the session's last event.
    Ended(&'a SessionSummary),
}

/// A [`SessionEvent`] that owns what it carries: for handing events to another thread (the
/// workers of [`crate::pipeline::analyze_parallel`] to the one that prints).
#[derive(Clone, Debug)]
pub enum OwnedSessionEvent {
    /// [`SessionEvent::Started`].
    Started(SessionInfo),
    /// [`SessionEvent::Greeting`].
    Greeting(SessionId, Greeting),
    /// [`SessionEvent::Exchange`].
    Exchange(
        SessionId,
        Box<(Exchange, Vec<MailboxChange>, Option<crate::mail::MessageFacts>)>,
    ),
    /// [`SessionEvent::Credential`].
    Credential(SessionId, Credential, Position),
    /// [`SessionEvent::TlsStarted`].
    TlsStarted(SessionId, Position),
    /// [`SessionEvent::Note`].
    Note(SessionId, Note, Position),
    /// [`SessionEvent::Ended`].
    Ended(Box<SessionSummary>),
}

impl OwnedSessionEvent {
    /// A copy of `event`.
    pub fn new(event: SessionEvent<'_>) -> Self {
        match event {
            SessionEvent::Started(info) => Self::Started(info.clone()),
            SessionEvent::Greeting { session, greeting } => Self::Greeting(session, greeting.clone()),
            SessionEvent::Exchange {
                session,
                exchange,
                changes,
                message,
            } => Self::Exchange(
                session,
                Box::new((exchange.clone(), changes.to_vec(), message.cloned())),
            ),
            SessionEvent::Credential {
                session,
                credential,
                at,
            } => Self::Credential(session, credential.clone(), at),
            SessionEvent::TlsStarted { session, at } => Self::TlsStarted(session, at),
            SessionEvent::Note { session, note, at } => Self::Note(session, note.clone(), at),
            SessionEvent::Ended(summary) => Self::Ended(Box::new(summary.clone())),
        }
    }

    /// The session it belongs to.
    pub fn session(&self) -> SessionId {
        match self {
            Self::Started(info) => info.id,
            Self::Ended(summary) => summary.info.id,
            Self::Greeting(session, ..)
            | Self::Exchange(session, ..)
            | Self::Credential(session, ..)
            | Self::TlsStarted(session, ..)
            | Self::Note(session, ..) => *session,
        }
    }

    /// Gives the event the session number `id`.
    pub fn renumber(&mut self, id: SessionId) {
        match self {
            Self::Started(info) => info.id = id,
            Self::Ended(summary) => summary.info.id = id,
            Self::Greeting(session, ..)
            | Self::Exchange(session, ..)
            | Self::Credential(session, ..)
            | Self::TlsStarted(session, ..)
            | Self::Note(session, ..) => *session = id,
        }
    }

    /// The event, borrowed.
    pub fn as_event(&self) -> SessionEvent<'_> {
        match self {
            Self::Started(info) => SessionEvent::Started(info),
            Self::Greeting(session, greeting) => SessionEvent::Greeting {
                session: *session,
                greeting,
            },
            Self::Exchange(session, exchange) => SessionEvent::Exchange {
                session: *session,
                exchange: &exchange.0,
                changes: &exchange.1,
                message: exchange.2.as_ref(),
            },
            Self::Credential(session, credential, at) => SessionEvent::Credential {
                session: *session,
                credential,
                at: *at,
            },
            Self::TlsStarted(session, at) => SessionEvent::TlsStarted {
                session: *session,
                at: *at,
            },
            Self::Note(session, note, at) => SessionEvent::Note {
                session: *session,
                note,
                at: *at,
            },
            Self::Ended(summary) => SessionEvent::Ended(summary),
        }
    }
}

/// Receives the session layer's events.
pub trait SessionSink {
    /// Takes one event; a session's events arrive in order, from `Started` to `Ended`.
    fn event(&mut self, event: SessionEvent<'_>);
    /// True once the sink can take no more; the engine then stops reading.
    fn stopped(&self) -> bool {
        false
    }
}

/// Options of the session layer.
#[derive(Clone, Debug)]
pub struct SessionConfig {
    /// Ports whose connections are TLS from the first byte.
    pub implicit_tls_ports: Vec<u16>,
    /// The most bytes of one multi-line reply kept in memory.
    pub max_body: usize,
    /// Stop reading once this many exchanges are complete (`sniff -c`).
    pub stop_after_exchanges: Option<u64>,
    /// The most heap memory the state of all sessions together may hold (decoders and mailbox
    /// mirrors); the session that goes over gives up what it can ([`crate::pop3::Decoder::relieve`]).
    pub max_held: usize,
    /// Connections whose server is not on one of these ports are POP3 only if their first
    /// lines say so ([`crate::pop3::detect`]); `None`: every connection handed over is POP3.
    pub detect_beyond: Option<Vec<u16>>,
    /// Secrets to decrypt TLS sessions with (`--keylog`): the POP3 inside is decoded as if
    /// it were plain text, and marked decrypted.
    pub keylog: Option<std::sync::Arc<crate::tls::KeyLog>>,
}

/// How much a session layer has seen.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SessionCounts {
    /// Sessions started.
    pub sessions: u64,
    /// Exchanges completed.
    pub exchanges: u64,
}

impl Default for SessionConfig {
    fn default() -> Self {
        SessionConfig {
            implicit_tls_ports: vec![995],
            max_body: 1 << 20,
            stop_after_exchanges: None,
            max_held: 32 << 20,
            detect_beyond: None,
            keylog: None,
        }
    }
}
