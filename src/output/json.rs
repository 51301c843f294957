//! JSON Lines: one object per line, each with `"type"` and, where it belongs to one, `"session"`.
//!
//! The records, in the order they appear for a session:
//!
//! | type | when | fields |
//! |---|---|---|
//! | `session_start` | first byte of a POP3 connection | `ts`, `client`, `server` (`"ip:port"`), `handshake`, `implicit_tls` |
//! | `greeting` | the server's first line | `ts`, `frame`, `status`, `text`, `code`, `apop_timestamp`, `phase`, `notes` |
//! | `exchange` | a command's reply is complete (or the session ended) | see `write_exchange` below |
//! | `credential` | after the exchange that carried a login | `ts`, `exchange`, `mechanism`, `user`, `domain` and `workstation` (NTLM only), `secret` (masked), `secret_is_digest`, `accepted` |
//! | `tls` | STLS accepted: the rest is encrypted | `ts`, `frame` |
//! | `note` | an anomaly of the session rather than of one exchange | `ts`, `code`, `detail` |
//! | `session_end` | the connection ended | `ts`, `reason`, `phase`, `phase_inferred`, `exchanges`, `notes`, `tls_bytes`, `tls` (TLS sessions only: [`crate::tls::TlsFacts`]), `mailbox`, `credentials` |
//! | `summary` | last line: what happened to every frame | see [`crate::pipeline::EngineStats`] |
//!
//! Bytes from the wire are never altered: a field holding them is a JSON string when they are
//! valid UTF-8, and `{"bytes": "<base64>"}` when they are not (a GBK greeting, binary junk).
//! Phases are `AUTHORIZATION`, `TRANSACTION`, `UPDATE`, `TLS`, `UNKNOWN`. Timestamps are RFC 3339
//! in UTC. Note codes are listed in [`crate::pop3::NoteCode`] (snake_case).

use std::io::{self, Write};
use std::net::SocketAddr;

use base64::Engine as _;
use serde::{Serialize, Serializer};

use crate::base::Direction;
use crate::base::{Timestamp, is_hidden_format};
use crate::pipeline::EngineStats;
use crate::pop3::sasl::{MASK, is_secret_arg, is_secret_sasl};
use crate::pop3::{Body, Capability, Exchange, Note, NoteCode, Phase, Position, ResponseCode, Status, Verb};
use crate::session::{Mailbox, SessionEnd, SessionEvent, SessionId, SessionSink};

use super::{Bodies, PrintOptions, SessionPrinter, SummaryRecord};
use crate::mail::MessageFacts;

/// Writes `value` as JSON, with the characters that would hide or reorder text in a reader's
/// terminal (C1 controls, bidi overrides, zero-width characters: [`is_hidden_format`]) as
/// `\u` escapes, which serde_json leaves raw.
/// JSON as every record is written: compact, the invisible characters `\u`-escaped.
pub(crate) fn to_json<W: Write, T: Serialize + ?Sized>(out: W, value: &T) -> serde_json::Result<()> {
    let mut serializer = serde_json::Serializer::with_formatter(out, EscapeHidden);
    value.serialize(&mut serializer)
}

/// serde_json's compact formatter, but for the invisible characters in strings.
struct EscapeHidden;

impl serde_json::ser::Formatter for EscapeHidden {
    fn write_string_fragment<W: ?Sized + Write>(&mut self, writer: &mut W, fragment: &str) -> io::Result<()> {
        // Nearly all of it is ASCII, which hides nothing: checked a word at a time.
        if fragment.is_ascii() {
            return writer.write_all(fragment.as_bytes());
        }
        let mut start = 0;
        for (at, c) in fragment.char_indices() {
            if is_hidden_format(c) {
                writer.write_all(&fragment.as_bytes()[start..at])?;
                write!(writer, "\\u{:04x}", u32::from(c))?;
                start = at + c.len_utf8();
            }
        }
        writer.write_all(&fragment.as_bytes()[start..])
    }
}

/// Bytes from the wire as JSON: a string if UTF-8, else `{"bytes": base64}`.
pub struct JsonBytes<'a>(pub &'a [u8]);

