//! The per-connection POP3 decoder: bytes in, greetings and paired exchanges out.
//!
//! Framing follows the command, never a guess: a FIFO of commands waiting for replies decides
//! whether the next server line is a status line, a SASL challenge, or a data line of a
//! multi-line reply (RFC 1939 §3, RFC 2449 §6.6, RFC 5034). Three outcomes are kept apart:
//! an incomplete line waits for more bytes; an anomaly becomes a [`Note`] and decoding goes on;
//! a gap in the bytes ends the reply it cut (marked incomplete) and the decoder resynchronises on
//! the next line that is plainly a command or a status line.

use std::collections::VecDeque;

use crate::base::Direction;
use std::sync::Arc;

use crate::tls::{KeyLog, TlsFacts, TlsObserver, TlsProblem};

use super::command::{Command, Verb};
use super::notes::{Note, NoteCode};
use super::phase::{self, Phase, Violation};
use super::reply::{ResponseCode, Status, apop_timestamp, parse_status};

use super::exchange::{Body, Exchange, Greeting, Pop3Event, Position, Reply, SaslLine};
use super::line::{LineInfo, LineReader, MAX_COMMAND_LINE, MAX_LINE, MAX_REPLY_LINE};

/// How the decoder starts.
#[derive(Clone, Copy, Debug)]
pub struct DecoderOptions {
    /// The connection is TLS from its first byte (port 995, RFC 8314).
    pub implicit_tls: bool,
    /// The capture has the connection's start, so the first server line is the greeting.
    pub from_start: bool,
    /// The most bytes of one multi-line reply kept in memory (more are counted, not kept).
    pub max_body: usize,
}

impl Default for DecoderOptions {
    fn default() -> Self {
        DecoderOptions {
            implicit_tls: false,
            from_start: true,
            max_body: 1 << 20,
        }
    }
}

/// The state of the reply at the head of the FIFO.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum ReplyState {
    /// Waiting for the status line (or a SASL challenge).
    Status,
    /// Inside the data lines of a multi-line reply.
    Body,
}

/// Commands waiting for their replies at most (as Zeek's too-many-pending-commands): beyond, a
/// command is reported at once without its reply, with a note.
const MAX_PENDING: usize = 10_000;

/// SASL lines of one AUTH kept at most; the rest are counted in a note.
const MAX_SASL_LINES: usize = 64;
const SASL_KEPT: &str = "after the first 64";

/// Why [`Decoder::relieve`] dropped what it dropped, in the notes it leaves.
const BUDGET: &str = "the decoders' memory budget was reached";

/// Commands waiting for replies that [`Decoder::relieve`] leaves alone: a few bytes' worth is
/// the normal case, not what the budget is for.
const PENDING_KEPT_WHEN_RELIEVED: usize = 2 * 1024;

/// What a waiting command costs in memory, estimated from its command, which does not change
/// while it waits.
fn pending_cost(exchange: &Exchange) -> usize {
    size_of::<Exchange>()
        + exchange.command.as_ref().map_or(0, |c| {
            c.wire.capacity()
                + c.keyword.capacity()
                + c.args
                    .iter()
                    .map(|a| a.capacity() + size_of::<Vec<u8>>())
                    .sum::<usize>()
        })
}

/// Decodes one POP3 connection. Pure: no I/O, no clock; feed it bytes and gaps in stream order.
pub struct Decoder {
    options: DecoderOptions,
    phase: Phase,
    inferred: bool,
    greeted: bool,
    next_index: u32,
    /// Commands sent and not yet fully answered, oldest first.
    pending: VecDeque<Exchange>,
    /// STLS commands in `pending`.
    stls_waiting: usize,
    reply_state: ReplyState,
    readers: [LineReader; 2],
    /// False while a direction looks for a line to resynchronise on.
    synced: [bool; 2],
    skipped: [u64; 2],
    tls: bool,
    tls_bytes: [u64; 2],
    bare_lf_seen: [bool; 2],
    last_was_multiline: bool,
    quit_answered: bool,
    /// A gap cut a data line of a multi-line reply: drop what is left of that line.
    skip_partial_line: bool,
    /// Memory of a finished body, kept to hold the next one without allocating afresh.
    spare_body: Option<Body>,
    /// Bytes of each direction fed so far, gaps included.
    stream_offset: [u64; 2],
    /// What the commands in `pending` cost, by [`pending_cost`].
    pending_bytes: usize,
    /// The reply at the head answers a command the capture lost, and no data line has come:
    /// the next server line tells whether it was a multi-line reply.
    body_uncertain: bool,
    /// Lines that broke POP3 (unknown commands, replies where none belong, commands from the
    /// server…) before any exchange made sense.
    violations: u32,
    /// The server greeted with a status line before the client spoke, or a known command got
    /// one for reply: this is POP3, whatever comes later.
    confirmed: bool,
    /// Judged not POP3 ([`NoteCode::NotPop3`]): bytes are counted, not decoded.
    not_pop3: bool,
    /// Reads what the TLS handshake shows, once the session is TLS.
    tls_observer: Option<Box<TlsObserver>>,
    /// Secrets to decrypt TLS with (`--keylog`).
    keylog: Option<Arc<KeyLog>>,
    /// Decrypted bytes of each direction so far: the offsets of positions inside TLS.
    decrypted_offset: [u64; 2],
    /// The bytes being read came out of TLS records: what they complete is marked decrypted.
    reading_decrypted: bool,
}

/// Violations, with no exchange that made sense, after which a flow is judged not POP3 (Zeek's
/// dynamic protocol detection gives an analyzer up after a few violations too).
const VIOLATIONS_BEFORE_VERDICT: u32 = 4;

/// How notes name each side, indexed by [`side`].
const SIDE_NAMES: [&str; 2] = ["client", "server"];

fn side(dir: Direction) -> usize {
    match dir {
        Direction::ClientToServer => 0,
        Direction::ServerToClient => 1,
    }
}

/// What stopped decryption, as a note.
fn tls_note(problem: TlsProblem) -> Note {
    let name = |dir: Direction| SIDE_NAMES[side(dir)];
    match problem {
        TlsProblem::NoKey => Note::new(NoteCode::TlsNoKey, "no key for this session in the key log"),
        TlsProblem::Unsupported(suite) => Note::new(NoteCode::TlsUnsupported, suite),
        TlsProblem::NotAuthentic(dir) => Note::new(
            NoteCode::TlsNotAuthentic,
            format!("a {} record does not open with the logged key", name(dir)),
        ),
        TlsProblem::GaveUpWaiting => Note::new(
            NoteCode::TlsNoKey,
            "its records waited for keys the key log did not have in time, and were let go",
        ),
        TlsProblem::RecordCut(dir) => Note::new(
            NoteCode::TlsRecordCut,
            format!(
                "a {} record is cut short: the rest of that side is not decrypted",
                name(dir)
            ),
        ),
    }
}

/// The start of a line, as it came, for a note's detail.
fn sample(line: &[u8]) -> Vec<u8> {
    line[..line.len().min(Note::MAX_SAMPLE)].to_vec()
}

impl Decoder {
    /// Queues a command for its reply.
    fn push_pending(&mut self, exchange: Exchange) {
        self.stls_waiting += usize::from(exchange.verb() == Some(Verb::Stls));
        self.pending_bytes += pending_cost(&exchange);
        self.pending.push_back(exchange);
    }

    /// Takes the command whose reply comes next.
    fn pop_pending(&mut self) -> Option<Exchange> {
        let exchange = self.pending.pop_front()?;
        self.stls_waiting -= usize::from(exchange.verb() == Some(Verb::Stls));
        self.pending_bytes -= pending_cost(&exchange);
        Some(exchange)
    }

    /// Puts a command back at the head of the queue.
    fn unpop_pending(&mut self, exchange: Exchange) {
        self.stls_waiting += usize::from(exchange.verb() == Some(Verb::Stls));
        self.pending_bytes += pending_cost(&exchange);
        self.pending.push_front(exchange);
    }

    /// A decoder for one connection, in the phase `options` imply: AUTHORIZATION from the start,
    /// TLS when it is TLS from its first byte, UNKNOWN mid-session.
    pub fn new(options: DecoderOptions) -> Self {
        let phase = match (options.implicit_tls, options.from_start) {
            (true, _) => Phase::Tls,
            (false, true) => Phase::Authorization,
            (false, false) => Phase::Unknown,
        };
        Decoder {
            options,
            phase,
            inferred: !options.from_start && !options.implicit_tls,
            greeted: false,
            next_index: 1,
            pending: VecDeque::new(),
            stls_waiting: 0,
            reply_state: ReplyState::Status,
            readers: Default::default(),
            synced: [options.from_start; 2],
            skipped: [0; 2],
            tls: options.implicit_tls,
            tls_bytes: [0; 2],
            bare_lf_seen: [false; 2],
            last_was_multiline: false,
            quit_answered: false,
            skip_partial_line: false,
            spare_body: None,
            stream_offset: [0; 2],
            pending_bytes: 0,
            body_uncertain: false,
            violations: 0,
            confirmed: false,
            not_pop3: false,
            tls_observer: options.implicit_tls.then(Box::default),
            keylog: None,
            decrypted_offset: [0; 2],
            reading_decrypted: false,
        }
    }

    /// Decrypts the session's TLS (port 995, or after STLS) with the secrets of `keylog`, and
    /// reads the POP3 inside as it reads plain text.
    pub fn with_keylog(mut self, keylog: Arc<KeyLog>) -> Self {
        if self.tls_observer.is_some() {
            self.tls_observer = Some(Box::new(TlsObserver::new(Some(keylog.clone()))));
        }
        self.keylog = Some(keylog);
        self
    }

