//! What a row of the conversation says and what it means, as plain text: the row itself, and
//! the detail of a row (command, reply, data, notes, packets, bytes). UI-free: the terminal
//! view draws it, lessons print it. Wire bytes pass through [`escape`]; secrets are masked
//! unless `show_secrets`.

use base64::Engine as _;

use crate::base::escape;
use crate::base::{Direction, Lang};
use crate::pop3::Exchange;
use crate::pop3::sasl::MASK;
use crate::pop3::{Note, Phase, Status, Verb, capability_meaning};
use crate::session::SessionEnd;
use crate::view::timeline::{LineKind, SessionView};

/// How a detail line is meant to look.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tone {
    /// The title of a section: `COMMAND`, `REPLY`, `NOTES`, …
    Heading,
    /// Explanation in pop3scope's words.
    Plain,
    /// Bytes as they were on the wire (escaped).
    Wire,
    /// Secondary facts: frame numbers, how much was left out.
    Quiet,
    /// Something wrong or risky: a note, a missing reply, deletions that did not happen.
    Warning,
    /// An outcome as the protocol intends it, such as marked messages deleted at UPDATE.
    Good,
}

/// The lines of a detail pane, in order, each with how it is meant to look.
pub type Detail = Vec<(Tone, String)>;

/// A detail without pop3scope's explanations (the plain-text meanings): only what the capture
/// holds — headings, wire text, frames, bytes, warnings. For a screen where a question waits.
pub fn without_explanations(detail: Detail) -> Detail {
    detail
        .into_iter()
        .filter(|(tone, _)| *tone != Tone::Plain)
        .collect()
}

/// Bytes of a row shown in the hex dump at most.
const HEX_LIMIT: usize = 512;

/// The command line as shown: escaped, secrets masked.
pub fn command_text(exchange: &Exchange, show_secrets: bool) -> String {
    let Some(command) = &exchange.command else {
        let lost = exchange
            .notes
            .iter()
            .any(|n| n.code == crate::pop3::NoteCode::GapInCommands);
        return if lost {
            words(Lang::En).command_lost.to_string()
        } else {
            words(Lang::En).no_command.to_string()
        };
    };
    let mut text = escape(&command.keyword);
    for (i, arg) in command.args.iter().enumerate() {
        text.push(' ');
        if show_secrets || !crate::pop3::sasl::is_secret_arg(command, i) {
            text.push_str(&escape(arg));
        } else {
            text.push_str(MASK);
        }
    }
    text
}

/// The words of the rows a screen shows, in each language.
struct Words {
    command_lost: &'static str,
    no_command: &'static str,
    no_reply: &'static str,
    end: &'static str,
    tls_implicit: &'static str,
    tls_here: &'static str,
    end_reasons: [&'static str; 6],
}

fn words(lang: Lang) -> Words {
    match lang {
        Lang::En => Words {
            command_lost: "(command lost in a gap of the capture)",
            no_command: "(no command: the server spoke on its own)",
            no_reply: "(no reply)",
            end: "end",
            tls_implicit: "── TLS from the first byte (port 995): everything is encrypted ──",
            tls_here: "── TLS from here: the rest is encrypted ──",
            end_reasons: [
                "the server answered QUIT",
                "the connection closed (FIN) without QUIT answered",
                "the connection was reset (RST)",
                "the capture ended while the connection was open",
                "the connection went idle and was closed by pop3scope",
                "pop3scope had to drop the connection (too many open)",
            ],
        },
        Lang::Zh => Words {
            command_lost: "（命令丢失在抓包的缺口里）",
            no_command: "（没有命令：服务器主动发出）",
            no_reply: "（没有回复）",
            end: "结束",
            tls_implicit: "── 从第一个字节起就是 TLS（端口 995）：全部加密 ──",
            tls_here: "── 从这里起是 TLS：其余内容全部加密 ──",
            end_reasons: [
                "服务器回复了 QUIT",
                "连接已关闭（FIN），QUIT 没有得到回复",
                "连接被重置（RST）",
                "抓包结束时连接仍然打开",
                "连接空闲，被 pop3scope 关闭",
                "打开的连接太多，pop3scope 只好放弃这个连接",
            ],
        },
    }
}

fn reply_text(exchange: &Exchange, lang: Lang) -> String {
    match &exchange.reply {
        Some(reply) => format!("{} {}", reply.status.as_str(), escape(&reply.text))
            .trim_end()
            .to_string(),
        None => words(lang).no_reply.to_string(),
    }
}

fn sasl_text(exchange: &Exchange, index: usize, show_secrets: bool) -> String {
    let line = &exchange.sasl[index];
    match line.from {
        Direction::ServerToClient => format!("+ {}", escape(&line.data)).trim_end().to_string(),
        Direction::ClientToServer if show_secrets || !crate::pop3::sasl::is_secret_sasl(exchange, index) => {
            escape(&line.data)
        }
        Direction::ClientToServer => MASK.to_string(),
    }
}

/// How a session ended, in words.
fn end_reason(reason: SessionEnd, lang: Lang) -> &'static str {
    let index = match reason {
        SessionEnd::Quit => 0,
        SessionEnd::Fin => 1,
        SessionEnd::Rst => 2,
        SessionEnd::Eof => 3,
        SessionEnd::Idle => 4,
        _ => 5,
    };
    words(lang).end_reasons[index]
}