impl Serialize for JsonBytes<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match std::str::from_utf8(self.0) {
            Ok(text) => serializer.serialize_str(text),
            Err(_) => {
                use serde::ser::SerializeMap;
                let mut map = serializer.serialize_map(Some(1))?;
                map.serialize_entry("bytes", &base64::engine::general_purpose::STANDARD.encode(self.0))?;
                map.end()
            }
        }
    }
}

/// A secret or the mask, depending on `--show-secrets`.
struct Secret<'a> {
    bytes: &'a [u8],
    show: bool,
}

impl Serialize for Secret<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        if self.show {
            JsonBytes(self.bytes).serialize(serializer)
        } else {
            serializer.serialize_str(MASK)
        }
    }
}

#[derive(Serialize)]
struct SessionStartRecord {
    #[serde(rename = "type")]
    kind: &'static str,
    session: SessionId,
    ts: Timestamp,
    client: SocketAddr,
    server: SocketAddr,
    handshake: bool,
    implicit_tls: bool,
    /// The flow hash Zeek, Suricata and Arkime share.
    community_id: String,
}

#[derive(Serialize)]
struct GreetingRecord<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    session: SessionId,
    ts: Timestamp,
    frame: u64,
    status: Status,
    text: JsonBytes<'a>,
    code: Option<String>,
    apop_timestamp: Option<JsonBytes<'a>>,
    phase: Phase,
    notes: Vec<NoteCode>,
    decrypted: bool,
}

