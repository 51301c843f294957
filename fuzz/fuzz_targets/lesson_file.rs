//! Any text as a lesson file: it parses or is refused, and a parsed one can be checked.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pop3scope::teach::lesson::LessonFile;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Ok(lesson) = LessonFile::parse(&text) {
        std::hint::black_box(lesson.problems());
    }
});
