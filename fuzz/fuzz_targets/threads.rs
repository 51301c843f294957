//! Any bytes as a capture file through the pipeline on one thread and on three: the session
//! events must be the same, in the same order (the flow layer's connection numbers aside:
//! they are each worker's own, and no front end shows them), and so must the counters.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pop3scope::capture::CaptureReader;
use pop3scope::pipeline::{Config, analyze, analyze_parallel};
use pop3scope::pop3::Body;
use pop3scope::session::{OwnedSessionEvent, SessionEvent, SessionSink};

#[derive(Default)]
struct Written(Vec<String>);

impl SessionSink for Written {
    fn event(&mut self, event: SessionEvent<'_>) {
        let mut event = OwnedSessionEvent::new(event);
        match &mut event {
            OwnedSessionEvent::Started(info) => info.flow = 0,
            OwnedSessionEvent::Ended(summary) => summary.info.flow = 0,
            _ => {}
        }
        self.0.push(format!("{event:?}"));
    }
}

fuzz_target!(|data: &[u8]| {
    let read = || CaptureReader::new(std::io::Cursor::new(data.to_vec()));
    let (Ok(mut one), Ok(mut three)) = (read(), read()) else {
        return;
    };
    let config = Config::default();
    let mut sessions = config.sessions(Written::default());
    let (one_stats, one_result) = analyze(&mut one, &config, &mut sessions, || {});
    let mut written = Written::default();
    let all_lines = |_: &Body| usize::MAX;
    let (three_stats, three_result) = analyze_parallel(&mut three, &config, 3, &mut written, &all_lines, || {});
    assert_eq!(sessions.into_sink().0, written.0);
    assert_eq!(
        serde_json::to_string(&one_stats).ok(),
        serde_json::to_string(&three_stats).ok()
    );
    assert_eq!(format!("{one_result:?}"), format!("{three_result:?}"));
});
