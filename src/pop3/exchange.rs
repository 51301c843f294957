//! What the decoder finds: the greeting, exchanges (a command, its reply, its SASL lines), and
//! where each came from. Plain values; the decoder makes them, every other layer reads them.

use crate::base::{Direction, Timestamp};

use super::command::{Command, Verb};
use super::notes::{Note, NoteCode};
use super::phase::Phase;
use super::reply::{ResponseCode, Status};

/// Where a line came from: the time and frame number of its first byte, and where that byte
/// sits in its direction's stream.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Position {
    /// Capture time of the segment that carried the byte.
    pub ts: Timestamp,
    /// Number of the frame that carried it (1-based, as Wireshark numbers frames).
    pub frame: u64,
    /// Bytes of the same direction before it, gaps included: TCP's relative sequence number,
    /// less one when the capture has the SYN. Counted by the decoder, so the caller's value
    /// is ignored.
    pub offset: u64,
}

/// The server's first line (RFC 1939 §4).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Greeting {
    /// `+OK`, or `-ERR` from a server that refuses the connection.
    pub status: Status,
    /// The text after the status: often the server's name and, for APOP, a timestamp.
    pub text: Vec<u8>,
    /// Where the greeting line starts.
    pub at: Position,
    /// The `<…@…>` timestamp that offers APOP.
    pub apop_timestamp: Option<Vec<u8>>,
    /// Anomalies of the greeting line itself (bare LF, over 512 octets).
    pub notes: Vec<Note>,
    /// It was read out of TLS records, decrypted with the key log.
    pub decrypted: bool,
}

/// The data lines of a multi-line reply, unstuffed (a leading `..` is `.`).
///
/// The kept lines are held end to end, each with its CR LF: the message as the server had it
/// before dot-stuffing, so that a message is read without being put together again and the
/// decoder can take a run of plain lines in one copy. Lines are found when asked for.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Body {
    data: Vec<u8>,
    kept_lines: u64,
    /// Lines received (kept or not).
    pub line_count: u64,
    /// Octets as RFC 1939 §11 counts them: unstuffed, each line with its CRLF.
    pub octets: u64,
    /// False when the body outgrew the decoder's memory cap and later lines were only counted.
    pub complete_in_memory: bool,
}

impl Body {
    /// An empty body that reuses the memory of an old one (see [`Decoder::recycle`]).
    pub(super) fn reusing(mut old: Body) -> Self {
        old.data.clear();
        Body {
            data: old.data,
            kept_lines: 0,
            line_count: 0,
            octets: 0,
            complete_in_memory: true,
        }
    }

    /// Takes one data line, unstuffed and without its line ending; kept while the body stays
    /// within `cap` bytes.
    pub(super) fn push(&mut self, line: &[u8], cap: usize) {
        self.line_count += 1;
        self.octets += line.len() as u64 + 2;
        if self.complete_in_memory && self.data.len() + line.len() + 2 <= cap {
            self.data.extend_from_slice(line);
            self.data.extend_from_slice(b"\r\n");
            self.kept_lines += 1;
        } else {
            self.complete_in_memory = false;
        }
    }

    /// Takes `count` whole lines at once, as they came: each ends in CR LF, none is
    /// dot-stuffed, and together they fit the cap (the caller has checked all three).
    pub(super) fn push_plain_lines(&mut self, lines: &[u8], count: u64) {
        debug_assert!(self.complete_in_memory && lines.ends_with(b"\r\n"));
        self.line_count += count;
        self.kept_lines += count;
        self.octets += lines.len() as u64;
        self.data.extend_from_slice(lines);
    }

    /// Makes room for `bytes` more bytes at once.
    pub(super) fn reserve(&mut self, bytes: usize) {
        self.data.reserve(bytes);
    }

    /// Bytes kept, line endings included.
    pub(super) fn kept_len(&self) -> usize {
        self.data.len()
    }

    /// Heap bytes held.
    pub(super) fn held_bytes(&self) -> usize {
        self.data.capacity()
    }

