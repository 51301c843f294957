//! The engine on a real capture held in memory: capture → wire → flow, no output.
//! `cargo bench` reports throughput in bytes of capture per second; benches/compare.sh
//! measures the whole binary against tcpflow and tshark.

use std::io::Cursor;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use pop3scope::capture::CaptureReader;
use pop3scope::flow::{FlowConfig, StreamEvent, StreamSink};
use pop3scope::pipeline::Engine;

/// Counts delivered bytes, so the work cannot be optimised away.
#[derive(Default)]
struct Count(u64);

impl StreamSink for Count {
    fn event(&mut self, event: StreamEvent<'_>) {
        if let StreamEvent::Data { bytes, .. } = event {
            self.0 += bytes.len() as u64;
        }
    }
}

fn reassemble(capture: &[u8]) -> u64 {
    let mut reader = CaptureReader::new(Cursor::new(capture.to_vec())).expect("a capture");
    let mut engine = Engine::new(FlowConfig::default());
    let mut sink = Count::default();
    reader
        .for_each_frame(|frame| {
            engine.frame(&frame, &mut sink);
            true
        })
        .expect("readable");
    engine.finish(&mut sink);
    sink.0
}

fn bench(c: &mut Criterion) {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/captures/13-large-retr.pcap");
    let capture = std::fs::read(path).expect("captures/13-large-retr.pcap");
    let mut group = c.benchmark_group("engine");
    group.throughput(Throughput::Bytes(capture.len() as u64));
    group.bench_function("reassemble 13-large-retr.pcap", |b| {
        b.iter(|| reassemble(&capture))
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
