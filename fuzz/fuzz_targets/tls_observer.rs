//! The TLS observer (record framing, handshake messages, certificates, and decryption with the
//! key logs of the repository's captures) on arbitrary chunks and gaps of both directions
//! (scheme in `chunks.rs`). Seeded with the TLS streams of those captures, so that mutations
//! start from sessions whose records really open.
#![no_main]

#[path = "chunks.rs"]
mod chunks;

use std::sync::{Arc, OnceLock};

use chunks::{Piece, pieces};
use libfuzzer_sys::fuzz_target;
use pop3scope::base::Direction;
use pop3scope::tls::{KeyLog, TlsObserver};

static KEYLOG: OnceLock<Arc<KeyLog>> = OnceLock::new();

fuzz_target!(|data: &[u8]| {
    let keylog = KEYLOG.get_or_init(|| {
        let text = [
            include_str!("../../captures/07-stls.keylog"),
            include_str!("../../captures/22-pop3s-implicit-tls.keylog"),
            include_str!("../../captures/28-tls12-aes-gcm.keylog"),
            include_str!("../../captures/29-tls12-chacha20.keylog"),
        ]
        .concat();
        Arc::new(KeyLog::complete(&text))
    });
    let mut observer = TlsObserver::new(Some(keylog.clone()));
    for piece in pieces(data) {
        match piece {
            Piece::Data(dir, chunk) => observer.bytes(dir, chunk),
            Piece::Gap(dir, _) => observer.gap(dir),
        }
    }
    observer.end();
    std::hint::black_box(observer.take_plaintext(Direction::ClientToServer));
    std::hint::black_box(observer.take_plaintext(Direction::ServerToClient));
    std::hint::black_box(observer.take_problems());
    std::hint::black_box(observer.facts());
});