/// The text of one conversation row, in English.
pub fn line_text(session: &SessionView, line: usize, show_secrets: bool) -> String {
    line_text_in(session, line, show_secrets, Lang::En)
}

/// The text of one conversation row: the wire's bytes escaped, pop3scope's own words in `lang`.
pub fn line_text_in(session: &SessionView, line: usize, show_secrets: bool, lang: Lang) -> String {
    let w = words(lang);
    let Some(seen) = session.lines.get(line) else {
        return String::new();
    };
    match seen.kind {
        LineKind::Greeting => session.greeting.as_ref().map_or_else(String::new, |g| {
            format!("{} {}", g.status.as_str(), escape(&g.text))
                .trim_end()
                .to_string()
        }),
        LineKind::Command(n) => {
            let exchange = &session.exchanges[n];
            match (&exchange.command, lang) {
                (None, Lang::Zh) => {
                    let lost = exchange
                        .notes
                        .iter()
                        .any(|n| n.code == crate::pop3::NoteCode::GapInCommands);
                    (if lost { w.command_lost } else { w.no_command }).to_string()
                }
                _ => command_text(exchange, show_secrets),
            }
        }
        LineKind::Sasl(n, i) => sasl_text(&session.exchanges[n], i, show_secrets),
        LineKind::Reply(n) => {
            let exchange = &session.exchanges[n];
            let mut text = reply_text(exchange, lang);
            if let Some(body) = exchange.reply.as_ref().and_then(|r| r.body.as_ref()) {
                let count = body.line_count;
                match lang {
                    Lang::En => {
                        let s = if count == 1 { "" } else { "s" };
                        text.push_str(&format!("  [+{count} line{s}]"));
                    }
                    Lang::Zh => text.push_str(&format!("  [另有 {count} 行]")),
                }
            }
            text
        }
        LineKind::Note(n) => {
            let (note, _) = &session.notes[n];
            if note.detail.is_empty() {
                format!("! {}", note.code.name())
            } else {
                format!("! {} ({})", note.code.name(), note_detail(note))
            }
        }
        LineKind::TlsStarted if session.info.implicit_tls => w.tls_implicit.to_string(),
        LineKind::TlsStarted => w.tls_here.to_string(),
        LineKind::Ended => match &session.ending {
            Some(ending) => match lang {
                Lang::En => format!("── {}: {} ──", w.end, end_reason(ending.reason, lang)),
                Lang::Zh => format!("── {}：{} ──", w.end, end_reason(ending.reason, lang)),
            },
            None => format!("── {} ──", w.end),
        },
    }
}

/// Bytes of a note's detail shown on a terminal at most; the rest is `…`.
const NOTE_DETAIL_SHOWN: usize = 60;

/// A note's detail as a terminal shows it: escaped, and cut after [`NOTE_DETAIL_SHOWN`] bytes
/// (JSON keeps it whole and exact).
pub fn note_detail(note: &Note) -> String {
    let shown = &note.detail[..note.detail.len().min(NOTE_DETAIL_SHOWN)];
    let mut text = escape(shown);
    if note.detail.len() > shown.len() {
        text.push('…');
    }
    text
}

fn phases_allowing(verb: Verb) -> String {
    let allowed: Vec<&str> = [Phase::Authorization, Phase::Transaction]
        .into_iter()
        .filter(|p| crate::pop3::allows(*p, verb))
        .map(Phase::name)
        .collect();
    if allowed.is_empty() {
        "no phase: servers answer -ERR".to_string()
    } else {
        allowed.join(", ")
    }
}