/// `{"type":"exchange", …}`: one client command with its reply.
///
/// - `index`: 1-based, in the order the client sent its commands; `phase`: the phase the server
///   processed it in; `phase_after`: the phase its reply led to; `phase_inferred`: the capture
///   started mid-session and the phase was worked out from later traffic.
/// - `command`: the verb in upper case (`null` for a reply no captured command asked for; the
///   keyword as sent, upper-cased, for commands pop3scope does not know); `args`: the arguments,
///   secrets masked as `"********"` unless `--show-secrets`.
/// - `status`: `"+OK"`, `"-ERR"`, or `null` if no reply was seen; `text`: the reply text after the
///   status; `code`: a response code such as `"AUTH"` or `"SYS/TEMP"`.
/// - `lines` (the last field): the data lines of a multi-line reply after unstuffing, else `null`; `body_octets`
///   and `body_lines` count them as RFC 1939 §11 does, even where `lines` could not all be kept
///   (note `body_not_kept`).
/// - `sasl`: the challenges and responses of an AUTH exchange, in order.
/// - `capabilities`: for CAPA, each line as `{"name": "SASL", "args": ["PLAIN", "LOGIN"]}`,
///   else `null`.
/// - `notes`: anomaly codes (may be empty); `note_details`: a detail for each, same order.
/// - `ts`: when the command was sent (the reply's time if there is no command); `reply_ts`,
///   `latency_ms`; `frames`: the frame numbers; `incomplete`: the reply was cut by a gap or
///   never came; `decrypted`: read inside TLS with the key log (`--keylog`);
///   `missing_bytes`: how many bytes of the reply the capture lacks.
///
/// Written by hand rather than through serde: a capture holds many exchanges, and serde would
/// escape every key and format every number through the general machinery.
fn write_exchange(
    out: &mut Vec<u8>,
    session: SessionId,
    exchange: &Exchange,
    message: Option<&MessageFacts>,
    show_secrets: bool,
    bodies: Bodies,
) -> io::Result<()> {
    let reply = exchange.reply.as_ref();
    let body = reply.and_then(|r| r.body.as_ref());
    let sent = exchange.sent;
    out.extend_from_slice(b"{\"type\":\"exchange\",\"session\":");
    number(out, session);
    out.extend_from_slice(b",\"ts\":");
    timestamp(out, sent.or(reply.map(|r| r.first)).unwrap_or_default().ts);
    out.extend_from_slice(b",\"index\":");
    number(out, u64::from(exchange.index));
    out.extend_from_slice(b",\"phase\":");
    name(out, exchange.phase.name());
    out.extend_from_slice(if exchange.inferred {
        b",\"phase_inferred\":true"
    } else {
        b",\"phase_inferred\":false"
    });
    out.extend_from_slice(b",\"command\":");
    match &exchange.command {
        Some(command) if command.keyword.iter().all(|b| !b.is_ascii_lowercase()) => {
            bytes(out, &command.keyword)?
        }
        Some(command) => bytes(out, &command.keyword.to_ascii_uppercase())?,
        None => out.extend_from_slice(b"null"),
    }
    out.extend_from_slice(b",\"args\":[");
    if let Some(command) = &exchange.command {
        for (i, arg) in command.args.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            secret(out, arg, show_secrets || !is_secret_arg(command, i))?;
        }
    }
    out.extend_from_slice(b"],\"status\":");
    match reply {
        Some(reply) => name(out, reply.status.as_str()),
        None => out.extend_from_slice(b"null"),
    }
    out.extend_from_slice(b",\"text\":");
    match reply {
        Some(reply) => bytes(out, &reply.text)?,
        None => out.extend_from_slice(b"null"),
    }
    out.extend_from_slice(b",\"code\":");
    match reply.and_then(|r| r.code.as_ref()) {
        Some(code) => bytes(out, code.code.as_bytes())?,
        None => out.extend_from_slice(b"null"),
    }
    out.extend_from_slice(b",\"body_octets\":");
    optional_number(out, body.map(|b| b.octets));
    out.extend_from_slice(b",\"body_lines\":");
    optional_number(out, body.map(|b| b.line_count));
    out.extend_from_slice(b",\"sasl\":[");
    for (i, line) in exchange.sasl.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        out.extend_from_slice(match line.from {
            Direction::ClientToServer => b"{\"from\":\"client\",\"data\":",
            Direction::ServerToClient => b"{\"from\":\"server\",\"data\":",
        });
        secret(out, &line.data, show_secrets || !is_secret_sasl(exchange, i))?;
        out.push(b'}');
    }
    out.extend_from_slice(b"],\"phase_after\":");
    name(out, exchange.phase_after.name());
    out.extend_from_slice(b",\"notes\":");
    to_json(
        &mut *out,
        &exchange.notes.iter().map(|n| n.code).collect::<Vec<_>>(),
    )?;
    out.extend_from_slice(b",\"note_details\":");
    to_json(
        &mut *out,
        &exchange
            .notes
            .iter()
            .map(|n| JsonBytes(&n.detail))
            .collect::<Vec<_>>(),
    )?;
    out.extend_from_slice(b",\"reply_ts\":");
    match reply {
        Some(reply) => timestamp(out, reply.first.ts),
        None => out.extend_from_slice(b"null"),
    }
    out.extend_from_slice(b",\"latency_ms\":");
    match sent.zip(reply) {
        Some((sent, reply)) => to_json(
            &mut *out,
            &((reply.first.ts.seconds_since(sent.ts) * 1e6).round() / 1000.0),
        )?,
        None => out.extend_from_slice(b"null"),
    }
    out.extend_from_slice(b",\"frames\":{\"command\":");
    optional_number(out, sent.map(|s| s.frame));
    out.extend_from_slice(b",\"reply_first\":");
    optional_number(out, reply.map(|r| r.first.frame));
    out.extend_from_slice(b",\"reply_last\":");
    optional_number(out, reply.map(|r| r.last.frame));
    out.extend_from_slice(if exchange.incomplete {
        b"},\"incomplete\":true"
    } else {
        b"},\"incomplete\":false"
    });
    out.extend_from_slice(if exchange.decrypted {
        b",\"decrypted\":true"
    } else {
        b",\"decrypted\":false"
    });
    out.extend_from_slice(b",\"missing_bytes\":");
    number(out, exchange.missing_bytes);
    out.extend_from_slice(b",\"capabilities\":");
    match (exchange.verb(), body) {
        (Some(Verb::Capa), Some(body)) => {
            let capabilities: Vec<Capability> = body.lines().filter_map(Capability::parse).collect();
            to_json(&mut *out, &capabilities)?;
        }
        _ => out.extend_from_slice(b"null"),
    }
    out.extend_from_slice(b",\"message\":");
    match message {
        Some(facts) => to_json(&mut *out, facts)?,
        None => out.extend_from_slice(b"null"),
    }
    out.extend_from_slice(b",\"lines\":");
    let shown = match (message, body) {
        (Some(_), Some(body)) => message_lines_shown(bodies, body),
        _ => usize::MAX,
    };
    write_lines(out, body, shown)?;
    out.extend_from_slice(b"}\n");
    Ok(())
}

