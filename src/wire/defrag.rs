//! IPv4 and IPv6 fragments put back together under a hard memory cap.

use std::collections::VecDeque;
use std::net::IpAddr;

use super::Fragment;
use crate::base::Timestamp;

/// Datagrams waiting for more fragments at most; the oldest is given up beyond that.
const MAX_PENDING_DATAGRAMS: usize = 64;
/// Fragments older than this (capture time) are given up.
const FRAGMENT_TIMEOUT_NANOS: i64 = 30_000_000_000;

/// Puts fragmented IP datagrams that carry TCP back together (RFC 791 §3.2, RFC 8200 §4.5).
///
/// Memory is bounded: at most 64 datagrams of at most 64 KiB each.
#[derive(Default)]
pub struct Defragmenter {
    pending: VecDeque<PendingDatagram>,
    /// Datagrams given up: timed out, evicted, or with a fragment cut short by the capture.
    pub abandoned: u64,
}

struct PendingDatagram {
    key: (IpAddr, IpAddr, u32),
    first_seen: Timestamp,
    data: Vec<u8>,
    /// Byte ranges received so far.
    have: Vec<(usize, usize)>,
    total_len: Option<usize>,
    truncated: bool,
}

impl PendingDatagram {
    fn is_complete(&mut self) -> bool {
        let Some(total) = self.total_len else { return false };
        self.have.sort_unstable();
        let mut covered = 0;
        for &(start, end) in &self.have {
            if start > covered {
                return false;
            }
            covered = covered.max(end);
        }
        covered >= total
    }
}

impl Defragmenter {
    /// Adds a fragment; returns the whole TCP part of the datagram once every fragment is in.
    pub fn add(&mut self, ts: Timestamp, fragment: &Fragment<'_>) -> Option<Vec<u8>> {
        let before = self.pending.len();
        self.pending
            .retain(|p| ts.0 - p.first_seen.0 <= FRAGMENT_TIMEOUT_NANOS);
        self.abandoned += (before - self.pending.len()) as u64;

        let key = (fragment.src, fragment.dst, fragment.id);
        let index = match self.pending.iter().position(|p| p.key == key) {
            Some(index) => index,
            None => {
                if self.pending.len() == MAX_PENDING_DATAGRAMS {
                    self.pending.pop_front();
                    self.abandoned += 1;
                }
                self.pending.push_back(PendingDatagram {
                    key,
                    first_seen: ts,
                    data: Vec::new(),
                    have: Vec::new(),
                    total_len: None,
                    truncated: false,
                });
                self.pending.len() - 1
            }
        };
        let datagram = &mut self.pending[index];
        let end = fragment.offset + fragment.data.len();
        if end > usize::from(u16::MAX) {
            self.pending.remove(index);
            self.abandoned += 1;
            return None;
        }
        if datagram.data.len() < end {
            datagram.data.resize(end, 0);
        }
        datagram.data[fragment.offset..end].copy_from_slice(fragment.data);
        datagram.have.push((fragment.offset, end));
        datagram.truncated |= fragment.truncated;
        if !fragment.more {
            datagram.total_len = Some(end);
        }
        if datagram.truncated {
            // A datagram with a fragment the capture cut short can never be made whole.
            self.pending.remove(index);
            self.abandoned += 1;
            return None;
        }
        if datagram.is_complete() {
            let mut done = self.pending.remove(index)?;
            done.data.truncate(done.total_len.unwrap_or(done.data.len()));
            return Some(done.data);
        }
        None
    }
}
