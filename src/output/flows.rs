//! Connection-level output: the flow listing (`--flows`) and the run's summary.

use std::io::{self, Write};
use std::net::SocketAddr;

use serde::Serialize;

use crate::base::Timestamp;
use crate::flow::{DirectionStats, EndReason, FlowId, FlowSummary, StreamEvent, StreamSink};
use crate::pipeline::EngineStats;

use super::{Format, Printer};
use crate::session::SessionCounts;

/// One line of `open --flows --json`: a connection, emitted when it ends.
///
/// ```json
/// {"type":"flow","flow":1,"client":"127.0.0.1:50612","server":"127.0.0.1:110",
///  "first_ts":"2026-11-27T03:40:01.000001Z","last_ts":"2026-11-27T03:40:01.250000Z",
///  "duration_secs":0.249999,"handshake":true,"packets":24,"client_bytes":71,"server_bytes":1622,
///  "gaps":0,"gap_bytes":0,"retransmitted_bytes":0,"conflicting_bytes":0,"truncated_segments":0,
///  "end":"fin","to_server":{…},"to_client":{…}}
/// ```
/// `client_bytes` and `server_bytes` count the payload each side sent that the capture holds;
/// `gaps`/`gap_bytes` what it is missing (both directions). `to_server` and `to_client` hold the
/// per-direction counters of [`DirectionStats`]. `end` is one of `fin`, `rst`, `eof`, `idle`,
/// `evicted`.
#[derive(Serialize)]
pub struct FlowRecord<'a> {
    /// Always `"flow"`.
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// The connection's number in the flow table.
    pub flow: FlowId,
    /// The end that opened the connection; without the SYN, the one not on a POP3 port.
    pub client: SocketAddr,
    /// The other end: the POP3 server.
    pub server: SocketAddr,
    /// When the connection's first segment was captured.
    pub first_ts: Timestamp,
    /// When its last segment was captured.
    pub last_ts: Timestamp,
    /// Seconds from `first_ts` to `last_ts`.
    pub duration_secs: f64,
    /// The SYN was seen, so the client side and the first byte of each stream are certain.
    pub handshake: bool,
    /// Segments of the connection, both directions.
    pub packets: u64,
    /// Payload bytes the client sent that the capture holds, in order, gaps not included.
    pub client_bytes: u64,
    /// Payload bytes the server sent that the capture holds, in order, gaps not included.
    pub server_bytes: u64,
    /// Holes in the streams, both directions.
    pub gaps: u64,
    /// Bytes missing in those holes, both directions.
    pub gap_bytes: u64,
    /// Bytes that arrived again after they had been received, both directions.
    pub retransmitted_bytes: u64,
    /// Retransmitted or overlapping bytes that differ from the first copy, both directions.
    pub conflicting_bytes: u64,
    /// Segments whose payload the snapshot length cut short, both directions.
    pub truncated_segments: u64,
    /// How the connection ended; `None` (`null`) only for one still open.
    pub end: Option<EndReason>,
    /// The client-to-server counters.
    pub to_server: &'a DirectionStats,
    /// The server-to-client counters.
    pub to_client: &'a DirectionStats,
}

impl<'a> FlowRecord<'a> {
    /// The record of a connection, both directions' counters summed into the flat fields.
    pub fn new(summary: &'a FlowSummary) -> Self {
        let (c, s) = (&summary.to_server, &summary.to_client);
        FlowRecord {
            kind: "flow",
            flow: summary.id,
            client: summary.client,
            server: summary.server,
            first_ts: summary.first_ts,
            last_ts: summary.last_ts,
            duration_secs: summary.last_ts.seconds_since(summary.first_ts),
            handshake: summary.handshake,
            packets: summary.packets,
            client_bytes: c.bytes,
            server_bytes: s.bytes,
            gaps: c.gaps + s.gaps,
            gap_bytes: c.gap_bytes + s.gap_bytes,
            retransmitted_bytes: c.retransmitted_bytes + s.retransmitted_bytes,
            conflicting_bytes: c.conflicting_bytes + s.conflicting_bytes,
            truncated_segments: c.truncated_segments + s.truncated_segments,
            end: summary.end,
            to_server: c,
            to_client: s,
        }
    }
}

