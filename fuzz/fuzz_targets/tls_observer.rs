//! The TLS observer (record framing, handshake messages, certificates) on arbitrary chunks and
//! gaps of both directions (scheme in `chunks.rs`).
#![no_main]

#[path = "chunks.rs"]
mod chunks;

use chunks::{Piece, pieces};
use libfuzzer_sys::fuzz_target;
use pop3scope::tls::TlsObserver;

fuzz_target!(|data: &[u8]| {
    let mut observer = TlsObserver::default();
    for piece in pieces(data) {
        match piece {
            Piece::Data(dir, chunk) => observer.bytes(dir, chunk),
            Piece::Gap(dir, _) => observer.gap(dir),
        }
    }
    std::hint::black_box(observer.facts());
});
