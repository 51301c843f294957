//! The POP3 decoder on arbitrary chunks and gaps of both directions (scheme in `chunks.rs`).
#![no_main]

#[path = "chunks.rs"]
mod chunks;

use chunks::{Piece, pieces};
use libfuzzer_sys::fuzz_target;
use pop3scope::pop3::{Decoder, DecoderOptions, Position};

fuzz_target!(|data: &[u8]| {
    let mut decoder = Decoder::new(DecoderOptions::default());
    let mut events = Vec::new();
    for piece in pieces(data) {
        match piece {
            Piece::Data(dir, chunk) => decoder.bytes(dir, chunk, Position::default(), &mut events),
            Piece::Gap(dir, len) => decoder.gap(dir, u64::from(len), Position::default(), &mut events),
        }
        std::hint::black_box(&events);
        events.clear();
    }
    decoder.end(Position::default(), &mut events);
    std::hint::black_box(&events);
});