    /// Frees the kept lines: from now on lines are only counted. Returns the bytes freed.
    pub(super) fn forget(&mut self) -> usize {
        let freed = self.held_bytes();
        self.complete_in_memory = false;
        self.data = Vec::new();
        self.kept_lines = 0;
        freed
    }

    #[cfg(test)]
    pub(crate) fn push_for_test(&mut self, line: &[u8]) {
        self.complete_in_memory = true;
        self.push(line, usize::MAX);
    }

    /// The kept lines end to end, each with its CR LF: the message as it was before
    /// dot-stuffing (a bare LF the server sent is a CR LF here).
    pub fn kept_bytes(&self) -> &[u8] {
        &self.data
    }

    /// Lines received but not kept.
    pub fn hidden_lines(&self) -> u64 {
        self.line_count - self.kept_lines
    }

    /// A copy of at most the first `max_lines` lines and `max_bytes` bytes, with the counts of
    /// the whole body: what a viewer keeps of a large message.
    pub fn preview(&self, max_lines: usize, max_bytes: usize) -> Body {
        let mut bytes = 0;
        let mut kept = 0;
        for end in memchr::memchr_iter(b'\n', &self.data).take(max_lines) {
            if end + 1 > max_bytes {
                break;
            }
            bytes = end + 1;
            kept += 1;
        }
        Body {
            data: self.data[..bytes].to_vec(),
            kept_lines: kept,
            line_count: self.line_count,
            octets: self.octets,
            complete_in_memory: self.complete_in_memory && kept == self.kept_lines,
        }
    }

    /// The kept lines, without line endings.
    pub fn lines(&self) -> impl Iterator<Item = &[u8]> {
        let mut start = 0;
        memchr::memchr_iter(b'\n', &self.data).map(move |lf| {
            // Every kept line ends in CR LF: the line is what comes before them.
            let line = &self.data[start..lf - 1];
            start = lf + 1;
            line
        })
    }
}

/// The server's final answer to a command.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reply {
    /// Whether the server accepted the command.
    pub status: Status,
    /// The text after the status and its space.
    pub text: Vec<u8>,
    /// The response code at the start of `text`, if there is one (RFC 2449 §8).
    pub code: Option<ResponseCode>,
    /// For a multi-line reply, its data lines.
    pub body: Option<Body>,
    /// Where the status line starts.
    pub first: Position,
    /// Where its last line so far began.
    pub last: Position,
    /// The stream offset just past its last byte so far.
    pub end: u64,
}

/// One SASL line of an AUTH exchange: a server challenge or a client response (RFC 5034 §4).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SaslLine {
    /// Which side sent it: the server's are challenges, the client's responses.
    pub from: Direction,
    /// The line after `+ ` (server) or as sent (client): base64, empty, `=` or `*`.
    pub data: Vec<u8>,
    /// Where the line starts.
    pub at: Position,
}

/// A command paired with its reply, annotated.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Exchange {
    /// 1-based, in the order the client sent its commands.
    pub index: u32,
    /// `None` for a reply that no captured command asked for.
    pub command: Option<Command>,
    /// Where the command line starts; `None` with no command.
    pub sent: Option<Position>,
    /// Octets of the command line on the wire, line ending included (0 with no command).
    pub sent_octets: u32,
    /// The phase the server processed the command in.
    pub phase: Phase,
    /// The phase the reply led to (RFC 1939 §3); the same as `phase` when nothing changed.
    pub phase_after: Phase,
    /// The phase was inferred: the capture started mid-session.
    pub inferred: bool,
    /// The final status line and any data lines; `None` when none was captured.
    pub reply: Option<Reply>,
    /// The AUTH exchange's challenges and responses, in order; empty for other commands.
    pub sasl: Vec<SaslLine>,
    /// Anomalies of the command and its reply.
    pub notes: Vec<Note>,
    /// The reply is cut short by a gap, or never came.
    pub incomplete: bool,
    /// Bytes of the reply the capture is missing, over all its gaps.
    pub missing_bytes: u64,
    /// It was read out of TLS records, decrypted with the key log.
    pub decrypted: bool,
}

