//! The input scheme of the targets fed both directions of a stream, repeated until the bytes
//! run out: one control byte, then what it announces.
//! - bit 7 picks the direction (0: client to server, 1: server to client);
//! - bits 0..=6 are a chunk length `n`: the next `n` bytes (fewer at the end) are data;
//! - `n == 0` is a gap instead: the next byte is its length.

use pop3scope::base::Direction;

/// One piece of a fuzzed stream.
pub enum Piece<'a> {
    Data(Direction, &'a [u8]),
    Gap(Direction, u8),
}

/// The pieces `data` describes, in order.
pub fn pieces(mut data: &[u8]) -> impl Iterator<Item = Piece<'_>> {
    std::iter::from_fn(move || {
        let (&control, tail) = data.split_first()?;
        let dir = if control & 0x80 == 0 {
            Direction::ClientToServer
        } else {
            Direction::ServerToClient
        };
        let n = usize::from(control & 0x7f);
        if n == 0 {
            let (&len, tail) = tail.split_first()?;
            data = tail;
            Some(Piece::Gap(dir, len))
        } else {
            let (chunk, tail) = tail.split_at(n.min(tail.len()));
            data = tail;
            Some(Piece::Data(dir, chunk))
        }
    })
}