fn status_meaning(status: Status) -> &'static str {
    match status {
        Status::Ok => "+OK: the command succeeded",
        Status::Err => "-ERR: the command failed; the session stays in the same phase",
    }
}

fn millis(from: crate::base::Timestamp, to: crate::base::Timestamp) -> String {
    format!("{:.3} ms", to.seconds_since(from) * 1000.0)
}

/// Where bytes sit in one direction's stream, as Wireshark counts: relative sequence number
/// and length.
fn stream_range(session: &SessionView, start: u64, end: u64) -> String {
    let len = end.saturating_sub(start);
    if session.info.handshake {
        format!("seq {}, len {len}", start + 1)
    } else {
        format!("byte {start} of the captured stream (no SYN seen), len {len}")
    }
}

/// The wire bytes of an exchange's command line: as captured, or rebuilt when the decoder did
/// not keep them (a command made by hand).
fn command_wire(exchange: &Exchange) -> Vec<u8> {
    let mut bytes = Vec::new();
    if let Some(command) = &exchange.command {
        if !command.wire.is_empty() {
            return command.wire.clone();
        }
        bytes.extend_from_slice(&command.keyword);
        for arg in &command.args {
            bytes.push(b' ');
            bytes.extend_from_slice(arg);
        }
        bytes.extend_from_slice(b"\r\n");
    }
    bytes
}

/// The wire bytes of a reply: the status line, and the kept data lines stuffed again.
fn reply_wire(exchange: &Exchange) -> Vec<u8> {
    let mut bytes = Vec::new();
    if let Some(reply) = &exchange.reply {
        bytes.extend_from_slice(reply.status.as_str().as_bytes());
        if !reply.text.is_empty() {
            bytes.push(b' ');
            bytes.extend_from_slice(&reply.text);
        }
        bytes.extend_from_slice(b"\r\n");
        if let Some(body) = &reply.body {
            for line in body.lines() {
                if line.first() == Some(&b'.') {
                    bytes.push(b'.');
                }
                bytes.extend_from_slice(line);
                bytes.extend_from_slice(b"\r\n");
            }
            if body.hidden_lines() == 0 {
                bytes.extend_from_slice(b".\r\n");
            }
        }
    }
    bytes
}

/// Rows of `per_row` bytes: offset, hex, and the printable ASCII.
pub fn hex_dump(bytes: &[u8], per_row: usize) -> Vec<String> {
    let per_row = per_row.max(1);
    let hex_width = per_row * 3 - 1;
    bytes
        .chunks(per_row)
        .enumerate()
        .map(|(row, chunk)| {
            let hex: Vec<String> = chunk.iter().map(|b| format!("{b:02x}")).collect();
            let ascii: String = chunk
                .iter()
                .map(|&b| if (0x20..0x7f).contains(&b) { b as char } else { '.' })
                .collect();
            format!("{:04x}  {:<hex_width$}  {ascii}", row * per_row, hex.join(" "))
        })
        .collect()
}

fn push_hex(detail: &mut Detail, bytes: &[u8], per_row: usize) {
    for row in hex_dump(&bytes[..bytes.len().min(HEX_LIMIT)], per_row) {
        detail.push((Tone::Wire, row));
    }
    if bytes.len() > HEX_LIMIT {
        detail.push((Tone::Quiet, format!("… {} more bytes", bytes.len() - HEX_LIMIT)));
    }
}

/// How the detail of a row is shown.
#[derive(Clone, Copy, Debug, Default)]
pub struct DetailOptions {
    /// Show passwords and tokens instead of masking them.
    pub show_secrets: bool,
    /// Data lines as sent (dot-stuffed) rather than their meaning.
    pub wire_view: bool,
    /// The reply is not to be seen yet (a lesson asks to predict it): nothing of it, nor the
    /// phase it leads to, is shown.
    pub hide_reply: bool,
    /// Bytes per row of the hex dump (16 when there is room, else 8).
    pub bytes_per_row: usize,
}