/// The last line of `open --flows --json`: what happened to every frame of the capture.
#[derive(Serialize)]
pub struct SummaryRecord<'a> {
    /// Always `"summary"`.
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// The run's counters, flattened into the record.
    #[serde(flatten)]
    pub stats: &'a EngineStats,
}

/// Prints one line per connection when it ends.
pub struct FlowPrinter<W: Write> {
    out: W,
    format: Format,
    error: Option<io::Error>,
}

impl<W: Write> FlowPrinter<W> {
    /// A printer writing to `out`, one line per connection in `format`.
    pub fn new(out: W, format: Format) -> Self {
        FlowPrinter {
            out,
            format,
            error: None,
        }
    }

    fn print(&mut self, summary: &FlowSummary) -> io::Result<()> {
        match self.format {
            Format::Json => {
                serde_json::to_writer(&mut self.out, &FlowRecord::new(summary))?;
                self.out.write_all(b"\n")
            }
            Format::Text => write_flow_text(&mut self.out, summary),
        }
    }
}

impl<W: Write> Printer for FlowPrinter<W> {
    /// Prints the closing summary (JSON only: text goes to stderr, see [`write_summary_text`]).
    fn finish(mut self: Box<Self>, stats: &EngineStats) -> io::Result<SessionCounts> {
        if let Some(error) = self.error.take() {
            return Err(error);
        }
        if self.format == Format::Json {
            serde_json::to_writer(
                &mut self.out,
                &SummaryRecord {
                    kind: "summary",
                    stats,
                },
            )?;
            self.out.write_all(b"\n")?;
        }
        self.out.flush()?;
        Ok(SessionCounts::default())
    }
}

impl<W: Write> StreamSink for FlowPrinter<W> {
    fn event(&mut self, event: StreamEvent<'_>) {
        if let (StreamEvent::Closed { summary, .. }, None) = (&event, &self.error)
            && let Err(error) = self.print(summary)
        {
            self.error = Some(error);
        }
    }
    fn stopped(&self) -> bool {
        self.error.is_some()
    }
}

pub(crate) fn size(bytes: u64) -> String {
    match bytes {
        0..1_000 => format!("{bytes} B"),
        1_000..1_000_000 => format!("{:.1} kB", bytes as f64 / 1e3),
        1_000_000..1_000_000_000 => format!("{:.1} MB", bytes as f64 / 1e6),
        _ => format!("{:.2} GB", bytes as f64 / 1e9),
    }
}

/// `#1 127.0.0.1:50612 → 127.0.0.1:110  2026-11-27T03:40:01.000001Z  0.250 s  fin`, then the
/// bytes each way and anything missing or repeated.
pub fn write_flow_text(out: &mut impl Write, s: &FlowSummary) -> io::Result<()> {
    let end = s.end.map_or("open", EndReason::as_str);
    let handshake = if s.handshake {
        ""
    } else {
        "  (picked up mid-connection)"
    };
    writeln!(
        out,
        "#{} {} → {}  {}  {:.3} s  {} packets  end: {}{}",
        s.id,
        s.client,
        s.server,
        s.first_ts,
        s.last_ts.seconds_since(s.first_ts),
        s.packets,
        end,
        handshake
    )?;
    for (label, d) in [
        ("client → server", &s.to_server),
        ("server → client", &s.to_client),
    ] {
        let mut line = format!("    {label}: {} in {} segments", size(d.bytes), d.segments);
        let mut extra = |what: String| {
            line.push_str(", ");
            line.push_str(&what);
        };
        if d.gaps > 0 {
            extra(format!(
                "{} missing in {} gap{}",
                size(d.gap_bytes),
                d.gaps,
                if d.gaps == 1 { "" } else { "s" }
            ));
        }
        if d.retransmitted_bytes > 0 {
            extra(format!("{} retransmitted", size(d.retransmitted_bytes)));
        }
        if d.conflicting_bytes > 0 {
            extra(format!(
                "{} CONFLICTING (overlap with different bytes)",
                size(d.conflicting_bytes)
            ));
        }
        if d.truncated_segments > 0 {
            extra(format!(
                "{} segments cut by the snapshot length",
                d.truncated_segments
            ));
        }
        if d.keepalives > 0 {
            extra(format!("{} keep-alives", d.keepalives));
        }
        if d.unplaced_bytes > 0 {
            extra(format!(
                "{} from before the first byte seen, not placed",
                size(d.unplaced_bytes)
            ));
        }
        if d.out_of_window > 0 {
            extra(format!("{} segments outside the window ignored", d.out_of_window));
        }
        writeln!(out, "{line}")?;
    }
    Ok(())
}

