//! Any bytes as a capture file, read mapped into memory and read as a stream: the same frames,
//! and the same end.
#![no_main]

use std::fs::File;
use std::sync::Arc;

use libfuzzer_sys::fuzz_target;
use pop3scope::capture::CaptureReader;

type Frames = Vec<(u64, i64, u32, Vec<u8>, u32)>;

fn frames(reader: Result<CaptureReader, impl std::fmt::Display>) -> Result<(Frames, String), String> {
    let mut reader = reader.map_err(|e| e.to_string())?;
    let mut frames = Vec::new();
    let result = reader.for_each_frame(|frame| {
        frames.push((frame.number, frame.ts.0, frame.link_type.0, frame.data.to_vec(), frame.orig_len));
        true
    });
    Ok((frames, format!("{result:?}")))
}

fuzz_target!(|data: &[u8]| {
    let path = std::env::temp_dir().join(format!("pop3scope-fuzz-mapped-{}", std::process::id()));
    if std::fs::write(&path, data).is_err() {
        return;
    }
    let open = || File::open(&path).expect("the file just written");
    let mapped = frames(CaptureReader::map_file(open(), Arc::default()));
    let streamed = frames(CaptureReader::from_stream(open(), Arc::default()));
    assert_eq!(mapped, streamed);
});
