//! Live capture through libpcap: the build feature `libpcap`.
//!
//! Contract: the same as the built-in AF_PACKET capture ([`crate::capture::live`]) — frames in capture
//! order with kernel timestamps, only TCP on the selected ports, the kernel's drop counter — and
//! in addition any BPF filter expression (`host 10.0.0.5`), combined with the port filter.
//! libpcap's blocking read never times out on Linux, so the handle is non-blocking and waited
//! on with poll, which lets the caller notice Ctrl-C.

use std::io;
use std::os::fd::AsRawFd;
use std::time::Duration;

use crate::base::Timestamp;
use crate::capture::live::{KernelStats, LiveError};
use crate::capture::{Frame, LinkType};

/// An open libpcap capture.
pub struct PcapCapture {
    capture: pcap::Capture<pcap::Active>,
    link_type: LinkType,
    frame: Vec<u8>,
    frames: u64,
}

fn pcap_error(what: &'static str) -> impl FnOnce(pcap::Error) -> LiveError {
    move |error| {
        let text = error.to_string();
        if text.contains("Operation not permitted") || text.contains("ermission") {
            LiveError::NotPermitted
        } else {
            LiveError::Os {
                what,
                source: io::Error::other(text),
            }
        }
    }
}

impl PcapCapture {
    /// Opens `interface` (`any` for all) for TCP on `ports`, and `expression` if given.
    pub fn open(interface: &str, ports: &[u16], expression: Option<&str>) -> Result<Self, LiveError> {
        let capture = pcap::Capture::from_device(interface)
            .map_err(pcap_error("cannot use the interface"))?
            .snaplen(262_144)
            .immediate_mode(true)
            .buffer_size(32 << 20)
            .open()
            .map_err(pcap_error("cannot open the capture"))?;
        let mut capture = capture
            .setnonblock()
            .map_err(pcap_error("cannot make the capture non-blocking"))?;
        let ports: Vec<String> = ports.iter().map(|p| format!("tcp port {p}")).collect();
        // No ports: every TCP connection, for POP3 to be recognised by content (`--detect`).
        let mut filter = if ports.is_empty() {
            "tcp".to_string()
        } else {
            format!("({})", ports.join(" or "))
        };
        if let Some(expression) = expression {
            filter = format!("{filter} and ({expression})");
        }
        capture.filter(&filter, true).map_err(|error| LiveError::Os {
            what: "the filter expression is not valid BPF",
            source: io::Error::other(error.to_string()),
        })?;
        let link_type = LinkType(capture.get_datalink().0 as u32);
        Ok(PcapCapture {
            capture,
            link_type,
            frame: Vec::new(),
            frames: 0,
        })
    }

    /// Waits up to `timeout` for the next packet; `Ok(None)` when none came.
    pub fn next(&mut self, timeout: Duration) -> io::Result<Option<Frame<'_>>> {
        let (ts, orig_len) = match self.capture.next_packet() {
            Ok(packet) => {
                self.frame.clear();
                self.frame.extend_from_slice(packet.data);
                let ts = Timestamp::from_secs_nanos(
                    packet.header.ts.tv_sec,
                    micros(packet.header.ts.tv_usec) * 1000,
                );
                (ts, packet.header.len)
            }
            Err(pcap::Error::TimeoutExpired) | Err(pcap::Error::NoMorePackets) => {
                crate::capture::live::wait_readable(self.capture.as_raw_fd(), timeout)?;
                return Ok(None);
            }
            Err(error) => return Err(io::Error::other(error.to_string())),
        };
        self.frames += 1;
        Ok(Some(Frame {
            number: self.frames,
            ts,
            link_type: self.link_type,
            data: &self.frame,
            orig_len,
        }))
    }

    /// The link type of the frames, for `-w`.
    pub fn link_type(&self) -> LinkType {
        self.link_type
    }

    /// libpcap's counters (pcap_stats) since the capture opened; zero when libpcap cannot tell.
    pub fn kernel_stats(&mut self) -> KernelStats {
        self.capture
            .stats()
            .map(|s| KernelStats {
                received: u64::from(s.received),
                dropped: u64::from(s.dropped),
            })
            .unwrap_or_default()
    }
}

/// `suseconds_t` is i64 on some systems and i32 on others.
#[allow(clippy::useless_conversion)]
fn micros(usec: libc::suseconds_t) -> i64 {
    i64::from(usec)
}

impl super::LiveSource for PcapCapture {
    fn next(&mut self, timeout: Duration) -> io::Result<Option<Frame<'_>>> {
        PcapCapture::next(self, timeout)
    }
    fn kernel_stats(&mut self) -> KernelStats {
        PcapCapture::kernel_stats(self)
    }
    fn link_type(&self) -> LinkType {
        PcapCapture::link_type(self)
    }
}
