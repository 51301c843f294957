//! Any bytes as a capture file through every analysis layer (wire, defragmentation, flow table,
//! POP3 decoder, sessions) into a sink that discards what it is told.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pop3scope::capture::CaptureReader;
use pop3scope::pipeline::{Config, analyze};
use pop3scope::session::{SessionEvent, SessionSink};

struct Discard;

impl SessionSink for Discard {
    fn event(&mut self, event: SessionEvent<'_>) {
        std::hint::black_box(&event);
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(mut reader) = CaptureReader::new(std::io::Cursor::new(data.to_vec())) else {
        return;
    };
    let config = Config::default();
    let mut sessions = config.sessions(Discard);
    let (stats, result) = analyze(&mut reader, &config, &mut sessions, || {});
    std::hint::black_box((stats.frames, result.is_ok()));
});