/// How many lines of a retrieved message's body `lines` carries.
pub(super) fn message_lines_shown(bodies: Bodies, body: &Body) -> usize {
    match bodies {
        Bodies::None => 0,
        // The header block: up to the blank line that ends it (RFC 5322 §2.1).
        Bodies::Headers => body.lines().position(<[u8]>::is_empty).unwrap_or(usize::MAX),
        Bodies::Full => usize::MAX,
    }
}

fn number(out: &mut Vec<u8>, value: u64) {
    out.extend_from_slice(itoa::Buffer::new().format(value).as_bytes());
}

fn optional_number(out: &mut Vec<u8>, value: Option<u64>) {
    match value {
        Some(value) => number(out, value),
        None => out.extend_from_slice(b"null"),
    }
}

/// A name pop3scope itself chose (a phase, a status): ASCII with nothing to escape.
fn name(out: &mut Vec<u8>, text: &str) {
    out.push(b'"');
    out.extend_from_slice(text.as_bytes());
    out.push(b'"');
}

fn timestamp(out: &mut Vec<u8>, ts: Timestamp) {
    match ts.rfc3339() {
        Some(text) => {
            out.push(b'"');
            out.extend_from_slice(&text);
            out.push(b'"');
        }
        None => name(out, &ts.to_string()),
    }
}

/// Bytes from the wire: a plain string fast, else through [`JsonBytes`].
fn bytes(out: &mut Vec<u8>, value: &[u8]) -> io::Result<()> {
    if is_plain_json_text(value) {
        out.push(b'"');
        out.extend_from_slice(value);
        out.push(b'"');
        Ok(())
    } else {
        to_json(&mut *out, &JsonBytes(value)).map_err(io::Error::from)
    }
}

fn secret(out: &mut Vec<u8>, value: &[u8], show: bool) -> io::Result<()> {
    if show {
        bytes(out, value)
    } else {
        name(out, MASK);
        Ok(())
    }
}

#[derive(Serialize)]
struct CredentialRecord<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    session: SessionId,
    ts: Timestamp,
    exchange: u32,
    mechanism: &'a str,
    user: Option<JsonBytes<'a>>,
    /// NTLM only: the user's domain and the client's machine name.
    #[serde(skip_serializing_if = "Option::is_none")]
    domain: Option<JsonBytes<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    workstation: Option<JsonBytes<'a>>,
    secret: Option<Secret<'a>>,
    secret_is_digest: bool,
    accepted: Option<bool>,
    decrypted: bool,
}

#[derive(Serialize)]
struct PositionRecord {
    #[serde(rename = "type")]
    kind: &'static str,
    session: SessionId,
    ts: Timestamp,
    frame: u64,
}

#[derive(Serialize)]
struct NoteRecord<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    session: SessionId,
    ts: Timestamp,
    code: NoteCode,
    detail: JsonBytes<'a>,
}

#[derive(Serialize)]
struct TlsBytes {
    client: u64,
    server: u64,
}

#[derive(Serialize)]
struct SessionEndRecord<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    session: SessionId,
    ts: Timestamp,
    reason: SessionEnd,
    phase: Phase,
    phase_inferred: bool,
    exchanges: u32,
    notes: u32,
    tls_bytes: Option<TlsBytes>,
    /// What the TLS handshake showed; only for a TLS session.
    #[serde(skip_serializing_if = "Option::is_none")]
    tls: Option<&'a crate::tls::TlsFacts>,
    mailbox: &'a Mailbox,
    credentials: usize,
}

