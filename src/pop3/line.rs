//! Line framing: bytes collected until CRLF (or a bare LF), with the length limits of RFC 2449
//! §4 counted and long lines cut, never grown without bound.

use super::exchange::Position;

/// A line longer than this is counted but not kept whole (body lines have no protocol limit).
pub(super) const MAX_LINE: usize = 64 * 1024;
/// RFC 2449 §4: command lines at most 255 octets, reply first lines at most 512, CRLF included.
pub(super) const MAX_COMMAND_LINE: usize = 255;
pub(super) const MAX_REPLY_LINE: usize = 512;

/// Collects bytes until a line is complete.
#[derive(Default)]
pub(super) struct LineReader {
    pub(super) buf: Vec<u8>,
    start: Option<Position>,
    /// Length of the current line so far, including what did not fit in `buf`.
    len: usize,
    /// The line's last byte, even when `buf` is full: tells CRLF from a bare LF.
    last: Option<u8>,
    /// The memory budget took the line's bytes: the rest of it is counted, not kept.
    given_up: bool,
}

/// Facts about a complete line whose bytes sit in the reader's buffer.
#[derive(Clone, Copy, Debug)]
pub(super) struct LineInfo {
    pub(super) at: Position,
    pub(super) bare_lf: bool,
    /// Octets on the wire, line ending included.
    pub(super) wire_len: usize,
    pub(super) truncated: bool,
}

impl LineReader {
    /// Takes bytes from `input` up to and including the next LF; returns the line's facts when
    /// one is complete. A line that lies whole in `input` is returned as a slice of it (no
    /// copy); otherwise its bytes, without CR LF, are in `self.buf`.
    pub(super) fn next_line<'a>(
        &mut self,
        input: &mut &'a [u8],
        at: Position,
    ) -> Option<(LineInfo, Option<&'a [u8]>)> {
        if input.is_empty() {
            return None;
        }
        let (part, complete) = match memchr::memchr(b'\n', input) {
            Some(lf) => (&input[..lf], true),
            None => (*input, false),
        };
        if complete && self.len == 0 && part.len() <= MAX_LINE {
            *input = &input[part.len() + 1..];
            let bare_lf = part.last() != Some(&b'\r');
            let line = if bare_lf { part } else { &part[..part.len() - 1] };
            let info = LineInfo {
                at,
                bare_lf,
                wire_len: part.len() + 1,
                truncated: false,
            };
            return Some((info, Some(line)));
        }
        self.start.get_or_insert(at);
        let room = if self.given_up {
            0
        } else {
            MAX_LINE.saturating_sub(self.buf.len())
        };
        self.buf.extend_from_slice(&part[..part.len().min(room)]);
        self.len += part.len();
        if let Some(&b) = part.last() {
            self.last = Some(b);
        }
        *input = &input[(part.len() + usize::from(complete)).min(input.len())..];
        if !complete {
            return None;
        }
        let bare_lf = self.last != Some(b'\r');
        if !bare_lf && self.buf.len() == self.len {
            self.buf.pop();
        }
        let info = LineInfo {
            at: self.start.take().unwrap_or(at),
            bare_lf,
            wire_len: self.len + 1,
            truncated: self.len > MAX_LINE || self.given_up,
        };
        self.len = 0;
        self.last = None;
        self.given_up = false;
        Some((info, None))
    }

    pub(super) fn clear(&mut self) {
        self.buf.clear();
        self.start = None;
        self.len = 0;
        self.last = None;
        self.given_up = false;
    }

    /// Frees the bytes of the line being collected: the line is reported truncated when it
    /// ends. Returns the bytes freed.
    pub(super) fn give_up(&mut self) -> usize {
        let freed = self.buf.capacity();
        if self.len > 0 {
            self.given_up = true;
        }
        self.buf = Vec::new();
        freed
    }

    /// Heap bytes held.
    pub(super) fn held_bytes(&self) -> usize {
        self.buf.capacity()
    }

    pub(super) fn pending(&self) -> usize {
        self.len
    }
}
