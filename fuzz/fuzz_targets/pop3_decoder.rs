//! The POP3 decoder on arbitrary chunks of both directions.
//!
//! Input scheme, repeated until the bytes run out: one control byte, then what it announces.
//! - bit 7 picks the direction (0: client to server, 1: server to client);
//! - bits 0..=6 are a chunk length `n`: the next `n` bytes (fewer at the end) are fed as data;
//! - `n == 0` is a gap instead: the next byte is its length.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pop3scope::base::Direction;
use pop3scope::pop3::{Decoder, DecoderOptions, Position};

fuzz_target!(|data: &[u8]| {
    let mut decoder = Decoder::new(DecoderOptions::default());
    let mut events = Vec::new();
    let mut rest = data;
    while let Some((&control, tail)) = rest.split_first() {
        let dir = if control & 0x80 == 0 {
            Direction::ClientToServer
        } else {
            Direction::ServerToClient
        };
        let n = usize::from(control & 0x7f);
        if n == 0 {
            let Some((&len, tail)) = tail.split_first() else {
                break;
            };
            decoder.gap(dir, u64::from(len), Position::default(), &mut events);
            rest = tail;
        } else {
            let (chunk, tail) = tail.split_at(n.min(tail.len()));
            decoder.bytes(dir, chunk, Position::default(), &mut events);
            rest = tail;
        }
        std::hint::black_box(&events);
        events.clear();
    }
    decoder.end(Position::default(), &mut events);
    std::hint::black_box(&events);
});