/// Writes session events as JSON Lines. It buffers by itself: give it an unbuffered writer.
///
/// The format is a contract (the fields are in the table of this module's documentation); one
/// record of each type, from `open captures/01-full-session.pcap --json` (and
/// `captures/07-stls.pcap` for `tls`, `captures/30-synthetic-stls-injection.pcap` for `note`):
///
/// ```json
/// {"type":"session_start","session":1,"ts":"2026-11-27T03:36:24.954020Z","client":"127.0.0.1:46904","server":"127.0.0.1:110","handshake":true,"implicit_tls":false}
/// {"type":"greeting","session":1,"ts":"2026-11-27T03:36:24.973797Z","frame":4,"status":"+OK","text":"Dovecot (Debian) ready. <2757.1.6b08fab8.p5x155vejt//4P/FrU2b6w==@vm>","code":null,"apop_timestamp":"<2757.1.6b08fab8.p5x155vejt//4P/FrU2b6w==@vm>","phase":"AUTHORIZATION","notes":[]}
/// {"type":"exchange","session":1,"ts":"2026-11-27T03:36:24.981708Z","index":5,"phase":"TRANSACTION","phase_inferred":false,"command":"STAT","args":[],"status":"+OK","text":"4 1704","code":null,"body_octets":null,"body_lines":null,"sasl":[],"phase_after":"TRANSACTION","notes":[],"note_details":[],"reply_ts":"2026-11-27T03:36:24.981754Z","latency_ms":0.046,"frames":{"command":17,"reply_first":19,"reply_last":19},"incomplete":false,"missing_bytes":0,"capabilities":null,"lines":null}
/// {"type":"credential","session":1,"ts":"2026-11-27T03:36:24.974428Z","exchange":3,"mechanism":"USER/PASS","user":"alice","secret":"********","secret_is_digest":false,"accepted":true}
/// {"type":"tls","session":1,"ts":"2026-11-27T03:36:37.977268Z","frame":14}
/// {"type":"note","session":2,"ts":"2026-01-05T09:01:00.024000Z","code":"stls_injection_server","detail":"+OK injected\r\n"}
/// {"type":"session_end","session":1,"ts":"2026-11-27T03:36:24.984334Z","reason":"quit","phase":"UPDATE","phase_inferred":false,"exchanges":10,"notes":1,"tls_bytes":null,"mailbox":{"count":4,"octets":1704,"messages":{"1":{"size":372,"uid":"0000000165920080","retrieved":true,"marked":true}},"committed":true},"credentials":1}
/// {"type":"summary","frames":36,"captured_bytes":3340,"truncated_frames":0,"tcp_segments":36,"not_ip":0,"not_tcp":0,"unsupported_link":0,"truncated_headers":0,"malformed":0,"ip_fragments":0,"fragments_abandoned":0,"flows":{"other_port_segments":0,"late_segments":0,"closing_acks":1,"flows":1,"evicted_flows":0,"not_pop3_flows":0,"not_pop3_segments":0,"unchecked_flows":0}}
/// ```
///
/// (The `session_end` example lists one of the four messages.) `tests/it/sessions.rs` reads
/// the records into typed structs, as a consumer would.
pub struct JsonPrinter<W: Write> {
    out: W,
    options: PrintOptions,
    error: Option<io::Error>,
    /// Records not yet written out.
    buf: Vec<u8>,
    /// Write out once this many bytes wait; 0 writes every record at once (live capture).
    block: usize,
}

/// Output is written in blocks of about this size.
const OUTPUT_BLOCK: usize = 256 * 1024;

impl<W: Write> JsonPrinter<W> {
    /// A printer writing one JSON record per line to `out`, in blocks unless
    /// `options.streaming`.
    pub fn new(out: W, options: PrintOptions) -> Self {
        JsonPrinter {
            out,
            options,
            error: None,
            buf: Vec::with_capacity(2 * OUTPUT_BLOCK),
            block: if options.streaming { 0 } else { OUTPUT_BLOCK },
        }
    }

    /// Appends one record to the buffer.
    fn line(&mut self, record: &impl Serialize) -> io::Result<()> {
        to_json(&mut self.buf, record)?;
        self.buf.push(b'\n');
        Ok(())
    }

    /// Writes the buffer out once it is large: one copy of each byte, one system call per block.
    fn drain(&mut self, at_least: usize) -> io::Result<()> {
        if self.buf.len() >= at_least {
            self.out.write_all(&self.buf)?;
            self.buf.clear();
            if self.block == 0 {
                self.out.flush()?;
            }
        }
        Ok(())
    }