impl Exchange {
    /// A copy whose data lines are cut to a preview (see [`Body::preview`]): the long bodies
    /// are never copied whole.
    pub fn with_body_preview(&self, max_lines: usize, max_bytes: usize) -> Exchange {
        Exchange {
            command: self.command.clone(),
            reply: self.reply.as_ref().map(|reply| Reply {
                text: reply.text.clone(),
                code: reply.code.clone(),
                body: reply.body.as_ref().map(|body| body.preview(max_lines, max_bytes)),
                ..*reply
            }),
            sasl: self.sasl.clone(),
            notes: self.notes.clone(),
            ..*self
        }
    }

    /// The command's verb; `None` when no command was captured for it.
    pub fn verb(&self) -> Option<Verb> {
        self.command.as_ref().map(|c| c.verb)
    }
    /// `Some(true)` for `+OK`, `Some(false)` for `-ERR`, `None` when no reply was captured.
    pub fn ok(&self) -> Option<bool> {
        self.reply.as_ref().map(|r| r.status == Status::Ok)
    }
    /// `len` bytes of the reply are missing: one `gap_in_reply` note that counts them all.
    pub(super) fn missing(&mut self, len: u64) {
        self.incomplete = true;
        self.missing_bytes += len;
        let detail = format!("{} bytes missing", self.missing_bytes);
        match self.notes.iter_mut().find(|n| n.code == NoteCode::GapInReply) {
            Some(note) => note.detail = detail.into_bytes(),
            None => self.notes.push(Note::new(NoteCode::GapInReply, detail)),
        }
    }

    /// `count` more SASL lines not kept (`why`): counted in a `sasl_too_long` note.
    pub(super) fn count_dropped_sasl_lines(&mut self, count: usize, why: &str) {
        let earlier = |note: &Note| {
            std::str::from_utf8(&note.detail)
                .ok()
                .and_then(|d| d.split(' ').next())
                .and_then(|n| n.parse::<usize>().ok())
                .unwrap_or(0)
        };
        let detail = |dropped: usize| format!("{dropped} lines not kept ({why})").into_bytes();
        match self.notes.iter_mut().find(|n| n.code == NoteCode::SaslTooLong) {
            Some(note) => note.detail = detail(earlier(note) + count),
            None => self.notes.push(Note::new(NoteCode::SaslTooLong, detail(count))),
        }
    }

    /// Frees the SASL lines kept so far, counting them as dropped. Returns the bytes freed.
    pub(super) fn forget_sasl(&mut self, why: &str) -> usize {
        if self.sasl.is_empty() {
            return 0;
        }
        let freed = self.sasl_held_bytes();
        let count = self.sasl.len();
        self.sasl = Vec::new();
        self.count_dropped_sasl_lines(count, why);
        freed
    }

    /// Heap bytes the SASL lines hold.
    pub(super) fn sasl_held_bytes(&self) -> usize {
        self.sasl.capacity() * size_of::<SaslLine>()
            + self.sasl.iter().map(|l| l.data.capacity()).sum::<usize>()
    }

    pub(super) fn note(&mut self, code: NoteCode, detail: impl Into<Vec<u8>>) {
        if !self.notes.iter().any(|n| n.code == code) {
            self.notes.push(Note::new(code, detail));
        }
    }
}

/// What the decoder reports, in the order it learns it.
// Nearly every event is an exchange: boxing it would cost an allocation each, for nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Pop3Event {
    /// The server's first line, when the capture has the connection's start.
    Greeting(Greeting),
    /// A command with its reply (or a reply with no command), once complete; in the order
    /// the client sent the commands.
    Exchange(Exchange),
    /// From here on both directions are TLS: only sizes can be seen.
    TlsStarted {
        /// Where the server's `+OK` to STLS starts.
        at: Position,
    },
    /// Something about the session rather than one exchange.
    Note {
        /// The anomaly.
        note: Note,
        /// Where it was seen: the line it is about, or where the gap or the end came.
        at: Position,
    },
}
