//! A retrieved message read as RFC 5322 and MIME (pop3scope's walk over mail-parser): any bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut attachments = 0usize;
    let facts = pop3scope::mail::read_with(data, true, &mut |_, contents| attachments += contents.len());
    assert!(facts.parts.len() <= pop3scope::mail::MAX_PARTS);
    std::hint::black_box((facts, attachments));
});