/// The detail pane for a line: what it is, what it means, where it came from.
pub fn detail(session: &SessionView, line: usize, options: DetailOptions) -> Detail {
    let DetailOptions {
        show_secrets,
        hide_reply,
        ..
    } = options;
    let mut out: Detail = Vec::new();
    let Some(seen) = session.lines.get(line) else {
        out.push((Tone::Quiet, "No POP3 yet.".to_string()));
        return out;
    };
    match seen.kind {
        LineKind::Greeting => {
            if let Some(greeting) = &session.greeting {
                out.push((Tone::Heading, "GREETING (RFC 1939 §4)".to_string()));
                out.push((Tone::Wire, line_text(session, line, show_secrets)));
                let meaning = match (greeting.status, &greeting.apop_timestamp) {
                    (Status::Ok, Some(_)) => {
                        "The server is ready; the session is in AUTHORIZATION. The <…> timestamp offers APOP login (RFC 1939 §7)."
                    }
                    (Status::Ok, None) => "The server is ready; the session is in AUTHORIZATION.",
                    (Status::Err, _) => "The server refuses the connection.",
                };
                out.push((Tone::Plain, meaning.to_string()));
                notes(&mut out, &greeting.notes);
                out.push((Tone::Heading, "PACKETS".to_string()));
                out.push((Tone::Plain, format!("frame {}", greeting.at.frame)));
            }
        }
        LineKind::Command(n) | LineKind::Sasl(n, _) | LineKind::Reply(n) => {
            let exchange = &session.exchanges[n];
            let unanswered;
            let exchange = if hide_reply {
                unanswered = Exchange {
                    reply: None,
                    notes: Vec::new(),
                    phase_after: exchange.phase,
                    missing_bytes: 0,
                    ..exchange.clone()
                };
                &unanswered
            } else {
                exchange
            };
            let pipelined = session.facts[n].pipelined;
            exchange_detail(&mut out, session, exchange, pipelined, seen.kind, options);
        }
        LineKind::Note(n) => {
            let (note, at) = &session.notes[n];
            out.push((Tone::Heading, format!("NOTE {}", note.code.name())));
            out.push((Tone::Plain, note.code.explanation().to_string()));
            if !note.detail.is_empty() {
                out.push((Tone::Plain, format!("here: {}", note_detail(note))));
            }
            if at.frame != 0 {
                out.push((Tone::Quiet, format!("frame {}", at.frame)));
            }
        }
        LineKind::TlsStarted => {
            out.push((Tone::Heading, "TLS".to_string()));
            let how = if session.info.implicit_tls {
                "On port 995 the session is TLS from its first byte (implicit TLS, RFC 8314): the greeting, commands, replies and passwords are all encrypted."
            } else {
                "After +OK to STLS both sides speak TLS (RFC 2595 §4): from here commands, replies and passwords are encrypted."
            };
            out.push((Tone::Plain, how.to_string()));
            out.push((
                Tone::Plain,
                "Still visible to anyone on the path: the addresses and ports, when each side talks, and how many bytes."
                    .to_string(),
            ));
            if let Some((client, server)) = session.ending.as_ref().and_then(|e| e.tls_bytes) {
                out.push((
                    Tone::Plain,
                    format!("encrypted bytes: {client} from the client, {server} from the server"),
                ));
            }
        }
        LineKind::Ended => {
            out.push((Tone::Heading, "SESSION END".to_string()));
            if let Some(ending) = &session.ending {
                out.push((Tone::Plain, end_reason(ending.reason, Lang::En).to_string()));
                out.push((Tone::Plain, format!("final phase: {}", ending.phase.name())));
                let mailbox = session.mailbox_at(line);
                let marked: Vec<String> = mailbox
                    .messages
                    .iter()
                    .filter(|(_, m)| m.marked)
                    .map(|(n, _)| n.to_string())
                    .collect();
                match (mailbox.committed, marked.is_empty()) {
                    (Some(true), false) => out.push((
                        Tone::Good,
                        format!("UPDATE: messages {} deleted (RFC 1939 §6)", marked.join(", ")),
                    )),
                    (Some(false), _) => out.push((
                        Tone::Warning,
                        format!(
                            "messages {} stay on the server: no QUIT was answered in TRANSACTION (RFC 1939 §6)",
                            marked.join(", ")
                        ),
                    )),
                    _ => {}
                }
            }
        }
    }
    out
}

fn notes(out: &mut Detail, notes: &[crate::pop3::Note]) {
    if notes.is_empty() {
        return;
    }
    out.push((Tone::Heading, "NOTES".to_string()));
    for note in notes {
        let detail = if note.detail.is_empty() {
            String::new()
        } else {
            format!(" ({})", note_detail(note))
        };
        out.push((Tone::Warning, format!("! {}{detail}", note.code.name())));
        out.push((Tone::Plain, format!("  {}", note.code.explanation())));
    }
}