    fn write(&mut self, event: &SessionEvent<'_>) -> io::Result<()> {
        let show = self.options.show_secrets;
        match event {
            SessionEvent::Started(info) => self.line(&SessionStartRecord {
                kind: "session_start",
                session: info.id,
                ts: info.ts,
                client: info.client,
                server: info.server,
                handshake: info.handshake,
                implicit_tls: info.implicit_tls,
                community_id: crate::flow::community_id(info.client, info.server),
            }),
            SessionEvent::Greeting { session, greeting } => self.line(&GreetingRecord {
                kind: "greeting",
                session: *session,
                ts: greeting.at.ts,
                frame: greeting.at.frame,
                status: greeting.status,
                text: JsonBytes(&greeting.text),
                code: ResponseCode::parse(&greeting.text).map(|c| c.code),
                apop_timestamp: greeting.apop_timestamp.as_deref().map(JsonBytes),
                phase: if greeting.status == Status::Ok {
                    Phase::Authorization
                } else {
                    Phase::Unknown
                },
                notes: greeting.notes.iter().map(|n| n.code).collect(),
                decrypted: greeting.decrypted,
            }),
            SessionEvent::Exchange {
                session,
                exchange,
                message,
                ..
            } => write_exchange(
                &mut self.buf,
                *session,
                exchange,
                *message,
                show,
                self.options.bodies,
            ),
            SessionEvent::Credential {
                session,
                credential,
                at,
            } => self.line(&CredentialRecord {
                kind: "credential",
                session: *session,
                ts: at.ts,
                exchange: credential.exchange,
                mechanism: &credential.mechanism,
                user: credential.user.as_deref().map(JsonBytes),
                domain: credential.domain.as_deref().map(JsonBytes),
                workstation: credential.workstation.as_deref().map(JsonBytes),
                // A digest is not the password: it is shown, as the lessons on APOP need.
                secret: credential.secret.as_deref().map(|bytes| Secret {
                    bytes,
                    show: show || credential.is_digest,
                }),
                secret_is_digest: credential.is_digest,
                accepted: credential.accepted,
                decrypted: credential.decrypted,
            }),
            SessionEvent::TlsStarted { session, at } => self.line(&position_record("tls", *session, *at)),
            SessionEvent::Note { session, note, at } => self.line(&note_record(*session, note, *at)),
            SessionEvent::Ended(summary) => self.line(&SessionEndRecord {
                kind: "session_end",
                session: summary.info.id,
                ts: summary.ts,
                reason: summary.reason,
                phase: summary.phase,
                phase_inferred: summary.phase_inferred,
                exchanges: summary.exchanges,
                notes: summary.notes,
                tls_bytes: summary
                    .tls_bytes
                    .map(|(client, server)| TlsBytes { client, server }),
                tls: summary.tls.as_ref(),
                mailbox: &summary.mailbox,
                credentials: summary.credentials.len(),
            }),
        }
    }
}

/// Writes the data lines of a multi-line reply as a JSON array (or `null`).
///
/// Most lines are plain ASCII text with nothing to escape: those are found eight bytes at a
/// time and copied as they are; any other line goes through serde_json, which escapes it, or is
/// written as `{"bytes": base64}` when it is not UTF-8.
/// The first `shown` lines of `body`, as a JSON array.
fn write_lines(out: &mut Vec<u8>, body: Option<&Body>, shown: usize) -> io::Result<()> {
    let Some(body) = body else {
        out.extend_from_slice(b"null");
        return Ok(());
    };
    out.reserve(
        body.kept_bytes().len().min(shown.saturating_mul(80))
            + 3 * body.line_count.min(shown as u64) as usize
            + 2,
    );
    out.push(b'[');
    for (i, line) in body.lines().take(shown).enumerate() {
        if i > 0 {
            out.push(b',');
        }
        if is_plain_json_text(line) {
            out.push(b'"');
            out.extend_from_slice(line);
            out.push(b'"');
        } else {
            to_json(&mut *out, &JsonBytes(line))?;
        }
    }
    out.push(b']');
    Ok(())
}