    /// An estimate of the heap memory the decoder holds: partial lines, waiting commands, the
    /// body being received, SASL lines, the spare body. O(1) for any traffic but an AUTH, whose
    /// SASL lines are bounded. The session layer sums it over all connections.
    pub fn held_bytes(&self) -> usize {
        let exchanges = self
            .pending
            .front()
            .into_iter()
            .chain(self.pending.back().filter(|_| self.pending.len() > 1));
        let in_progress: usize = exchanges
            .map(|e| {
                let body = e.reply.as_ref().and_then(|r| r.body.as_ref());
                body.map_or(0, Body::held_bytes) + e.sasl_held_bytes()
            })
            .sum();
        self.readers.iter().map(LineReader::held_bytes).sum::<usize>()
            + self.pending.capacity() * size_of::<Exchange>()
            + self.pending_bytes
            + in_progress
            + self.spare_body.as_ref().map_or(0, Body::held_bytes)
            + self.tls_observer.as_ref().map_or(0, |o| o.held_bytes())
    }

    /// Gives up what the decoder holds beyond what it needs to go on pairing, when the memory
    /// budget over all connections is reached: the line being collected (reported truncated),
    /// the kept lines of the body being received (counted from then on), the SASL lines, the
    /// spare body, and, when more than a few waited, the commands waiting for replies (reported
    /// now without them, `too_many_pending`). Every loss is a note on what it touched; the
    /// caller says when it happened ([`NoteCode::MemoryBudget`]). Returns the bytes freed.
    pub fn relieve(&mut self, out: &mut Vec<Pop3Event>) -> usize {
        let before = self.held_bytes();
        for reader in &mut self.readers {
            reader.give_up();
        }
        if let Some(observer) = &mut self.tls_observer {
            observer.relieve();
        }
        self.spare_body = None;
        if self.pending_bytes > PENDING_KEPT_WHEN_RELIEVED && self.pending.len() > 1 {
            // The head may be half answered: it stays. The rest are reported in order.
            let head = self.pop_pending().expect("more than one command waited");
            for mut exchange in std::mem::take(&mut self.pending) {
                exchange.note(NoteCode::TooManyPending, BUDGET);
                exchange.incomplete = true;
                self.finish(exchange, out);
            }
            self.stls_waiting = 0;
            self.pending_bytes = 0;
            self.unpop_pending(head);
        }
        let last = self.pending.len().saturating_sub(1);
        for i in [0, last] {
            let Some(exchange) = self.pending.get_mut(i) else {
                continue;
            };
            exchange.forget_sasl(BUDGET);
            if let Some(body) = exchange.reply.as_mut().and_then(|r| r.body.as_mut())
                && body.complete_in_memory
            {
                body.forget();
                exchange.note(NoteCode::BodyNotKept, BUDGET);
            }
        }
        before.saturating_sub(self.held_bytes())
    }

    /// The phase the session is in after everything fed so far.
    pub fn phase(&self) -> Phase {
        self.phase
    }

    /// Hands back the memory of a body the caller is done with; the next multi-line reply is
    /// built in it. Large messages then cost no fresh allocation each.
    pub fn recycle(&mut self, body: Body) {
        if self.spare_body.is_none() {
            self.spare_body = Some(body);
        }
    }

    /// Whether [`Decoder::recycle`] would keep a body now.
    pub fn wants_spare_body(&self) -> bool {
        self.spare_body.is_none()
    }

    /// True when the capture started mid-session: the phase is inferred from later traffic,
    /// not followed from the start.
    pub fn phase_inferred(&self) -> bool {
        self.inferred
    }

    /// What the TLS handshake showed, once the session switched to TLS.
    pub fn tls_facts(&self) -> Option<&TlsFacts> {
        self.tls_observer.as_deref().map(TlsObserver::facts)
    }

    /// Bytes seen after the switch to TLS: (client to server, server to client).
    pub fn tls_bytes(&self) -> (u64, u64) {
        (self.tls_bytes[0], self.tls_bytes[1])
    }

    /// Feeds the next bytes of one direction.
    pub fn bytes(&mut self, dir: Direction, input: &[u8], at: Position, out: &mut Vec<Pop3Event>) {
        let s = side(dir);
        let chunk_start = self.stream_offset[s];
        self.stream_offset[s] += input.len() as u64;
        self.read(dir, input, chunk_start, at, out);
    }

    /// TLS records of one direction: counted, shown to the observer, and what it decrypts read
    /// as POP3.
    fn encrypted(&mut self, dir: Direction, input: &[u8], at: Position, out: &mut Vec<Pop3Event>) {
        let s = side(dir);
        self.tls_bytes[s] += input.len() as u64;
        let Some(observer) = &mut self.tls_observer else {
            return;
        };
        observer.bytes(dir, input);
        self.decrypted(dir, at, out);
    }

    /// Reads what the observer decrypted in `dir`, and says what stopped it.
    fn decrypted(&mut self, dir: Direction, at: Position, out: &mut Vec<Pop3Event>) {
        let Some(observer) = &mut self.tls_observer else {
            return;
        };
        let plaintext = observer.take_plaintext(dir);
        for problem in observer.take_problems() {
            out.push(Pop3Event::Note {
                note: tls_note(problem),
                at,
            });
        }
        if plaintext.is_empty() {
            return;
        }
        // The POP3 inside: after STLS the session is in AUTHORIZATION again (RFC 2595 §4); on
        // port 995 the greeting comes first, as in the clear.
        if self.phase == Phase::Tls {
            self.phase = Phase::Authorization;
        }
        let s = side(dir);
        let start = self.decrypted_offset[s];
        self.decrypted_offset[s] += plaintext.len() as u64;
        self.reading_decrypted = true;
        self.read(dir, &plaintext, start, at, out);
        self.reading_decrypted = false;
    }

    /// Reads plain text (from the wire, or out of TLS records), from `chunk_start` in its
    /// direction's stream.
    fn read(
        &mut self,
        dir: Direction,
        mut input: &[u8],
        chunk_start: u64,
        at: Position,
        out: &mut Vec<Pop3Event>,
    ) {
        let s = side(dir);
        let chunk_len = input.len();
        let at_rest = |rest: &[u8]| Position {
            offset: chunk_start + (chunk_len - rest.len()) as u64,
            ..at
        };
        while !input.is_empty() {
            if self.tls && !self.reading_decrypted {
                self.encrypted(dir, input, at_rest(input), out);
                return;
            }
            if self.not_pop3 {
                self.skipped[s] += input.len() as u64;
                return;
            }
            if dir == Direction::ServerToClient && self.reply_state == ReplyState::Body {
                input = self.plain_body_lines(input, at_rest(input));
                if input.is_empty() {
                    return;
                }
            }
            let here = at_rest(input);
            let Some((info, whole)) = self.readers[s].next_line(&mut input, here) else {
                return;
            };
            if let Some(line) = whole {
                self.line(dir, line, info, &mut input, out);
            } else {
                let line = std::mem::take(&mut self.readers[s].buf);
                self.line(dir, &line, info, &mut input, out);
                self.readers[s].buf = line;
                self.readers[s].buf.clear();
            }
            if !self.confirmed && !self.not_pop3 && self.violations >= VIOLATIONS_BEFORE_VERDICT {
                self.judge_not_pop3(info.at, out);
            }
        }
    }

    /// Stops decoding a flow that keeps breaking POP3 and never made sense as POP3: the
    /// commands waiting are reported unanswered, the verdict is said once, and every later
    /// byte is counted.
    fn judge_not_pop3(&mut self, at: Position, out: &mut Vec<Pop3Event>) {
        self.not_pop3 = true;
        self.reply_state = ReplyState::Status;
        self.body_uncertain = false;
        while let Some(mut exchange) = self.pop_pending() {
            exchange.incomplete = true;
            self.finish(exchange, out);
        }
        for reader in &mut self.readers {
            reader.clear();
        }
        out.push(Pop3Event::Note {
            note: Note::new(
                NoteCode::NotPop3,
                format!("{} violations and no exchange that made sense", self.violations),
            ),
            at,
        });
    }

    fn line(
        &mut self,
        dir: Direction,
        line: &[u8],
        info: LineInfo,
        rest: &mut &[u8],
        out: &mut Vec<Pop3Event>,
    ) {
        match dir {
            Direction::ClientToServer => self.client_line(line, info, out),
            Direction::ServerToClient => self.server_line(line, info, rest, out),
        }
    }

