//! Human text: one line per greeting, command and reply, with the phase and what it means.
//!
//! ```text
//! ── session 1: 127.0.0.1:49112 → 127.0.0.1:110, 2026-11-27T03:36:01.905757Z
//! [1] 03:36:01.906  AUTHORIZATION  S: +OK Dovecot (Debian) ready. <…@vm>   # greeting; offers APOP
//! [1] 03:36:01.907  AUTHORIZATION  C: USER alice   # names the mailbox to log in to (RFC 1939 §7)
//! [1] 03:36:01.907  AUTHORIZATION  S: +OK
//! ```
//!
//! Commands and replies are printed together when the reply is complete, so pipelined commands
//! stay next to their own replies. Wire bytes are escaped; secrets masked unless asked.

use std::io::{self, Write};

use base64::Engine as _;

use crate::base::Direction;
use crate::base::Timestamp;
use crate::base::escape;
use crate::pop3::sasl::{MASK, is_secret_sasl};
use crate::pop3::{Exchange, Greeting, Note, Phase, Status, Verb, capability_meaning};
use crate::session::{SessionEvent, SessionSummary};

use super::{PrintOptions, SessionPrinter, TimeFormat};
use crate::mail::MessageFacts;
use crate::pipeline::EngineStats;

/// Writes session events as text.
pub struct TextPrinter<W: Write> {
    out: W,
    options: PrintOptions,
    error: Option<io::Error>,
    /// The lines being written were read inside TLS, with the key log: each says so.
    decrypted: bool,
    /// The first time written, and the last: for `--time relative` and `delta`.
    first_ts: std::cell::OnceCell<Timestamp>,
    previous_ts: std::cell::Cell<Option<Timestamp>>,
}

const RESET: &str = "\x1b[0m";

fn phase_color(phase: Phase) -> &'static str {
    match phase {
        Phase::Authorization => "\x1b[33m",
        Phase::Transaction => "\x1b[32m",
        Phase::Update => "\x1b[35m",
        Phase::Tls => "\x1b[34m",
        Phase::Unknown => "\x1b[90m",
    }
}

impl<W: Write> TextPrinter<W> {
    /// A printer writing session events to `out` as `options` says.
    pub fn new(out: W, options: PrintOptions) -> Self {
        TextPrinter {
            out,
            options,
            error: None,
            decrypted: false,
            first_ts: std::cell::OnceCell::new(),
            previous_ts: std::cell::Cell::new(None),
        }
    }

    fn paint(&self, color: &str, text: &str) -> String {
        if self.options.color {
            format!("{color}{text}{RESET}")
        } else {
            text.to_string()
        }
    }

    fn prefix(&self, session: u64, ts: Timestamp, phase: Phase, inferred: bool) -> String {
        let name = if inferred {
            format!("{}?", phase.name())
        } else {
            phase.name().to_string()
        };
        format!(
            "[{session}] {}  {}",
            self.clock(ts),
            self.paint(phase_color(phase), &format!("{name:<14}"))
        )
    }

    /// The time column, as `--time` asks.
    fn clock(&self, ts: Timestamp) -> String {
        let first = *self.first_ts.get_or_init(|| ts);
        let previous = self.previous_ts.replace(Some(ts)).unwrap_or(ts);
        match self.options.time {
            TimeFormat::Utc => ts.time_of_day(),
            TimeFormat::Local(offset) => ts
                .plus_nanos(i64::from(offset(ts.secs())) * 1_000_000_000)
                .time_of_day(),
            TimeFormat::Relative => format!("{:>12.6}", ts.seconds_since(first)),
            TimeFormat::Delta => format!("{:>12.6}", ts.seconds_since(previous)),
            TimeFormat::Epoch => format!("{}.{:06}", ts.secs(), ts.subsec_nanos() / 1000),
        }
    }

    fn line(&mut self, prefix: &str, who: &str, text: &str, comment: &str) -> io::Result<()> {
        let who = if who == "C:" {
            self.paint("\x1b[36m", who)
        } else {
            who.to_string()
        };
        let marked;
        let comment = match (self.decrypted, comment.is_empty()) {
            (false, _) => comment,
            (true, true) => "decrypted",
            (true, false) => {
                marked = format!("decrypted · {comment}");
                &marked
            }
        };
        if comment.is_empty() {
            writeln!(self.out, "{prefix} {who} {text}")
        } else {
            let comment = self.paint("\x1b[90m", &format!("# {comment}"));
            writeln!(self.out, "{prefix} {who} {text}   {comment}")
        }
    }