fn exchange_detail(
    out: &mut Detail,
    session: &SessionView,
    exchange: &Exchange,
    pipelined: bool,
    kind: LineKind,
    options: DetailOptions,
) {
    let DetailOptions {
        show_secrets,
        wire_view,
        bytes_per_row,
        hide_reply,
    } = options;
    let inferred = if exchange.inferred { " (inferred)" } else { "" };
    let change = if exchange.phase_after != exchange.phase {
        format!(" → {}", exchange.phase_after.name())
    } else {
        String::new()
    };
    let pipelined = if pipelined {
        " · pipelined: sent before the previous reply arrived"
    } else {
        ""
    };
    out.push((
        Tone::Heading,
        format!(
            "EXCHANGE {} · {}{inferred}{change}{pipelined}",
            exchange.index,
            exchange.phase.name()
        ),
    ));

    out.push((Tone::Heading, "COMMAND".to_string()));
    out.push((Tone::Wire, command_text(exchange, show_secrets)));
    if let Some(command) = &exchange.command {
        out.push((
            Tone::Plain,
            format!("{} {}", command.verb.name(), command.verb.meaning()),
        ));
        if let Some(initial) = command.args.get(1).filter(|_| command.verb == Verb::Auth) {
            let decoded = if show_secrets {
                base64::engine::general_purpose::STANDARD
                    .decode(initial)
                    .map_or_else(
                        |_| "not base64".to_string(),
                        |bytes| format!("\"{}\"", escape(&bytes)),
                    )
            } else {
                "a secret (masked)".to_string()
            };
            out.push((Tone::Wire, format!("initial response, base64 for {decoded}")));
        }
        let allowed = crate::pop3::allows(exchange.phase, command.verb);
        // Whether the phase allows it would give away a reply the class must predict.
        let verdict = match (exchange.phase, allowed) {
            _ if hide_reply => String::new(),
            (Phase::Unknown | Phase::Tls, _) => String::new(),
            (phase, true) => format!(" · sent in {}: allowed", phase.name()),
            (phase, false) => format!(" · sent in {}: NOT allowed", phase.name()),
        };
        out.push((
            Tone::Plain,
            format!("allowed in: {}{verdict}", phases_allowing(command.verb)),
        ));
    }

    if !exchange.sasl.is_empty() {
        out.push((
            Tone::Heading,
            "SASL (RFC 5034 §4; base64 is an encoding, not encryption)".to_string(),
        ));
        for (i, line) in exchange.sasl.iter().enumerate() {
            let who = if line.from == Direction::ClientToServer {
                "C"
            } else {
                "S"
            };
            let secret = !show_secrets && crate::pop3::sasl::is_secret_sasl(exchange, i);
            let decoded = base64::engine::general_purpose::STANDARD.decode(&line.data).ok();
            let shown = sasl_text(exchange, i, show_secrets);
            let meaning = match (secret, decoded) {
                (true, _) => "secret (masked)".to_string(),
                (false, Some(bytes)) => format!("decoded: \"{}\"", escape(&bytes)),
                (false, None) if line.data == b"*" => "cancels the exchange".to_string(),
                (false, None) => String::new(),
            };
            out.push((
                Tone::Wire,
                format!("{who}: {shown}   {meaning}").trim_end().to_string(),
            ));
        }
    }

    out.push((Tone::Heading, "REPLY".to_string()));
    match &exchange.reply {
        None if hide_reply => out.push((Tone::Quiet, "hidden until the class has answered".to_string())),
        None => out.push((Tone::Warning, "no reply was captured".to_string())),
        Some(reply) => {
            out.push((Tone::Wire, reply_text(exchange, Lang::En)));
            // What the capture lacks comes first: it changes how all the rest reads.
            if exchange.incomplete {
                let announced = crate::pop3::octets_in_text(&reply.text);
                let received = reply.body.as_ref().map(|b| b.octets);
                let how_much = match (received, announced) {
                    (Some(received), Some(announced)) => {
                        format!(": {received} of the {announced} octets announced were captured")
                    }
                    _ => String::new(),
                };
                out.push((Tone::Warning, format!("INCOMPLETE{how_much} (see NOTES)")));
            }
            out.push((Tone::Plain, status_meaning(reply.status).to_string()));
            if let Some(code) = &reply.code {
                let meaning = code
                    .meaning()
                    .unwrap_or("a response code this tool does not know");
                out.push((Tone::Plain, format!("[{}] {meaning}", code.code)));
            }
            if let Some(sent) = exchange.sent
                && sent.frame != 0
            {
                out.push((
                    Tone::Quiet,
                    format!("answered after {}", millis(sent.ts, reply.first.ts)),
                ));
            }
            if let Some(body) = &reply.body {
                let s = if body.line_count == 1 { "" } else { "s" };
                let view = if wire_view {
                    "as sent: dot-stuffed (w: meaning)"
                } else {
                    "meaning: unstuffed (w: as sent)"
                };
                out.push((
                    Tone::Heading,
                    format!(
                        "DATA {} line{s}, {} octets · {view}",
                        body.line_count, body.octets
                    ),
                ));
                let capa = exchange.verb() == Some(Verb::Capa);
                for line in body.lines() {
                    if wire_view {
                        let stuffed = if line.first() == Some(&b'.') { "." } else { "" };
                        out.push((Tone::Wire, format!("{stuffed}{}\\r\\n", escape(line))));
                    } else {
                        let meaning = capa.then(|| capability_meaning(line)).flatten();
                        match meaning {
                            Some(meaning) => {
                                out.push((Tone::Wire, format!("{}   — {meaning}", escape(line))))
                            }
                            None => out.push((Tone::Wire, escape(line))),
                        }
                    }
                }
                if body.hidden_lines() > 0 {
                    out.push((
                        Tone::Quiet,
                        format!("… {} more lines not kept for display", body.hidden_lines()),
                    ));
                } else if wire_view {
                    out.push((
                        Tone::Wire,
                        ".\\r\\n   — end of the data (RFC 1939 §3)".to_string(),
                    ));
                }
            }
        }
    }
    if exchange.verb() == Some(Verb::Quit) && exchange.phase == Phase::Transaction && !hide_reply {
        out.push((
            Tone::Good,
            "QUIT in TRANSACTION: the server enters UPDATE and deletes the marked messages (RFC 1939 §6)"
                .to_string(),
        ));
    }
    notes(out, &exchange.notes);

    out.push((Tone::Heading, "PACKETS".to_string()));
    if let Some(sent) = exchange.sent.filter(|s| s.frame != 0) {
        let end = sent.offset + u64::from(exchange.sent_octets);
        out.push((
            Tone::Plain,
            format!(
                "command: frame {}, {}",
                sent.frame,
                stream_range(session, sent.offset, end)
            ),
        ));
    }
    if let Some(reply) = &exchange.reply {
        let frames = if reply.last.frame > reply.first.frame {
            format!("frames {}–{}", reply.first.frame, reply.last.frame)
        } else {
            format!("frame {}", reply.first.frame)
        };
        out.push((
            Tone::Plain,
            format!(
                "reply: {frames}, {}",
                stream_range(session, reply.first.offset, reply.end)
            ),
        ));
    }
    if exchange.missing_bytes > 0 {
        out.push((
            Tone::Warning,
            format!(
                "{} bytes of the reply are missing from the capture",
                exchange.missing_bytes
            ),
        ));
    }

    let multiline =
        matches!(kind, LineKind::Reply(_)) && exchange.reply.as_ref().is_some_and(|r| r.body.is_some());
    let (what, bytes) = match kind {
        LineKind::Reply(_) => ("reply", reply_wire(exchange)),
        LineKind::Sasl(_, i) => {
            let mut bytes = exchange.sasl[i].data.clone();
            if exchange.sasl[i].from == Direction::ServerToClient {
                bytes.splice(0..0, *b"+ ");
            }
            bytes.extend_from_slice(b"\r\n");
            ("SASL line", bytes)
        }
        _ => ("command", command_wire(exchange)),
    };
    let secret = match kind {
        LineKind::Command(_) => exchange
            .command
            .as_ref()
            .is_some_and(|c| (0..c.args.len()).any(|i| crate::pop3::sasl::is_secret_arg(c, i))),
        LineKind::Sasl(_, i) => crate::pop3::sasl::is_secret_sasl(exchange, i),
        _ => false,
    };
    let captured =
        matches!(kind, LineKind::Command(_)) && exchange.command.as_ref().is_some_and(|c| !c.wire.is_empty());
    out.push((
        Tone::Heading,
        if captured {
            format!("BYTES of the {what}, as captured (its line ending included)")
        } else if multiline {
            format!("BYTES of the {what} (rebuilt from its lines: CRLF ends, dots stuffed)")
        } else {
            format!("BYTES of the {what} (rebuilt from the decoded line, CRLF at its end)")
        },
    ));
    if secret && !show_secrets {
        out.push((Tone::Quiet, "hidden: it carries a secret".to_string()));
    } else {
        push_hex(out, &bytes, bytes_per_row);
    }
}
