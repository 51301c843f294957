//! The TLS observer (record framing, handshake messages, certificates) on arbitrary bytes of
//! both directions. Input scheme: one control byte (bit 7: direction; bits 0..=6: chunk
//! length, 0 for a gap), then the chunk.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pop3scope::base::Direction;
use pop3scope::tls::TlsObserver;

fuzz_target!(|data: &[u8]| {
    let mut observer = TlsObserver::default();
    let mut rest = data;
    while let Some((&control, tail)) = rest.split_first() {
        let dir = if control & 0x80 == 0 {
            Direction::ClientToServer
        } else {
            Direction::ServerToClient
        };
        let n = usize::from(control & 0x7f);
        if n == 0 {
            observer.gap(dir);
            rest = tail;
        } else {
            let (chunk, tail) = tail.split_at(n.min(tail.len()));
            observer.bytes(dir, chunk);
            rest = tail;
        }
    }
    std::hint::black_box(observer.facts());
});