/// True when every byte is printable ASCII other than `"` and `\\`: the bytes are then a
/// JSON string's contents as they are.
fn is_plain_json_text(bytes: &[u8]) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    // For each byte of `word`, the high bit of the result is set if it is not plain text. The
    // tests are exact as a whole (no byte is misjudged to be plain).
    let not_plain = |word: u64| {
        let has_zero_byte = |w: u64| w.wrapping_sub(ONES) & !w & HIGHS;
        let control = word.wrapping_sub(ONES * 0x20) & !word & HIGHS;
        let quote = has_zero_byte(word ^ (ONES * u64::from(b'"')));
        let backslash = has_zero_byte(word ^ (ONES * u64::from(b'\\')));
        let delete = has_zero_byte(word ^ (ONES * 0x7f));
        (word & HIGHS) | control | quote | backslash | delete
    };
    // 32 bytes a step with one test: the compiler turns the four words into vector operations.
    let (blocks, rest) = bytes.as_chunks::<32>();
    for block in blocks {
        let (words, _) = block.as_chunks::<8>();
        if words
            .iter()
            .fold(0, |found, word| found | not_plain(u64::from_le_bytes(*word)))
            != 0
        {
            return false;
        }
    }
    rest.iter()
        .all(|&b| (0x20..0x7f).contains(&b) && b != b'"' && b != b'\\')
}

fn position_record(kind: &'static str, session: SessionId, at: Position) -> PositionRecord {
    PositionRecord {
        kind,
        session,
        ts: at.ts,
        frame: at.frame,
    }
}

fn note_record(session: SessionId, note: &Note, at: Position) -> NoteRecord<'_> {
    NoteRecord {
        kind: "note",
        session,
        ts: at.ts,
        code: note.code,
        detail: JsonBytes(&note.detail),
    }
}

impl<W: Write> SessionPrinter for JsonPrinter<W> {
    /// Writes the closing `summary` line and flushes.
    fn finish(mut self, stats: &EngineStats) -> io::Result<()> {
        if let Some(error) = self.error.take() {
            return Err(error);
        }
        self.line(&SummaryRecord {
            kind: "summary",
            stats,
        })?;
        self.drain(0)?;
        self.out.flush()
    }
}

impl<W: Write> SessionSink for JsonPrinter<W> {
    fn event(&mut self, event: SessionEvent<'_>) {
        if self.error.is_none()
            && let Err(error) = self.write(&event).and_then(|()| self.drain(self.block))
        {
            self.error = Some(error);
        }
    }
    fn stopped(&self) -> bool {
        self.error.is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invisible_characters_are_escaped_in_json() {
        let mut out = Vec::new();
        bytes(&mut out, "+OK \u{202e}olleh\u{85}\u{200b}".as_bytes()).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "\"+OK \\u202eolleh\\u0085\\u200b\""
        );
        let mut out = Vec::new();
        bytes(&mut out, "邮件".as_bytes()).unwrap();
        assert_eq!(String::from_utf8(out).unwrap(), "\"邮件\"");
    }

    #[test]
    fn plain_text_is_recognised_eight_bytes_at_a_time() {
        assert!(is_plain_json_text(b"Subject: Tea at six, with the March Hare"));
        assert!(is_plain_json_text(b""));
        for bad in [
            &b"a \"quoted\" word!"[..],
            b"back\\slash here",
            b"tab\there and more",
            b"delete\x7f....",
            "caf\u{e9} au lait".as_bytes(),
        ] {
            assert!(!is_plain_json_text(bad), "{bad:?}");
        }
    }

    #[test]
    fn every_line_is_valid_json_whatever_its_bytes() {
        let mut body = Body::default();
        let lines: [&[u8]; 4] = [
            b"plain",
            b"a \"quote\"",
            b"\xff\xfe",
            "\u{1b}[2J caf\u{e9}".as_bytes(),
        ];
        for line in lines {
            body.push_for_test(line);
        }
        let mut out = Vec::new();
        write_lines(&mut out, Some(&body), usize::MAX).unwrap();
        let parsed: serde_json::Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(
            parsed,
            serde_json::json!(["plain", "a \"quote\"", {"bytes": "//4="}, "\u{1b}[2J caf\u{e9}"])
        );
    }
}
