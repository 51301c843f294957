//! Any bytes as a capture file: the reader must deliver frames or an error, never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pop3scope::capture::CaptureReader;

fuzz_target!(|data: &[u8]| {
    let Ok(mut reader) = CaptureReader::new(std::io::Cursor::new(data.to_vec())) else {
        return;
    };
    let mut captured = 0usize;
    let _ = reader.for_each_frame(|frame| {
        // Touch every field so nothing is optimised away.
        captured += frame.data.len();
        let _ = (
            frame.number,
            frame.ts,
            frame.link_type.name(),
            frame.is_truncated(),
        );
        true
    });
    let _ = reader.stats();
    std::hint::black_box(captured);
});