    /// The bulk of a multi-line reply, taken fast: runs of whole CRLF data lines that need no
    /// decision (not the terminator or another line that starts with a dot, not too long, not
    /// over the memory cap, not in a scan listing or a reply cut by a gap) go into the body in
    /// one copy each, found by a few passes of SIMD searches over the chunk rather than line by
    /// line. Returns the input from the first line that needs the general path, which treats it
    /// exactly as it treats every line.
    fn plain_body_lines<'a>(&mut self, mut input: &'a [u8], at: Position) -> &'a [u8] {
        if self.skip_partial_line || self.body_uncertain || !self.synced[1] || self.readers[1].pending() != 0
        {
            return input;
        }
        let max_body = self.options.max_body;
        let Some(head) = self.pending.front_mut() else {
            return input;
        };
        if head.incomplete || matches!(head.verb(), Some(Verb::List | Verb::Uidl)) {
            return input;
        }
        let Some(reply) = head.reply.as_mut() else {
            return input;
        };
        let Some(body) = reply.body.as_mut() else {
            return input;
        };
        let start = input.len();
        let mut last_line = None;
        loop {
            // A body over the cap only counts its lines, one by one.
            let room = if body.complete_in_memory {
                max_body.saturating_sub(body.kept_len())
            } else {
                0
            };
            let run = plain_run(input, room);
            let (lines, count) = match run {
                Some(run) => run,
                None => match one_plain_line(input, body.kept_len(), max_body) {
                    Some((line, unstuffed)) => {
                        last_line = Some(start - input.len());
                        body.push(unstuffed, max_body);
                        input = &input[line..];
                        continue;
                    }
                    None => break,
                },
            };
            let last_start = memchr::memrchr(b'\n', &lines[..lines.len() - 1]).map_or(0, |lf| lf + 1);
            last_line = Some(start - input.len() + last_start);
            body.push_plain_lines(lines, count);
            input = &input[lines.len()..];
        }
        if let Some(last_line) = last_line {
            reply.last = Position {
                offset: at.offset + last_line as u64,
                ..at
            };
            reply.end = at.offset + (start - input.len()) as u64;
        }
        input
    }

    /// `len` bytes of one direction are missing from the capture.
    pub fn gap(&mut self, dir: Direction, len: u64, at: Position, out: &mut Vec<Pop3Event>) {
        let s = side(dir);
        self.stream_offset[s] += len;
        if self.tls {
            self.tls_bytes[s] += len;
            if let Some(observer) = &mut self.tls_observer {
                observer.gap(dir);
            }
            self.decrypted(dir, at, out);
            return;
        }
        self.readers[s].clear();
        match dir {
            Direction::ServerToClient if self.reply_state == ReplyState::Body => {
                // Inside a multi-line reply: the data lines go on after the hole. The line the
                // gap cut is dropped, and the reply is marked incomplete.
                self.skip_partial_line = true;
                if let Some(head) = self.pending.front_mut() {
                    head.missing(len);
                }
            }
            Direction::ServerToClient => {
                self.synced[s] = false;
                // The reply being waited for may have been in the hole: it cannot be trusted.
                if let Some(mut head) = self.pop_pending() {
                    head.missing(len);
                    self.finish(head, out);
                } else {
                    let what = if self.greeted || !self.options.from_start {
                        "server bytes"
                    } else {
                        "bytes of the greeting"
                    };
                    self.greeted = true;
                    out.push(Pop3Event::Note {
                        note: Note::new(NoteCode::GapInReply, format!("{len} {what} missing")),
                        at,
                    });
                }
            }
            Direction::ClientToServer => {
                self.synced[s] = false;
                // At least one command is probably lost: hold a place for its reply.
                let mut lost = self.new_exchange(None, None);
                lost.note(NoteCode::GapInCommands, format!("{len} client bytes missing"));
                self.push_pending(lost);
            }
        }
    }

    /// A retransmission in `dir` carried `differing` bytes unlike the first copy, which the
    /// stream kept: `kept` and `other` are the two copies from the first difference on. The
    /// note goes on the exchange those bytes most likely belong to: the reply being read for
    /// server bytes, the latest command for client bytes; else on the session.
    pub fn conflict(
        &mut self,
        dir: Direction,
        differing: u64,
        [kept, other]: [&[u8]; 2],
        at: Position,
        out: &mut Vec<Pop3Event>,
    ) {
        // Short enough for a terminal line to show both copies whole.
        let mut detail = format!("{differing} bytes differ; kept \"").into_bytes();
        detail.extend_from_slice(kept);
        detail.extend_from_slice(b"\", not \"");
        detail.extend_from_slice(other);
        detail.push(b'"');
        let exchange = match dir {
            Direction::ServerToClient => self.pending.front_mut(),
            Direction::ClientToServer => self.pending.back_mut(),
        };
        match exchange {
            Some(exchange) => exchange.note(NoteCode::ConflictingRetransmission, detail),
            None => out.push(Pop3Event::Note {
                note: Note::new(NoteCode::ConflictingRetransmission, detail),
                at,
            }),
        }
    }

    /// The connection or the capture ended: report every command still waiting.
    pub fn end(&mut self, at: Position, out: &mut Vec<Pop3Event>) {
        if self.not_pop3 {
            // What was not decoded after the verdict, side by side.
            self.report_skipped(at, out);
            return;
        }
        let decrypting = if let Some(observer) = &mut self.tls_observer {
            // Records kept for keys that came late, opened now; a record cut by the end.
            observer.end();
            self.decrypted(Direction::ClientToServer, at, out);
            self.decrypted(Direction::ServerToClient, at, out);
            self.tls_observer.as_ref().is_some_and(|o| o.decrypting())
        } else {
            false
        };
        self.reading_decrypted = decrypting;
        let unfinished = if self.tls && !decrypting {
            [0, 0]
        } else {
            [self.readers[0].pending(), self.readers[1].pending()]
        };
        self.readers[0].clear();
        self.readers[1].clear();
        if unfinished[0] > 0 {
            let note = Note::new(
                NoteCode::PartialLineAtEnd,
                format!("{} client bytes", unfinished[0]),
            );
            out.push(Pop3Event::Note { note, at });
        }
        let mut server_unfinished = unfinished[1];
        if std::mem::take(&mut self.body_uncertain)
            && let Some(reply) = self.pending.front_mut().and_then(|head| head.reply.as_mut())
        {
            // Nothing came after the reply to the lost command: it was one line.
            reply.body = None;
            self.reply_state = ReplyState::Status;
        }
        while let Some(mut exchange) = self.pop_pending() {
            if self.reply_state == ReplyState::Body && exchange.reply.is_some() {
                let detail = match std::mem::take(&mut server_unfinished) {
                    0 => "the connection ended inside the reply".to_string(),
                    n => format!("the connection ended inside the reply, {n} bytes into a line"),
                };
                exchange.note(NoteCode::TerminatorMissing, detail);
            } else if exchange.reply.is_none()
                && !exchange.notes.iter().any(|n| n.code == NoteCode::GapInCommands)
            {
                exchange.note(NoteCode::NoReply, "");
            }
            exchange.incomplete = true;
            self.reply_state = ReplyState::Status;
            self.finish(exchange, out);
        }
        if server_unfinished > 0 {
            let note = Note::new(
                NoteCode::PartialLineAtEnd,
                format!("{server_unfinished} server bytes"),
            );
            out.push(Pop3Event::Note { note, at });
        }
        self.reading_decrypted = false;
        self.report_skipped(at, out);
    }

    fn report_skipped(&mut self, at: Position, out: &mut Vec<Pop3Event>) {
        for (skipped, who) in self.skipped.iter_mut().zip(SIDE_NAMES) {
            if *skipped > 0 {
                out.push(Pop3Event::Note {
                    note: Note::new(NoteCode::ResyncSkipped, format!("{skipped} {who} bytes")),
                    at,
                });
                *skipped = 0;
            }
        }
    }

    fn new_exchange(&mut self, command: Option<Command>, sent: Option<Position>) -> Exchange {
        let index = self.next_index;
        self.next_index += 1;
        Exchange {
            index,
            command,
            sent,
            sent_octets: 0,
            phase: self.phase,
            phase_after: self.phase,
            inferred: self.inferred,
            reply: None,
            sasl: Vec::new(),
            notes: Vec::new(),
            incomplete: false,
            missing_bytes: 0,
            decrypted: self.reading_decrypted,
        }
    }

    fn line_notes(&mut self, dir: Direction, line: &[u8], info: LineInfo, notes: &mut Vec<Note>) {
        let s = side(dir);
        if memchr::memchr(b'\r', line).is_some() {
            notes.push(Note::new(NoteCode::LoneCr, sample(line)));
        }
        if info.bare_lf && !self.bare_lf_seen[s] {
            self.bare_lf_seen[s] = true;
            notes.push(Note::new(
                NoteCode::BareLf,
                if s == 0 {
                    "from the client"
                } else {
                    "from the server"
                },
            ));
        }
        if info.truncated {
            notes.push(Note::new(
                NoteCode::LineTruncated,
                format!("{} octets", info.wire_len),
            ));
        }
    }

    fn client_line(&mut self, line: &[u8], info: LineInfo, out: &mut Vec<Pop3Event>) {
        if !self.synced[0] {
            if !Command::is_plausible(line) {
                self.skipped[0] += info.wire_len as u64;
                return;
            }
            self.synced[0] = true;
            self.report_skipped(info.at, out);
        }
        let mut notes = Vec::new();
        self.line_notes(Direction::ClientToServer, line, info, &mut notes);

        // Lines after `AUTH mechanism` and before its final reply are SASL responses.
        if let Some(auth) = self.pending.back_mut()
            && auth.command.as_ref().is_some_and(Command::starts_sasl)
            && auth.reply.is_none()
            && !auth.incomplete
        {
            if line == b"*" {
                auth.note(NoteCode::SaslCancelled, "");
            }
            if auth.sasl.len() < MAX_SASL_LINES {
                auth.sasl.push(SaslLine {
                    from: Direction::ClientToServer,
                    data: line.to_vec(),
                    at: info.at,
                });
            } else {
                auth.count_dropped_sasl_lines(1, SASL_KEPT);
            }
            auth.notes.extend(notes);
            return;
        }
        // Bytes after STLS and before its reply would be read as plain text: injection. (Only
        // looked for when an STLS waits: each line costs the same however many commands wait.)
        if self.stls_waiting > 0
            && let Some(stls) = self
                .pending
                .iter_mut()
                .find(|e| e.verb() == Some(Verb::Stls) && e.reply.is_none())
        {
            stls.note(NoteCode::StlsInjectionClient, sample(line));
            return;
        }

        let mut command = Command::parse(line);
        command.wire = line.to_vec();
        if !info.truncated {
            command
                .wire
                .extend_from_slice(if info.bare_lf { b"\n" } else { b"\r\n" });
        }
        if info.wire_len > MAX_COMMAND_LINE {
            notes.push(Note::new(
                NoteCode::CommandTooLong,
                format!("{} octets", info.wire_len),
            ));
        }
        let (fewest, most) = command.verb.arity();
        let bad_number = matches!(
            command.verb,
            Verb::Retr | Verb::Dele | Verb::Top | Verb::List | Verb::Uidl
        ) && !command.args.is_empty()
            && command.number(0).is_none();
        if command.args.len() < fewest || command.args.len() > most || bad_number {
            notes.push(Note::new(
                NoteCode::BadArguments,
                format!("{} argument(s)", command.args.len()),
            ));
        }
        if command.verb == Verb::Unknown {
            let code = if parse_status(line).is_some() {
                NoteCode::ClientSentReply
            } else {
                NoteCode::UnknownCommand
            };
            notes.push(Note::new(code, sample(&command.keyword)));
            self.violations += 1;
        }
        let mut exchange = self.new_exchange(Some(command), Some(info.at));
        exchange.sent_octets = u32::try_from(info.wire_len).unwrap_or(u32::MAX);
        exchange.notes = notes;
        if self.pending.len() >= MAX_PENDING {
            // Memory stays bounded: the command is reported now, unpaired, and said to be so.
            exchange.note(
                NoteCode::TooManyPending,
                format!("more than {MAX_PENDING} commands waited for their replies"),
            );
            exchange.incomplete = true;
            self.finish(exchange, out);
            return;
        }
        self.push_pending(exchange);
    }

    fn server_line(&mut self, line: &[u8], info: LineInfo, rest: &mut &[u8], out: &mut Vec<Pop3Event>) {
        if std::mem::take(&mut self.skip_partial_line) {
            // The gap may have ended on a line boundary: a status line while more commands wait
            // is the next reply, not the tail of a cut line.
            let next_reply = self.pending.len() > 1 && parse_status(line).is_some();
            if !next_reply {
                self.skipped[1] += info.wire_len as u64;
                return;
            }
        }
        if !self.synced[1] {
            if parse_status(line).is_none() {
                self.skipped[1] += info.wire_len as u64;
                return;
            }
            self.synced[1] = true;
            self.report_skipped(info.at, out);
        }
        // A body line that shows the body ended without its terminator is read again as a
        // status line.
        if self.reply_state == ReplyState::Body && self.body_line(line, info, out) {
            return;
        }
        let mut notes = Vec::new();
        self.line_notes(Direction::ServerToClient, line, info, &mut notes);

        // A `+` line while an AUTH mechanism waits is a challenge, not a reply (RFC 5034 §4).
        if let Some(head) = self.pending.front_mut()
            && head.command.as_ref().is_some_and(Command::starts_sasl)
            && (line == b"+" || line.starts_with(b"+ "))
        {
            if head.sasl.len() < MAX_SASL_LINES {
                let data = line.get(2..).unwrap_or_default().to_vec();
                head.sasl.push(SaslLine {
                    from: Direction::ServerToClient,
                    data,
                    at: info.at,
                });
            } else {
                head.count_dropped_sasl_lines(1, SASL_KEPT);
            }
            head.notes.extend(notes);
            return;
        }

        let Some(status_line) = parse_status(line) else {
            self.violations += 1;
            match self.pending.front_mut() {
                Some(head) => {
                    let code = if Command::is_plausible(line) {
                        NoteCode::ServerSentCommand
                    } else {
                        NoteCode::NotAStatusLine
                    };
                    head.note(code, sample(line));
                    head.notes.extend(notes);
                }
                None => {
                    let code = if self.last_was_multiline {
                        NoteCode::UnstuffedTerminator
                    } else if Command::is_plausible(line) {
                        NoteCode::ServerSentCommand
                    } else {
                        NoteCode::ReplyWithoutCommand
                    };
                    out.push(Pop3Event::Note {
                        note: Note::new(code, sample(line)),
                        at: info.at,
                    });
                }
            }
            return;
        };
        let reply = Reply {
            status: status_line.status,
            text: status_line.text.to_vec(),
            code: ResponseCode::parse(status_line.text),
            body: None,
            first: info.at,
            last: info.at,
            end: info.at.offset + info.wire_len as u64,
        };
        if info.wire_len > MAX_REPLY_LINE {
            notes.push(Note::new(
                NoteCode::ReplyTooLong,
                format!("{} octets", info.wire_len),
            ));
        }

        if !self.greeted && self.pending.is_empty() && self.options.from_start && !self.quit_answered {
            self.greeted = true;
            // A server that speaks first with a status line is a POP3 server (RFC 1939 §4).
            self.confirmed = true;
            let apop = apop_timestamp(&reply.text).map(<[u8]>::to_vec);
            out.push(Pop3Event::Greeting(Greeting {
                status: reply.status,
                text: reply.text,
                at: info.at,
                apop_timestamp: apop,
                notes,
                decrypted: self.reading_decrypted,
            }));
            return;
        }
        if !self.greeted {
            self.greeted = true;
            if self.options.from_start {
                out.push(Pop3Event::Note {
                    note: Note::new(NoteCode::NoGreeting, ""),
                    at: info.at,
                });
            }
        }

        let Some(mut head) = self.pop_pending() else {
            self.violations += 1;
            let mut orphan = self.new_exchange(None, None);
            let why = if self.quit_answered {
                NoteCode::DataAfterQuit
            } else if self.last_was_multiline {
                NoteCode::UnstuffedTerminator
            } else {
                NoteCode::ReplyWithoutCommand
            };
            orphan.note(why, sample(line));
            orphan.notes.extend(notes);
            orphan.reply = Some(reply);
            self.finish(orphan, out);
            return;
        };
        head.notes.extend(notes);
        // A reply to a command the capture lost may be multi-line: its next line tells (RFC
        // 1939 §3), so that one lost command costs its own exchange, not the pairing of the rest.
        let lost_command = head.command.is_none();
        let multiline = reply.status == Status::Ok
            && (lost_command || head.command.as_ref().is_some_and(Command::has_multiline_reply));
        self.body_uncertain = multiline && lost_command;
        head.reply = Some(reply);
        if multiline {
            if let Some(reply) = head.reply.as_mut() {
                let mut body = Body::reusing(self.spare_body.take().unwrap_or_default());
                // `+OK 201762 octets`: room for the message at once, not by repeated doubling.
                if let Some(octets) = super::reply::octets_in_text(&reply.text) {
                    body.reserve(octets.min(self.options.max_body as u64) as usize);
                }
                reply.body = Some(body);
            }
            self.reply_state = ReplyState::Body;
            self.unpop_pending(head);
            return;
        }
        let entered_tls = head.verb() == Some(Verb::Stls) && head.ok() == Some(true);
        self.finish(head, out);
        if entered_tls {
            self.start_tls(info.at, rest, out);
        }
    }

    /// Takes a data line of the multi-line reply at the head; false when the line shows the
    /// body ended without its terminator, so it must be read as a status line.
    fn body_line(&mut self, line: &[u8], info: LineInfo, out: &mut Vec<Pop3Event>) -> bool {
        let more_waiting = self.pending.len() > 1;
        if std::mem::take(&mut self.body_uncertain) && line != b"." && parse_status(line).is_some() {
            // The lost command's reply was one line: this is the next reply.
            if let Some(mut head) = self.pop_pending() {
                if let Some(reply) = head.reply.as_mut() {
                    reply.body = None;
                }
                self.finish(head, out);
            }
            self.reply_state = ReplyState::Status;
            return false;
        }
        let Some(head) = self.pending.front_mut() else {
            self.reply_state = ReplyState::Status;
            return false;
        };
        let ends_here = line == b".";
        // Scan listings (LIST, UIDL) have a strict form: a status line inside one means the
        // server forgot the terminator. After a gap the terminator may be lost too: then a
        // status line while more commands wait is taken as the next reply.
        let strict =
            matches!(head.verb(), Some(Verb::List | Verb::Uidl)) || (head.incomplete && more_waiting);
        let cut_short = !ends_here && strict && parse_status(line).is_some();
        if ends_here || cut_short {
            if cut_short {
                head.note(
                    NoteCode::TerminatorMissing,
                    "a status line arrived inside the data lines",
                );
            } else if let Some(reply) = head.reply.as_mut() {
                reply.last = info.at;
                reply.end = info.at.offset + info.wire_len as u64;
            }
            // Bytes dropped after gaps inside this reply belong to it.
            if self.skipped[1] > 0 {
                let skipped = std::mem::take(&mut self.skipped[1]);
                head.note(
                    NoteCode::ResyncSkipped,
                    format!("{skipped} server bytes after a gap"),
                );
            }
            self.reply_state = ReplyState::Status;
            if let Some(head) = self.pop_pending() {
                self.finish(head, out);
            }
            self.last_was_multiline = ends_here;
            return ends_here;
        }
        let unstuffed = line.strip_prefix(b".").unwrap_or(line);
        if let Some(reply) = head.reply.as_mut() {
            reply.last = info.at;
            reply.end = info.at.offset + info.wire_len as u64;
            if let Some(body) = reply.body.as_mut() {
                let was_complete = body.complete_in_memory;
                body.push(unstuffed, self.options.max_body);
                if was_complete && !body.complete_in_memory {
                    head.notes.push(Note::new(
                        NoteCode::BodyNotKept,
                        format!("over {} bytes", self.options.max_body),
                    ));
                }
            }
        }
        if info.bare_lf && !self.bare_lf_seen[1] {
            self.bare_lf_seen[1] = true;
            head.note(NoteCode::BareLf, "from the server");
        }
        if info.truncated {
            head.note(NoteCode::LineTruncated, format!("{} octets", info.wire_len));
        }
        true
    }

    /// Completes an exchange: applies the phase transition and reports it.
    fn finish(&mut self, mut exchange: Exchange, out: &mut Vec<Pop3Event>) {
        exchange.decrypted |= self.reading_decrypted;
        exchange.phase = self.phase;
        exchange.inferred = self.inferred;
        if let Some(command) = exchange.command.as_ref()
            && command.starts_sasl()
        {
            let mut responses: Vec<&[u8]> = command.args.get(1).map(Vec::as_slice).into_iter().collect();
            responses.extend(
                exchange
                    .sasl
                    .iter()
                    .filter(|l| l.from == Direction::ClientToServer)
                    .map(|l| l.data.as_slice()),
            );
            let problems = super::sasl::problems(&command.args[0], &responses);
            exchange.notes.extend(problems);
        }
        if let Some(command) = exchange.command.as_ref() {
            let verb = command.verb;
            self.confirmed |= verb != Verb::Unknown && exchange.reply.is_some();
            let (next, violation) = phase::transition(self.phase, command, exchange.ok());
            match violation {
                Some(Violation::WrongPhase) => exchange.note(
                    NoteCode::WrongPhase,
                    format!("{} in {}", verb.name(), self.phase.name()),
                ),
                None => {}
            }
            self.phase = next;
            if verb == Verb::Quit && exchange.reply.is_some() {
                self.quit_answered = true;
            }
        }
        exchange.phase_after = self.phase;
        self.last_was_multiline = false;
        out.push(Pop3Event::Exchange(exchange));
    }

    /// After `+OK` to STLS both sides speak TLS from the next byte (RFC 2595 §4). Plain text the
    /// server sent after its `+OK`, or the client sent before it, is injection.
    fn start_tls(&mut self, at: Position, rest: &mut &[u8], out: &mut Vec<Pop3Event>) {
        self.tls = true;
        self.phase = Phase::Tls;
        out.push(Pop3Event::TlsStarted { at });
        let looks_like_tls = |bytes: &[u8]| bytes.first().is_none_or(|b| (0x14..=0x17).contains(b));
        if !looks_like_tls(rest) {
            out.push(Pop3Event::Note {
                note: Note::new(NoteCode::StlsInjectionServer, sample(rest)),
                at,
            });
        }
        let client_pending = &self.readers[0].buf;
        if self.readers[0].pending() > 0 && !looks_like_tls(client_pending) {
            out.push(Pop3Event::Note {
                note: Note::new(NoteCode::StlsInjectionClient, sample(client_pending)),
                at,
            });
        }
        self.tls_bytes[0] += self.readers[0].pending() as u64;
        // The client's first TLS bytes may have come before the reply (its ClientHello).
        let mut observer = Box::new(TlsObserver::new(self.keylog.clone()));
        observer.bytes(Direction::ClientToServer, &self.readers[0].buf);
        self.tls_observer = Some(observer);
        self.readers[0].clear();
        // Commands queued after STLS will never get a plain-text reply.
        while let Some(mut stranded) = self.pop_pending() {
            stranded.note(NoteCode::StlsInjectionClient, "sent before the STLS reply");
            stranded.incomplete = true;
            self.finish(stranded, out);
        }
    }
}

