//! Any text as a `simulate` script: it parses or names the wrong line, and a parsed one becomes
//! a capture or an error.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pop3scope::teach::simulate::Script;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Ok(script) = Script::parse(&text, false) {
        let _ = std::hint::black_box(script.capture());
    }
});
