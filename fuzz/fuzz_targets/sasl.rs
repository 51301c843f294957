//! The SASL readers (who logged in, what is malformed) on arbitrary responses.
//!
//! Input scheme: one byte picks the mechanism; the rest, split at each newline, are the
//! client's responses as sent (base64, or anything), each also tried decoded.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pop3scope::pop3::sasl;

const MECHANISMS: [&str; 7] = ["PLAIN", "LOGIN", "CRAM-MD5", "XOAUTH2", "OAUTHBEARER", "NTLM", "GSSAPI"];

fuzz_target!(|data: &[u8]| {
    let Some((&pick, rest)) = data.split_first() else {
        return;
    };
    let mechanism = MECHANISMS[usize::from(pick) % MECHANISMS.len()];
    let responses: Vec<Vec<u8>> = rest.split(|&b| b == b'\n').map(<[u8]>::to_vec).collect();
    std::hint::black_box(sasl::identity(mechanism, &responses));
    let slices: Vec<&[u8]> = responses.iter().map(Vec::as_slice).collect();
    std::hint::black_box(sasl::problems(mechanism.as_bytes(), &slices));
});