/// The longest run of whole lines at the start of `input` (which starts a line) that the body
/// can take as they are: each ends in CR LF, none starts with a dot, none is longer than
/// [`MAX_LINE`], and together they fit in `room` bytes. Returns the run and its number of lines;
/// `None` if the first line is not such a line.
fn plain_run(input: &[u8], room: usize) -> Option<(&[u8], u64)> {
    // Within a window of MAX_LINE bytes that starts a line no line can be too long.
    let window = &input[..input.len().min(MAX_LINE).min(room)];
    if window.first() == Some(&b'.') {
        return None;
    }
    let mut end = 0;
    let mut count = 0;
    for lf in memchr::memchr_iter(b'\n', window) {
        // A bare LF, or a line after it that starts with a dot: the general path's to take.
        if lf == 0 || window[lf - 1] != b'\r' {
            break;
        }
        end = lf + 1;
        count += 1;
        if window.get(end) == Some(&b'.') {
            break;
        }
    }
    (count > 0).then(|| (&window[..end], count))
}

/// The first line of `input` when the general path would only add it to the body: a CR LF
/// data line, dot-unstuffed but not the terminator, not too long, within the cap. Returns its
/// length on the wire and the line unstuffed.
fn one_plain_line(input: &[u8], kept: usize, max_body: usize) -> Option<(usize, &[u8])> {
    let lf = memchr::memchr(b'\n', input)?;
    let line = input[..lf].strip_suffix(b"\r")?;
    let unstuffed = match line {
        b"." => return None,
        [b'.', rest @ ..] => rest,
        _ => line,
    };
    (lf < MAX_LINE && kept + unstuffed.len() + 2 <= max_body).then_some((lf + 1, unstuffed))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const C: Direction = Direction::ClientToServer;
    const S: Direction = Direction::ServerToClient;

    /// A POP3 dialogue fed to a decoder, one side at a time.
    struct Talk {
        decoder: Decoder,
        events: Vec<Pop3Event>,
    }

    impl Talk {
        fn new() -> Self {
            Talk::with(DecoderOptions::default())
        }
        fn with(options: DecoderOptions) -> Self {
            Talk {
                decoder: Decoder::new(options),
                events: Vec::new(),
            }
        }
        fn client(&mut self, text: &str) -> &mut Self {
            self.decoder
                .bytes(C, text.as_bytes(), Position::default(), &mut self.events);
            self
        }
        fn server(&mut self, text: &str) -> &mut Self {
            self.decoder
                .bytes(S, text.as_bytes(), Position::default(), &mut self.events);
            self
        }
        fn end(&mut self) -> &mut Self {
            self.decoder.end(Position::default(), &mut self.events);
            self
        }
        fn exchanges(&self) -> Vec<&Exchange> {
            self.events
                .iter()
                .filter_map(|e| {
                    if let Pop3Event::Exchange(x) = e {
                        Some(x)
                    } else {
                        None
                    }
                })
                .collect()
        }
        fn last(&self) -> &Exchange {
            self.exchanges().last().copied().expect("an exchange")
        }
        fn session_notes(&self) -> Vec<NoteCode> {
            self.events
                .iter()
                .filter_map(|e| {
                    if let Pop3Event::Note { note, .. } = e {
                        Some(note.code)
                    } else {
                        None
                    }
                })
                .collect()
        }
        fn phase(&self) -> Phase {
            self.decoder.phase()
        }
    }

    fn codes(exchange: &Exchange) -> Vec<NoteCode> {
        exchange.notes.iter().map(|n| n.code).collect()
    }

    fn lines(exchange: &Exchange) -> Vec<String> {
        let body = exchange
            .reply
            .as_ref()
            .and_then(|r| r.body.as_ref())
            .expect("a multi-line reply");
        body.lines()
            .map(|l| String::from_utf8_lossy(l).into_owned())
            .collect()
    }

    fn greeted() -> Talk {
        let mut talk = Talk::new();
        talk.server("+OK POP3 server ready <1896.697170952@dbc.mtview.ca.us>\r\n");
        talk
    }

    #[test]
    fn a_flood_of_pipelined_commands_keeps_a_bounded_queue_and_says_so() {
        let mut talk = greeted();
        talk.client("USER a\r\nPASS b\r\n").server("+OK\r\n+OK\r\n");
        talk.client(&"NOOP\r\n".repeat(MAX_PENDING + 5));
        let over: Vec<&Exchange> = talk
            .exchanges()
            .into_iter()
            .filter(|e| codes(e).contains(&NoteCode::TooManyPending))
            .collect();
        assert_eq!(over.len(), 5);
        assert!(over.iter().all(|e| e.reply.is_none()));
        talk.server(&"+OK\r\n".repeat(MAX_PENDING));
        assert_eq!(talk.exchanges().len(), 2 + MAX_PENDING + 5);
    }

    #[test]
    fn a_sasl_flood_keeps_the_first_lines_and_counts_the_rest() {
        let mut talk = greeted();
        talk.client("AUTH PLAIN\r\n").server("+ \r\n");
        talk.client(&"dGVzdA==\r\n".repeat(70));
        talk.server("-ERR [AUTH] no\r\n");
        let auth = talk.last();
        assert_eq!(auth.sasl.len(), MAX_SASL_LINES);
        let note = auth
            .notes
            .iter()
            .find(|n| n.code == NoteCode::SaslTooLong)
            .expect("a note");
        assert_eq!(note.detail, b"7 lines not kept (after the first 64)");
    }

    #[test]
    fn each_line_knows_where_it_sits_in_its_stream() {
        let mut talk = logged_in();
        talk.client("RETR 1\r\n").server("+OK 5 octets\r\n..hi\r\n.\r\n");
        let retr = talk.last();
        // The client sent USER mrose (12) and PASS tanstaaf (15) before it.
        assert_eq!(retr.sent.map(|p| p.offset), Some(27));
        assert_eq!(retr.sent_octets, 8);
        let reply = retr.reply.as_ref().expect("a reply");
        // After the 57-byte greeting, "+OK\r\n" and "+OK maildrop locked\r\n".
        assert_eq!(reply.first.offset, 57 + 5 + 21);
        assert_eq!(reply.last.offset, 57 + 5 + 21 + 14 + 6);
        assert_eq!(reply.end, 57 + 5 + 21 + 14 + 6 + 3);
    }

    fn logged_in() -> Talk {
        let mut talk = greeted();
        talk.client("USER mrose\r\n")
            .server("+OK\r\n")
            .client("PASS tanstaaf\r\n")
            .server("+OK maildrop locked\r\n");
        talk
    }

    mod peers_notes {
        //! The notes Zeek's and Suricata's POP3 analyzers raise, each tested.
        use super::*;

        #[test]
        fn a_lone_cr_inside_a_line_is_noted() {
            let mut talk = greeted();
            talk.client("USER alice\r\r\n").server("+OK\r\n");
            assert_eq!(codes(talk.last()), vec![NoteCode::LoneCr]);
        }

        #[test]
        fn a_sasl_response_that_is_not_base64_is_noted() {
            let mut talk = greeted();
            talk.client("AUTH LOGIN\r\n").server("+ VXNlcm5hbWU6\r\n");
            talk.client("not base64!\r\n").server("-ERR\r\n");
            assert_eq!(codes(talk.last()), vec![NoteCode::BadBase64]);
        }

        #[test]
        fn an_auth_plain_without_its_two_nuls_is_noted() {
            // "alice secret" in base64: no NUL separators at all.
            let mut talk = greeted();
            talk.client("AUTH PLAIN YWxpY2Ugc2VjcmV0\r\n").server("-ERR\r\n");
            assert_eq!(codes(talk.last()), vec![NoteCode::BadAuthPlain]);
            let note = &talk.last().notes[0];
            assert_eq!(note.detail, b"0 NUL separators, not 2");
            // A well-formed one is not.
            let mut talk = greeted();
            talk.client("AUTH PLAIN AGFsaWNlAHNlY3JldA==\r\n")
                .server("+OK\r\n");
            assert!(talk.last().notes.is_empty());
        }

        #[test]
        fn a_client_that_sends_replies_and_a_server_that_sends_commands_are_noted() {
            let mut talk = greeted();
            talk.client("+OK hello\r\n").server("USER bob\r\n").end();
            let exchange = talk.exchanges()[0];
            assert_eq!(
                codes(exchange),
                vec![
                    NoteCode::ClientSentReply,
                    NoteCode::ServerSentCommand,
                    NoteCode::NoReply
                ]
            );
        }

        #[test]
        fn a_flow_that_is_not_pop3_is_said_so_once_and_no_longer_decoded() {
            // Redis on port 110: PING and +PONG, again and again.
            let mut talk = Talk::new();
            for _ in 0..50 {
                talk.client("PING\r\n").server("+PONG\r\n");
            }
            talk.end();
            let verdicts = talk
                .session_notes()
                .iter()
                .filter(|&&c| c == NoteCode::NotPop3)
                .count();
            assert_eq!(verdicts, 1);
            assert!(
                talk.exchanges().len() <= 2,
                "{} exchanges",
                talk.exchanges().len()
            );
            assert!(
                talk.session_notes().contains(&NoteCode::ResyncSkipped),
                "the rest is counted"
            );
        }

        #[test]
        fn a_pop3_session_with_odd_commands_is_never_judged_not_pop3() {
            let mut talk = logged_in();
            for _ in 0..10 {
                talk.client("XYZZY\r\n").server("-ERR unknown command\r\n");
            }
            assert!(!talk.session_notes().contains(&NoteCode::NotPop3));
            assert_eq!(talk.exchanges().len(), 12);
        }
    }

    mod authorization {
        use super::*;

        #[test]
        fn the_greeting_offers_apop_with_its_timestamp() {
            let talk = greeted();
            let Pop3Event::Greeting(greeting) = &talk.events[0] else {
                panic!("a greeting first")
            };
            assert_eq!(greeting.status, Status::Ok);
            assert_eq!(
                greeting.apop_timestamp.as_deref(),
                Some(&b"<1896.697170952@dbc.mtview.ca.us>"[..])
            );
            assert_eq!(talk.phase(), Phase::Authorization);
        }

        #[test]
        fn user_then_pass_accepted_enters_transaction() {
            let talk = logged_in();
            let pass = talk.last();
            assert_eq!(pass.verb(), Some(Verb::Pass));
            assert_eq!(
                (pass.phase, pass.phase_after),
                (Phase::Authorization, Phase::Transaction)
            );
            assert_eq!(talk.phase(), Phase::Transaction);
        }

        #[test]
        fn a_refused_password_stays_in_authorization() {
            let mut talk = greeted();
            talk.client("USER mrose\r\n")
                .server("+OK\r\n")
                .client("PASS wrong\r\n")
                .server("-ERR [AUTH] Authentication failed.\r\n");
            let pass = talk.last();
            assert_eq!(pass.ok(), Some(false));
            assert_eq!(pass.reply.as_ref().unwrap().code.as_ref().unwrap().code, "AUTH");
            assert_eq!(talk.phase(), Phase::Authorization);
        }

        #[test]
        fn quit_before_login_closes_without_update() {
            let mut talk = greeted();
            talk.client("QUIT\r\n").server("+OK bye\r\n");
            assert_eq!(talk.last().phase_after, Phase::Authorization);
        }

        #[test]
        fn a_transaction_command_before_login_is_in_the_wrong_phase() {
            let mut talk = greeted();
            talk.client("STAT\r\n").server("-ERR Unknown command: STAT\r\n");
            assert_eq!(codes(talk.last()), vec![NoteCode::WrongPhase]);
        }

        #[test]
        fn auth_plain_with_an_initial_response_is_one_exchange() {
            let mut talk = greeted();
            talk.client("AUTH PLAIN AGFsaWNlAHdvbmRlcmxhbmQ=\r\n")
                .server("+OK Logged in.\r\n");
            assert_eq!(talk.exchanges().len(), 1);
            assert_eq!(talk.last().phase_after, Phase::Transaction);
        }

        #[test]
        fn auth_login_challenges_and_responses_belong_to_the_auth_exchange() {
            let mut talk = greeted();
            talk.client("AUTH LOGIN\r\n")
                .server("+ VXNlcm5hbWU6\r\n")
                .client("YWxpY2U=\r\n")
                .server("+ UGFzc3dvcmQ6\r\n")
                .client("d29uZGVybGFuZA==\r\n")
                .server("+OK Logged in.\r\n");
            assert_eq!(talk.exchanges().len(), 1);
            let auth = talk.last();
            let sasl: Vec<(Direction, &[u8])> = auth.sasl.iter().map(|l| (l.from, &l.data[..])).collect();
            assert_eq!(
                sasl,
                vec![
                    (S, &b"VXNlcm5hbWU6"[..]),
                    (C, b"YWxpY2U="),
                    (S, b"UGFzc3dvcmQ6"),
                    (C, b"d29uZGVybGFuZA==")
                ]
            );
            assert_eq!(talk.phase(), Phase::Transaction);
        }

        #[test]
        fn an_empty_challenge_is_still_a_challenge() {
            let mut talk = greeted();
            talk.client("AUTH XOAUTH2\r\n")
                .server("+ \r\n")
                .client("dXNlcj1hAWF1dGg9QmVhcmVyIHQBAQ==\r\n")
                .server("+OK Welcome.\r\n");
            assert_eq!(talk.last().sasl.len(), 2);
            assert_eq!(talk.exchanges().len(), 1);
        }

        #[test]
        fn a_cancelled_sasl_exchange_ends_with_err() {
            let mut talk = greeted();
            talk.client("AUTH CRAM-MD5\r\n")
                .server("+ PDE4OTYuNjk3MTcwOTUyQHBvc3RvZmZpY2UuZXhhbXBsZS5uZXQ+\r\n")
                .client("*\r\n")
                .server("-ERR cancelled\r\n");
            assert_eq!(codes(talk.last()), vec![NoteCode::SaslCancelled]);
            assert_eq!(talk.phase(), Phase::Authorization);
        }

        #[test]
        fn auth_without_a_mechanism_lists_mechanisms_in_a_multi_line_reply() {
            let mut talk = greeted();
            talk.client("AUTH\r\n").server("+OK\r\nPLAIN\r\nLOGIN\r\n.\r\n");
            assert_eq!(lines(talk.last()), vec!["PLAIN", "LOGIN"]);
        }

        #[test]
        fn capa_lists_one_capability_per_line() {
            let mut talk = greeted();
            talk.client("CAPA\r\n")
                .server("+OK\r\nTOP\r\nUIDL\r\nPIPELINING\r\nSTLS\r\n.\r\n");
            assert_eq!(lines(talk.last()), vec!["TOP", "UIDL", "PIPELINING", "STLS"]);
        }
    }

    mod transaction {
        use super::*;

        #[test]
        fn list_without_an_argument_is_multi_line_and_with_one_is_not() {
            let mut talk = logged_in();
            talk.client("LIST\r\n")
                .server("+OK 2 messages (320 octets)\r\n1 120\r\n2 200\r\n.\r\n");
            assert_eq!(lines(talk.last()), vec!["1 120", "2 200"]);
            talk.client("LIST 2\r\n").server("+OK 2 200\r\n");
            assert!(talk.last().reply.as_ref().unwrap().body.is_none());
        }

        #[test]
        fn an_empty_scan_listing_ends_right_after_the_status_line() {
            let mut talk = logged_in();
            talk.client("LIST\r\n")
                .server("+OK 0 messages:\r\n.\r\n")
                .client("STAT\r\n")
                .server("+OK 0 0\r\n");
            assert_eq!(talk.exchanges().len(), 4);
            assert!(lines(talk.exchanges()[2]).is_empty());
        }

        #[test]
        fn err_is_always_one_line_even_for_retr() {
            let mut talk = logged_in();
            talk.client("RETR 9\r\n")
                .server("-ERR no such message\r\n")
                .client("NOOP\r\n")
                .server("+OK\r\n");
            assert_eq!(talk.exchanges().len(), 4);
            assert_eq!(talk.last().verb(), Some(Verb::Noop));
        }

        #[test]
        fn byte_stuffed_lines_lose_one_dot() {
            let mut talk = logged_in();
            talk.client("RETR 1\r\n")
                .server("+OK 24 octets\r\nSubject: x\r\n\r\n..\r\n...dots\r\n.\r\n");
            assert_eq!(lines(talk.last()), vec!["Subject: x", "", ".", "..dots"]);
            let body = talk.last().reply.as_ref().unwrap().body.as_ref().unwrap();
            assert_eq!(body.octets, 12 + 2 + 3 + 8);
        }

        #[test]
        fn a_dot_inside_a_line_does_not_end_the_reply() {
            let mut talk = logged_in();
            talk.client("RETR 1\r\n").server("+OK\r\nthe end.\r\n.\r\n");
            assert_eq!(lines(talk.last()), vec!["the end."]);
        }

        #[test]
        fn top_with_zero_lines_is_still_multi_line() {
            let mut talk = logged_in();
            talk.client("TOP 1 0\r\n")
                .server("+OK\r\nSubject: hi\r\n\r\n.\r\n");
            assert_eq!(lines(talk.last()), vec!["Subject: hi", ""]);
        }

        #[test]
        fn thirteen_pipelined_commands_each_get_their_own_reply() {
            let mut talk = logged_in();
            talk.client("STAT\r\nLIST\r\nUIDL\r\nLIST 1\r\nUIDL 1\r\nTOP 1 0\r\nRETR 1\r\nNOOP\r\nLIST 2\r\nTOP 2 1\r\nUIDL 2\r\nSTAT\r\nQUIT\r\n");
            talk.server(concat!(
                "+OK 2 320\r\n",
                "+OK\r\n1 120\r\n2 200\r\n.\r\n",
                "+OK\r\n1 a\r\n2 b\r\n.\r\n",
                "+OK 1 120\r\n",
                "+OK 1 a\r\n",
                "+OK\r\nSubject: one\r\n\r\n.\r\n",
                "+OK\r\nSubject: one\r\n\r\nbody\r\n.\r\n",
                "+OK\r\n",
                "+OK 2 200\r\n",
                "+OK\r\nSubject: two\r\n\r\nfirst\r\n.\r\n",
                "+OK 2 b\r\n",
                "+OK 2 320\r\n",
                "+OK bye\r\n",
            ));
            let verbs: Vec<_> = talk.exchanges()[2..]
                .iter()
                .map(|x| (x.verb().unwrap(), x.ok().unwrap()))
                .collect();
            assert_eq!(verbs.len(), 13);
            assert!(verbs.iter().all(|(_, ok)| *ok));
            assert_eq!(lines(talk.exchanges()[8]), vec!["Subject: one", "", "body"]);
            assert_eq!(talk.last().phase_after, Phase::Update);
        }

        #[test]
        fn a_reply_split_anywhere_decodes_the_same() {
            let mut talk = logged_in();
            talk.client("RETR 1\r\n");
            for piece in ["+O", "K\r", "\n", "line\r", "\n.", "\r\n"] {
                talk.server(piece);
            }
            assert_eq!(lines(talk.last()), vec!["line"]);
        }

        #[test]
        fn quit_in_transaction_enters_update() {
            let mut talk = logged_in();
            talk.client("DELE 1\r\n")
                .server("+OK marked\r\n")
                .client("QUIT\r\n")
                .server("+OK deleted\r\n");
            assert_eq!(
                (talk.last().phase, talk.last().phase_after),
                (Phase::Transaction, Phase::Update)
            );
        }

        #[test]
        fn a_login_command_after_login_is_in_the_wrong_phase() {
            let mut talk = logged_in();
            talk.client("USER again\r\n")
                .server("-ERR Unknown command: USER\r\n");
            assert_eq!(codes(talk.last()), vec![NoteCode::WrongPhase]);
        }

        #[test]
        fn an_unknown_command_is_kept_and_decoded_as_one_line() {
            let mut talk = logged_in();
            talk.client("XTND XMIT\r\n")
                .server("-ERR what?\r\n")
                .client("NOOP\r\n")
                .server("+OK\r\n");
            let unknown = talk.exchanges()[2];
            assert_eq!(unknown.command.as_ref().unwrap().keyword, b"XTND");
            assert_eq!(codes(unknown), vec![NoteCode::UnknownCommand]);
            assert_eq!(talk.last().verb(), Some(Verb::Noop));
        }

        #[test]
        fn a_missing_terminator_in_a_scan_listing_is_noticed_at_the_next_status_line() {
            let mut talk = logged_in();
            talk.client("LIST\r\nRETR 1\r\n");
            talk.server("+OK 2 messages\r\n1 120\r\n2 200\r\n+OK message follows\r\nhello\r\n.\r\n");
            let list = talk.exchanges()[2];
            assert_eq!(codes(list), vec![NoteCode::TerminatorMissing]);
            assert_eq!(lines(talk.last()), vec!["hello"]);
        }

        #[test]
        fn junk_before_a_status_line_is_noted_on_the_waiting_exchange() {
            let mut talk = logged_in();
            talk.client("STAT\r\n").server("\x00\x7fjunk\r\n+OK 1 236\r\n");
            assert_eq!(codes(talk.last()), vec![NoteCode::NotAStatusLine]);
            assert_eq!(talk.last().reply.as_ref().unwrap().text, b"1 236");
        }

        #[test]
        fn a_reply_nobody_asked_for_is_reported() {
            let mut talk = logged_in();
            talk.server("+OK surprise\r\n");
            assert!(talk.last().command.is_none());
            assert_eq!(codes(talk.last()), vec![NoteCode::ReplyWithoutCommand]);
        }

        #[test]
        fn lines_after_a_body_suggest_a_server_that_does_not_stuff() {
            let mut talk = logged_in();
            talk.client("RETR 1\r\n")
                .server("+OK\r\nbefore\r\n.\r\nafter the early end\r\n.\r\n");
            assert!(talk.session_notes().contains(&NoteCode::UnstuffedTerminator));
        }
    }

    mod framing {
        use super::*;

        #[test]
        fn a_bare_lf_is_accepted_and_flagged() {
            let mut talk = Talk::new();
            talk.server("+OK ready\n")
                .client("CAPA\n")
                .server("+OK\nTOP\n.\n");
            assert_eq!(lines(talk.last()), vec!["TOP"]);
            assert!(codes(talk.last()).contains(&NoteCode::BareLf));
        }

        #[test]
        fn a_bare_lf_first_seen_inside_a_body_is_flagged_on_that_exchange() {
            let mut talk = logged_in();
            talk.client("RETR 1\r\n").server("+OK\r\nline\nnext\r\n.\r\n");
            assert_eq!(lines(talk.last()), vec!["line", "next"]);
            assert_eq!(codes(talk.last()), vec![NoteCode::BareLf]);
        }

        #[test]
        fn a_command_over_255_octets_is_flagged() {
            let mut talk = greeted();
            talk.client(&format!("USER {}\r\n", "a".repeat(260)))
                .server("-ERR too long\r\n");
            assert!(codes(talk.last()).contains(&NoteCode::CommandTooLong));
        }

        #[test]
        fn a_command_without_a_reply_at_the_end_is_reported() {
            let mut talk = logged_in();
            talk.client("QUIT\r\n").end();
            assert!(talk.last().incomplete);
            assert_eq!(codes(talk.last()), vec![NoteCode::NoReply]);
        }

        #[test]
        fn a_body_cut_by_the_end_misses_its_terminator() {
            let mut talk = logged_in();
            talk.client("LIST\r\n").server("+OK 4 14971\r\n").end();
            assert_eq!(codes(talk.last()), vec![NoteCode::TerminatorMissing]);
        }

        #[test]
        fn a_large_body_is_counted_beyond_what_is_kept() {
            let mut talk = Talk::with(DecoderOptions {
                max_body: 10,
                ..DecoderOptions::default()
            });
            talk.server("+OK\r\n")
                .client("USER a\r\n")
                .server("+OK\r\n")
                .client("PASS b\r\n")
                .server("+OK\r\n");
            talk.client("RETR 1\r\n")
                .server("+OK\r\n12345\r\n67890\r\nabc\r\n.\r\n");
            let body = talk.last().reply.as_ref().unwrap().body.as_ref().unwrap();
            assert_eq!((body.line_count, body.complete_in_memory), (3, false));
            assert_eq!(codes(talk.last()), vec![NoteCode::BodyNotKept]);
        }
    }

    mod tls {
        use super::*;

        #[test]
        fn stls_accepted_turns_both_directions_into_tls() {
            let mut talk = greeted();
            talk.client("STLS\r\n")
                .server("+OK Begin TLS negotiation now.\r\n");
            talk.client("\x16\x03\x01\x00\x05hello")
                .server("\x16\x03\x03\x00\x02hi");
            assert_eq!(talk.phase(), Phase::Tls);
            assert_eq!(talk.decoder.tls_bytes(), (10, 7));
            assert!(
                talk.events
                    .iter()
                    .any(|e| matches!(e, Pop3Event::TlsStarted { .. }))
            );
            assert!(talk.session_notes().is_empty());
        }

        #[test]
        fn stls_refused_stays_plain_text() {
            let mut talk = greeted();
            talk.client("STLS\r\n")
                .server("-ERR not now\r\n")
                .client("CAPA\r\n")
                .server("+OK\r\nTOP\r\n.\r\n");
            assert_eq!(talk.phase(), Phase::Authorization);
            assert_eq!(talk.exchanges().len(), 2);
        }

        #[test]
        fn a_command_sent_after_stls_before_its_reply_is_injection() {
            let mut talk = greeted();
            talk.client("STLS\r\nCAPA\r\n").server("+OK go ahead\r\n");
            assert!(codes(talk.exchanges()[0]).contains(&NoteCode::StlsInjectionClient));
        }

        #[test]
        fn plain_text_after_the_servers_stls_ok_is_injection() {
            let mut talk = greeted();
            talk.client("STLS\r\n").server("+OK go ahead\r\n+OK injected\r\n");
            assert!(talk.session_notes().contains(&NoteCode::StlsInjectionServer));
        }

        #[test]
        fn port_995_is_tls_from_the_first_byte() {
            let mut talk = Talk::with(DecoderOptions {
                implicit_tls: true,
                ..DecoderOptions::default()
            });
            talk.client("\x16\x03\x01").server("\x16\x03\x03");
            assert_eq!(talk.phase(), Phase::Tls);
            assert!(talk.events.is_empty());
        }
    }

    mod messy_captures {
        use super::*;

        #[test]
        fn a_capture_that_starts_mid_session_infers_the_phase() {
            let mut talk = Talk::with(DecoderOptions {
                from_start: false,
                ..DecoderOptions::default()
            });
            // The tail of a body, then a command and its reply.
            talk.server("rest of a message\r\n.\r\n");
            talk.client("ext line\r\nRETR 2\r\n").server("+OK\r\nhi\r\n.\r\n");
            let retr = talk.last();
            assert_eq!(retr.verb(), Some(Verb::Retr));
            assert!(retr.inferred);
            assert_eq!(retr.phase_after, Phase::Transaction);
            assert!(talk.session_notes().contains(&NoteCode::ResyncSkipped));
        }

        #[test]
        fn a_gap_in_a_reply_marks_it_incomplete_and_the_next_status_line_resyncs() {
            let mut talk = logged_in();
            talk.client("RETR 1\r\nNOOP\r\n").server("+OK\r\nfirst part\r\n");
            talk.decoder.gap(S, 1000, Position::default(), &mut talk.events);
            talk.server("lost in the middle\r\n.\r\n+OK noop\r\n");
            let retr = talk.exchanges()[2];
            assert!(retr.incomplete);
            // The line the gap cut ("…lost in the middle") is dropped, and said so.
            assert_eq!(codes(retr), vec![NoteCode::GapInReply, NoteCode::ResyncSkipped]);
            assert_eq!(talk.last().verb(), Some(Verb::Noop));
            assert_eq!(talk.last().reply.as_ref().unwrap().text, b"noop");
        }

        #[test]
        fn a_gap_in_the_commands_holds_a_place_for_the_lost_ones_reply() {
            let mut talk = logged_in();
            talk.decoder.gap(C, 6, Position::default(), &mut talk.events);
            talk.client("NOOP\r\n").server("+OK 1 120\r\n+OK\r\n");
            let lost = talk.exchanges()[2];
            assert!(lost.command.is_none());
            assert_eq!(codes(lost), vec![NoteCode::GapInCommands]);
            assert_eq!(talk.last().verb(), Some(Verb::Noop));
        }

        #[test]
        fn a_lost_command_with_a_multi_line_reply_costs_only_its_own_exchange() {
            // The capture lost "RETR 1": its reply's data lines are read as its body, not as
            // replies nobody asked for, and the next command pairs with its own reply.
            let mut talk = logged_in();
            talk.decoder.gap(C, 8, Position::default(), &mut talk.events);
            talk.client("NOOP\r\n")
                .server("+OK 12 octets\r\nHello\r\n..dot\r\n.\r\n+OK noop\r\n");
            let lost = talk.exchanges()[2];
            assert!(lost.command.is_none());
            assert_eq!(codes(lost), vec![NoteCode::GapInCommands]);
            assert_eq!(lines(lost), ["Hello", ".dot"]);
            assert_eq!(talk.last().verb(), Some(Verb::Noop));
            assert_eq!(talk.last().reply.as_ref().unwrap().text, b"noop");
            assert!(talk.session_notes().is_empty());
        }

        #[test]
        fn a_lost_command_with_a_one_line_reply_at_the_end_has_no_body() {
            let mut talk = logged_in();
            talk.decoder.gap(C, 6, Position::default(), &mut talk.events);
            talk.server("+OK\r\n").end();
            let lost = talk.exchanges()[2];
            assert!(lost.reply.as_ref().unwrap().body.is_none());
            assert_eq!(codes(lost), vec![NoteCode::GapInCommands]);
        }

        #[test]
        fn a_conflicting_retransmission_is_noted_on_the_reply_being_read() {
            let mut talk = logged_in();
            talk.client("RETR 1\r\n").server("+OK\r\nfirst copy\r\n");
            talk.decoder
                .conflict(S, 5, [b"first", b"other"], Position::default(), &mut talk.events);
            talk.server(".\r\n");
            assert_eq!(codes(talk.last()), vec![NoteCode::ConflictingRetransmission]);
        }

        #[test]
        fn a_conflict_with_no_exchange_waiting_is_a_session_note() {
            let mut talk = logged_in();
            talk.decoder
                .conflict(C, 2, [b"ab", b"cd"], Position::default(), &mut talk.events);
            assert!(
                talk.session_notes()
                    .contains(&NoteCode::ConflictingRetransmission)
            );
        }
    }

    /// A session that touches every framing rule, to split in every way.
    const CLIENT: &str =
        "CAPA\r\nUSER a\r\nPASS b c\r\nSTAT\r\nLIST\r\nRETR 1\r\nTOP 1 0\r\nAUTH\r\nXYZ\r\nQUIT\r\n";
    const SERVER: &str = concat!(
        "+OK hi <1.2@x>\r\n",
        "+OK\r\nTOP\r\nPIPELINING\r\n.\r\n",
        "+OK\r\n",
        "+OK in\r\n",
        "+OK 1 5\r\n",
        "+OK\r\n1 5\r\n.\r\n",
        "+OK\r\n..x\r\nb\n.\r\n",
        "+OK\r\nS: y\r\n\r\n.\r\n",
        "-ERR no\r\n",
        "-ERR what\r\n",
        "+OK bye\r\n",
    );

    fn feed(client_cuts: &[usize], server_cuts: &[usize]) -> Vec<Pop3Event> {
        let mut decoder = Decoder::new(DecoderOptions::default());
        let mut events = Vec::new();
        let pieces = |text: &'static str, cuts: &[usize]| -> Vec<&'static [u8]> {
            let mut cuts: Vec<usize> = cuts.iter().map(|c| c % (text.len() + 1)).collect();
            cuts.sort_unstable();
            cuts.dedup();
            let mut out = Vec::new();
            let mut from = 0;
            for cut in cuts.into_iter().chain([text.len()]) {
                out.push(&text.as_bytes()[from..cut]);
                from = cut;
            }
            out
        };
        // The server greets first; then each command goes out before its reply comes back, as
        // it would on the wire: feed the client's pieces, then the server's, interleaved.
        let client = pieces(CLIENT, client_cuts);
        let server = pieces(SERVER, server_cuts);
        let greeting_len = SERVER.find('\n').unwrap() + 1;
        decoder.bytes(
            S,
            &SERVER.as_bytes()[..greeting_len],
            Position::default(),
            &mut events,
        );
        let mut sent = 0;
        for piece in &client {
            decoder.bytes(C, piece, Position::default(), &mut events);
            sent += piece.len();
        }
        assert_eq!(sent, CLIENT.len());
        let mut offset = 0;
        for piece in &server {
            let skip = greeting_len.saturating_sub(offset).min(piece.len());
            decoder.bytes(S, &piece[skip..], Position::default(), &mut events);
            offset += piece.len();
        }
        decoder.end(Position::default(), &mut events);
        events
    }

    proptest! {
        #[test]
        fn the_same_bytes_split_any_way_give_the_same_events(
            client_cuts in prop::collection::vec(any::<usize>(), 0..12),
            server_cuts in prop::collection::vec(any::<usize>(), 0..20),
        ) {
            let whole = feed(&[], &[]);
            prop_assert_eq!(feed(&client_cuts, &server_cuts), whole);
        }

        #[test]
        fn one_byte_at_a_time_gives_the_same_events(_unused in 0..1) {
            let every_client_byte: Vec<usize> = (0..CLIENT.len()).collect();
            let every_server_byte: Vec<usize> = (0..SERVER.len()).collect();
            prop_assert_eq!(feed(&every_client_byte, &every_server_byte), feed(&[], &[]));
        }

        #[test]
        fn a_body_taken_in_runs_is_the_body_taken_line_by_line(
            lines in prop::collection::vec(prop::sample::select(vec![
                "plain text\r\n", "\r\n", "..stuffed\r\n", ".\r\n", "bare\n", "cr\r inside\r\n",
                "ends in cr\r\r\n", "a longer line of a message, long enough to reach a small cap\r\n",
            ]), 0..30),
            cuts in prop::collection::vec(any::<usize>(), 0..8),
            max_body in 0usize..400,
        ) {
            let reply: String = ["+OK\r\n"].into_iter().chain(lines).chain([".\r\n"]).collect();
            let decode = |cuts: &[usize]| {
                let options = DecoderOptions { max_body, ..DecoderOptions::default() };
                let mut decoder = Decoder::new(options);
                let mut events = Vec::new();
                decoder.bytes(S, b"+OK ready\r\n", Position::default(), &mut events);
                decoder.bytes(C, b"RETR 1\r\n", Position::default(), &mut events);
                let mut from = 0;
                for cut in cuts.iter().copied().chain([reply.len()]) {
                    decoder.bytes(S, &reply.as_bytes()[from..cut], Position::default(), &mut events);
                    from = cut;
                }
                decoder.end(Position::default(), &mut events);
                events
            };
            let mut cuts: Vec<usize> = cuts.iter().map(|c| c % (reply.len() + 1)).collect();
            cuts.sort_unstable();
            let every_byte: Vec<usize> = (0..reply.len()).collect();
            prop_assert_eq!(decode(&cuts), decode(&every_byte));
        }

        #[test]
        fn random_bytes_never_panic(
            chunks in prop::collection::vec((any::<bool>(), prop::collection::vec(any::<u8>(), 0..40), any::<u8>()), 0..40),
            from_start in any::<bool>(),
        ) {
            let mut decoder = Decoder::new(DecoderOptions { from_start, max_body: 64, ..DecoderOptions::default() });
            let mut events = Vec::new();
            for (client, bytes, action) in &chunks {
                let dir = if *client { C } else { S };
                if *action == 0 {
                    decoder.gap(dir, 10, Position::default(), &mut events);
                } else {
                    decoder.bytes(dir, bytes, Position::default(), &mut events);
                }
            }
            decoder.end(Position::default(), &mut events);
        }
    }
}