    fn notes(&mut self, session: u64, notes: &[Note]) -> io::Result<()> {
        for note in notes {
            let detail = if note.detail.is_empty() {
                String::new()
            } else {
                format!(" ({})", crate::view::explain::note_detail(note))
            };
            let text = format!("! {}{detail}: {}", note.code.name(), note.code.explanation());
            let text = self.paint("\x1b[33m", &text);
            writeln!(self.out, "[{session}]{:30}{text}", "")?;
        }
        Ok(())
    }

    fn greeting(&mut self, session: u64, greeting: &Greeting) -> io::Result<()> {
        self.decrypted = greeting.decrypted;
        let prefix = self.prefix(session, greeting.at.ts, Phase::Authorization, false);
        let comment = match (greeting.status, &greeting.apop_timestamp) {
            (Status::Ok, Some(_)) => "greeting: ready; the <…> timestamp offers APOP (RFC 1939 §7)",
            (Status::Ok, None) => "greeting: the server is ready (RFC 1939 §4)",
            (Status::Err, _) => "greeting: the server refuses the connection",
        };
        let text = format!("{} {}", greeting.status.as_str(), escape(&greeting.text));
        self.line(&prefix, "S:", text.trim_end(), comment)?;
        self.notes(session, &greeting.notes)
    }

    fn exchange(
        &mut self,
        session: u64,
        exchange: &Exchange,
        message: Option<&MessageFacts>,
    ) -> io::Result<()> {
        let show = self.options.show_secrets;
        self.decrypted = exchange.decrypted;
        if let (Some(command), Some(sent)) = (&exchange.command, exchange.sent) {
            let text = crate::view::explain::command_text(exchange, show);
            let prefix = self.prefix(session, sent.ts, exchange.phase, exchange.inferred);
            self.line(&prefix, "C:", &text, command.verb.meaning())?;
        }
        for (i, sasl) in exchange.sasl.iter().enumerate() {
            let at = sasl.at.ts;
            let prefix = self.prefix(session, at, exchange.phase, exchange.inferred);
            let secret = !show && is_secret_sasl(exchange, i);
            let (who, raw) = match sasl.from {
                Direction::ClientToServer => ("C:", escape(&sasl.data)),
                Direction::ServerToClient => ("S:", format!("+ {}", escape(&sasl.data))),
            };
            let decoded = base64::engine::general_purpose::STANDARD.decode(&sasl.data).ok();
            let (shown, comment) = match (secret, decoded, sasl.from) {
                (true, _, _) => (
                    MASK.to_string(),
                    "SASL response (secret; base64 is not encryption)".to_string(),
                ),
                (false, Some(bytes), Direction::ServerToClient) => {
                    (raw, format!("challenge, base64 for \"{}\"", escape(&bytes)))
                }
                (false, Some(bytes), Direction::ClientToServer) => {
                    (raw, format!("SASL response, base64 for \"{}\"", escape(&bytes)))
                }
                (false, None, _) if sasl.data == b"*" => {
                    (raw, "cancels the SASL exchange (RFC 5034 §4)".to_string())
                }
                (false, None, _) => (raw, "SASL line".to_string()),
            };
            self.line(&prefix, who, &shown, &comment)?;
        }
        match &exchange.reply {
            Some(reply) => {
                let phase = exchange
                    .verb()
                    .map_or(exchange.phase, |verb| crate::pop3::of_reply(exchange.phase, verb));
                let prefix = self.prefix(session, reply.first.ts, phase, exchange.inferred);
                let mut text = format!("{} {}", reply.status.as_str(), escape(&reply.text))
                    .trim_end()
                    .to_string();
                if reply.status == Status::Err {
                    text = self.paint("\x1b[31m", &text);
                }
                let mut comment = Vec::new();
                if let Some(meaning) = reply.code.as_ref().and_then(|c| c.meaning()) {
                    comment.push(format!(
                        "[{}] {meaning}",
                        reply.code.as_ref().map_or("", |c| c.code.as_str())
                    ));
                }
                if let Some(body) = &reply.body {
                    comment.push(format!(
                        "{} line{}, {} octets",
                        body.line_count,
                        if body.line_count == 1 { "" } else { "s" },
                        body.octets
                    ));
                }
                if exchange.phase_after != exchange.phase {
                    comment.push(format!("now {}", exchange.phase_after.name()));
                }
                if exchange.verb() == Some(Verb::Quit) && exchange.phase == Phase::Transaction {
                    comment.push("messages marked by DELE are deleted now (RFC 1939 §6)".to_string());
                }
                self.line(&prefix, "S:", &text, &comment.join("; "))?;
                if let Some(body) = &reply.body {
                    let indent = " ".repeat(format!("[{session}]").len() + 30);
                    let capa = exchange.verb() == Some(Verb::Capa);
                    for line in body.lines().take(self.options.body_lines) {
                        let meaning = capa.then(|| capability_meaning(line)).flatten();
                        match meaning {
                            Some(meaning) => {
                                let comment = self.paint("\x1b[90m", &format!("# {meaning}"));
                                writeln!(self.out, "{indent}| {}   {comment}", escape(line))?
                            }
                            None => writeln!(self.out, "{indent}| {}", escape(line))?,
                        }
                    }
                    let shown = (body.line_count as usize).min(self.options.body_lines);
                    let more = body.line_count as usize - shown;
                    if more > 0 {
                        writeln!(
                            self.out,
                            "{indent}| … {more} more line{}",
                            if more == 1 { "" } else { "s" }
                        )?;
                    }
                    if let Some(message) = message {
                        let summary = self.paint("\x1b[1m", &message_summary(message));
                        writeln!(self.out, "{indent}{summary}")?;
                    }
                }
            }
            None => {
                let at = exchange.sent.map_or(Timestamp::default(), |s| s.ts);
                let prefix = self.prefix(session, at, exchange.phase, exchange.inferred);
                self.line(&prefix, "S:", "(no reply)", "")?;
            }
        }
        self.notes(session, &exchange.notes)
    }