/// The human summary of a run, for stderr.
pub fn write_summary_text(out: &mut impl Write, stats: &EngineStats) -> io::Result<()> {
    let f = &stats.flows;
    write!(
        out,
        "{} frames ({}), {} TCP segments, {} connection{} on the selected ports",
        stats.frames,
        size(stats.captured_bytes),
        stats.tcp_segments,
        f.flows,
        if f.flows == 1 { "" } else { "s" }
    )?;
    let skipped = [
        (
            f.other_port_segments,
            "TCP segment on another port",
            "TCP segments on other ports",
        ),
        (stats.not_ip, "non-IP frame", "non-IP frames"),
        (stats.not_tcp, "non-TCP packet", "non-TCP packets"),
        (
            stats.unsupported_link,
            "frame of an unsupported link type",
            "frames of an unsupported link type",
        ),
        (
            stats.truncated_headers,
            "frame cut inside its headers",
            "frames cut inside their headers",
        ),
        (stats.malformed, "malformed frame", "malformed frames"),
        (stats.ip_fragments, "IP fragment", "IP fragments"),
        (
            stats.fragments_abandoned,
            "fragmented datagram left incomplete",
            "fragmented datagrams left incomplete",
        ),
        (
            stats.truncated_frames,
            "frame cut by the snapshot length",
            "frames cut by the snapshot length",
        ),
        (
            stats.frames_without_interface,
            "pcapng packet for an interface the file never described (not decoded)",
            "pcapng packets for an interface the file never described (not decoded)",
        ),
        (
            f.late_segments,
            "segment after its connection ended",
            "segments after their connection ended",
        ),
        (
            f.closing_acks,
            "closing ACK after the FINs",
            "closing ACKs after the FINs",
        ),
        (
            f.evicted_flows,
            "connection evicted by the flow limit",
            "connections evicted by the flow limit",
        ),
        (
            f.not_pop3_flows,
            "connection on another port that is not POP3 (--detect)",
            "connections on other ports that are not POP3 (--detect)",
        ),
        (
            f.not_pop3_segments,
            "later segment of a connection that is not POP3",
            "later segments of connections that are not POP3",
        ),
        (
            f.unchecked_flows,
            "connection whose retransmissions went unchecked (memory budget)",
            "connections whose retransmissions went unchecked (memory budget)",
        ),
    ];
    for (count, one, many) in skipped.iter().filter(|(count, _, _)| *count > 0) {
        write!(out, "; {count} {}", if *count == 1 { one } else { many })?;
    }
    writeln!(out)?;
    // No POP3 where it was looked for, and traffic elsewhere: say where, and how to follow it.
    let busiest = f.busiest_other_ports(3);
    if f.flows == 0 && !busiest.is_empty() {
        let ports: Vec<String> = busiest
            .iter()
            .map(|(port, segments)| format!("{port} ({segments} segments)"))
            .collect();
        writeln!(
            out,
            "the other ports that carried the most: {}; -p {} follows the first (or --detect finds POP3 on any port)",
            ports.join(", "),
            busiest[0].0
        )?;
    }
    Ok(())
}