    fn ended(&mut self, summary: &SessionSummary) -> io::Result<()> {
        let mailbox = &summary.mailbox;
        let mut parts = vec![format!(
            "{} exchange{}, {} note{}",
            summary.exchanges,
            if summary.exchanges == 1 { "" } else { "s" },
            summary.notes,
            if summary.notes == 1 { "" } else { "s" }
        )];
        if let Some((client, server)) = summary.tls_bytes {
            parts.push(format!(
                "encrypted: {client} bytes from the client, {server} from the server"
            ));
        }
        if let Some(tls) = &summary.tls {
            parts.push(tls_summary(tls));
        }
        let marked = mailbox.messages.values().filter(|m| m.marked).count();
        if let Some(count) = mailbox.count {
            parts.push(format!(
                "mailbox: {count} message{}",
                if count == 1 { "" } else { "s" }
            ));
        }
        match mailbox.committed {
            Some(true) if marked > 0 => parts.push(format!("{marked} deleted at UPDATE")),
            Some(false) => parts.push(format!(
                "{marked} marked but NOT deleted (no QUIT in TRANSACTION)"
            )),
            _ => {}
        }
        let clear = summary.credentials.iter().filter(|c| c.in_clear()).count();
        if clear > 0 {
            let plural = if clear == 1 { "" } else { "s" };
            parts.push(format!(
                "{clear} password{plural} or token{plural} sent in clear text"
            ));
        }
        let phase = if summary.phase_inferred {
            format!("{}?", summary.phase.name())
        } else {
            summary.phase.name().to_string()
        };
        writeln!(
            self.out,
            "── session {} ended ({}) in {phase}: {}",
            summary.info.id,
            summary.reason.as_str(),
            parts.join("; ")
        )
    }

    fn write(&mut self, event: &SessionEvent<'_>) -> io::Result<()> {
        self.decrypted = false;
        match event {
            SessionEvent::Started(info) => {
                let how = match (info.implicit_tls, info.handshake) {
                    (true, _) => " (implicit TLS: encrypted from the first byte)",
                    (false, false) => " (picked up mid-session)",
                    _ => "",
                };
                // A local time column says its zone where each session starts.
                let zone = match self.options.time {
                    TimeFormat::Local(offset) if offset(info.ts.secs()) != 0 => {
                        let offset = offset(info.ts.secs());
                        let sign = if offset < 0 { '-' } else { '+' };
                        let minutes = offset.unsigned_abs() / 60;
                        format!(" (times in UTC{sign}{:02}:{:02})", minutes / 60, minutes % 60)
                    }
                    _ => String::new(),
                };
                writeln!(
                    self.out,
                    "── session {}: {} → {}, {}{how}{zone}",
                    info.id, info.client, info.server, info.ts
                )
            }
            SessionEvent::Greeting { session, greeting } => self.greeting(*session, greeting),
            SessionEvent::Exchange {
                session,
                exchange,
                message,
                ..
            } => self.exchange(*session, exchange, *message),
            SessionEvent::Credential {
                session, credential, ..
            } => {
                let mut text = format!("credential: {}", credential.mechanism);
                if let Some(user) = &credential.user {
                    text.push_str(&format!(" user \"{}\"", escape(user)));
                }
                if let Some(domain) = &credential.domain {
                    text.push_str(&format!(" domain \"{}\"", escape(domain)));
                }
                if let Some(workstation) = &credential.workstation {
                    text.push_str(&format!(" workstation \"{}\"", escape(workstation)));
                }
                if let Some(secret) = &credential.secret {
                    let kind = if credential.is_digest { "digest" } else { "secret" };
                    let shown = if self.options.show_secrets || credential.is_digest {
                        escape(secret)
                    } else {
                        MASK.to_string()
                    };
                    text.push_str(&format!(", {kind} {shown}"));
                }
                text.push_str(match credential.accepted {
                    Some(true) => " (accepted)",
                    Some(false) => " (refused)",
                    None => " (no reply)",
                });
                let text = self.paint("\x1b[1m", &text);
                writeln!(self.out, "[{session}]{:30}{text}", "")
            }
            SessionEvent::TlsStarted { session, at } => {
                let prefix = self.prefix(*session, at.ts, Phase::Tls, false);
                writeln!(
                    self.out,
                    "{prefix} -- TLS from here on: without its keys (--keylog) only sizes and timing can be seen (RFC 2595 §4)"
                )
            }
            SessionEvent::Note { session, note, .. } => self.notes(*session, std::slice::from_ref(*note)),
            SessionEvent::Ended(summary) => self.ended(summary),
        }
    }
}

impl<W: Write> SessionPrinter for TextPrinter<W> {
    fn finish(mut self, _: &EngineStats) -> io::Result<()> {
        if let Some(error) = self.error.take() {
            return Err(error);
        }
        self.out.flush()
    }
}

impl<W: Write> crate::session::SessionSink for TextPrinter<W> {
    fn event(&mut self, event: SessionEvent<'_>) {
        if self.error.is_none()
            && let Err(error) = self.write(&event)
        {
            self.error = Some(error);
        }
    }
    fn stopped(&self) -> bool {
        self.error.is_some()
    }
}

/// One line about a retrieved message: who from, what about, how big, what is attached.
fn message_summary(message: &MessageFacts) -> String {
    let text = |value: &Option<String>| {
        value
            .as_deref()
            .map_or_else(|| "(none)".to_string(), |v| escape(v.as_bytes()))
    };
    let attachments = match message.attachments {
        0 => "no attachment".to_string(),
        1 => "1 attachment".to_string(),
        n => format!("{n} attachments"),
    };
    let cut = if message.complete { "" } else { " (not all of it)" };
    format!(
        "message: from {}, subject \"{}\", {} octets, {attachments}{cut}",
        text(&message.from),
        text(&message.subject),
        message.octets
    )
}

/// What a TLS handshake showed, in one phrase: version, suite, the name asked for, the
/// certificate's subject, the client's fingerprint.
fn tls_summary(tls: &crate::tls::TlsFacts) -> String {
    let mut words = vec![format!(
        "{}",
        tls.version.as_deref().unwrap_or("TLS (no ServerHello seen)")
    )];
    if let Some(cipher) = &tls.cipher {
        words.push(cipher.clone());
    }
    if let Some(sni) = &tls.sni {
        words.push(format!("SNI {}", escape(sni.as_bytes())));
    }
    if let Some(leaf) = tls.certificates.first() {
        let signed = if leaf.self_signed { ", self-signed" } else { "" };
        words.push(format!("certificate {}{signed}", escape(leaf.subject.as_bytes())));
    }
    if let Some(ja3) = &tls.ja3_hash {
        words.push(format!("JA3 {ja3}"));
    }
    for alert in &tls.alerts {
        words.push(format!("alert {alert}"));
    }
    if let [client, server] = tls.decrypted_records
        && client + server > 0
    {
        words.push(format!(
            "decrypted with the key log: {client} records from the client, {server} from the server"
        ));
    }
    words.join(", ")
}
