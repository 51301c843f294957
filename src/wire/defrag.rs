//! IPv4 and IPv6 fragments put back together under a hard memory cap, at a cost linear in the
//! bytes they carry whatever order they come in.

use std::collections::VecDeque;
use std::net::IpAddr;

use super::Fragment;
use crate::base::Timestamp;

/// Datagrams waiting for more fragments at most; the oldest is given up beyond that.
const MAX_PENDING_DATAGRAMS: usize = 64;
/// Fragments older than this (capture time) are given up.
const FRAGMENT_TIMEOUT_NANOS: i64 = 30_000_000_000;
/// Fragments one datagram may have at most: a 64 KiB datagram over a 576-byte path needs about
/// 120. Beyond this the datagram is given up (FreeBSD allows 16, Suricata 8,190).
const MAX_FRAGMENTS_PER_DATAGRAM: u16 = 1024;
/// Fragment offsets count in units of 8 octets (RFC 791 §3.1, RFC 8200 §4.5).
const UNIT: usize = 8;
/// The largest datagram payload a fragment offset can reach.
const MAX_DATAGRAM: usize = u16::MAX as usize;

/// Puts fragmented IP datagrams that carry TCP back together (RFC 791 §3.2, RFC 8200 §4.5).
///
/// Memory is bounded: at most 64 datagrams of at most 64 KiB each (and a 1 KiB map of which
/// 8-octet units arrived). Each fragment costs its own length; duplicates and overlaps cost no
/// more, and the first copy of a byte is kept, as for TCP.
#[derive(Default)]
pub struct Defragmenter {
    pending: VecDeque<PendingDatagram>,
    /// Datagrams given up: timed out, evicted, in too many pieces, too long, or with a fragment
    /// cut short by the capture.
    pub abandoned: u64,
}

struct PendingDatagram {
    key: (IpAddr, IpAddr, u32),
    first_seen: Timestamp,
    data: Vec<u8>,
    /// Which 8-octet units have arrived, one bit each.
    arrived: Vec<u64>,
    /// How many bits of `arrived` are set.
    units_arrived: usize,
    fragments: u16,
    /// Known once the last fragment (the one without "more fragments") arrives.
    total_len: Option<usize>,
}

impl PendingDatagram {
    fn new(key: (IpAddr, IpAddr, u32), first_seen: Timestamp) -> Self {
        PendingDatagram {
            key,
            first_seen,
            data: Vec::new(),
            arrived: Vec::new(),
            units_arrived: 0,
            fragments: 0,
            total_len: None,
        }
    }

    /// Copies the units of `bytes` at `offset` that have not arrived yet. Only whole units
    /// count, except the one that ends the datagram.
    fn fill(&mut self, offset: usize, bytes: &[u8], last: bool) {
        let end = offset + bytes.len();
        if self.data.len() < end {
            self.data.resize(end, 0);
        }
        let first_unit = offset / UNIT;
        let end_unit = if last { end.div_ceil(UNIT) } else { end / UNIT };
        let words = end_unit.div_ceil(64);
        if self.arrived.len() < words {
            self.arrived.resize(words, 0);
        }
        for unit in first_unit..end_unit {
            let (word, bit) = (unit / 64, 1u64 << (unit % 64));
            if self.arrived[word] & bit == 0 {
                self.arrived[word] |= bit;
                self.units_arrived += 1;
                let from = unit * UNIT;
                let to = (from + UNIT).min(end);
                self.data[from..to].copy_from_slice(&bytes[from - offset..to - offset]);
            }
        }
    }

    fn is_complete(&self) -> bool {
        self.total_len
            .is_some_and(|total| self.units_arrived == total.div_ceil(UNIT))
    }
}

impl Defragmenter {
    /// Adds a fragment; returns the whole TCP part of the datagram once every fragment is in.
    pub fn add(&mut self, ts: Timestamp, fragment: &Fragment<'_>) -> Option<Vec<u8>> {
        let before = self.pending.len();
        self.pending
            .retain(|p| ts.nanos_since(p.first_seen) <= FRAGMENT_TIMEOUT_NANOS);
        self.abandoned += (before - self.pending.len()) as u64;

        let key = (fragment.src, fragment.dst, fragment.id);
        let index = match self.pending.iter().position(|p| p.key == key) {
            Some(index) => index,
            None => {
                if self.pending.len() == MAX_PENDING_DATAGRAMS {
                    self.pending.pop_front();
                    self.abandoned += 1;
                }
                self.pending.push_back(PendingDatagram::new(key, ts));
                self.pending.len() - 1
            }
        };
        let datagram = &mut self.pending[index];
        let end = fragment.offset + fragment.data.len();
        datagram.fragments += 1;
        // A datagram with a fragment the capture cut short can never be made whole; one past
        // 64 KiB, in absurdly many pieces or with two different ends is an attack, not traffic.
        let ends_twice = !fragment.more
            && (datagram.total_len.is_some_and(|total| total != end) || datagram.data.len() > end);
        if fragment.truncated
            || end > MAX_DATAGRAM
            || datagram.fragments > MAX_FRAGMENTS_PER_DATAGRAM
            || datagram.total_len.is_some_and(|total| end > total)
            || ends_twice
        {
            self.pending.remove(index);
            self.abandoned += 1;
            return None;
        }
        if !fragment.more {
            datagram.total_len = Some(end);
        }
        datagram.fill(fragment.offset, fragment.data, !fragment.more);
        if datagram.is_complete() {
            let mut done = self.pending.remove(index)?;
            done.data.truncate(done.total_len.unwrap_or(done.data.len()));
            return Some(done.data);
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const SRC: [u8; 4] = [192, 0, 2, 1];
    const DST: [u8; 4] = [192, 0, 2, 2];

    fn fragment(id: u32, offset: usize, data: &[u8], more: bool) -> Fragment<'_> {
        Fragment {
            src: IpAddr::from(SRC),
            dst: IpAddr::from(DST),
            id,
            offset,
            more,
            data,
            truncated: false,
        }
    }

    /// `payload` cut into fragments of `piece` octets (a multiple of 8), as offsets and flags.
    fn pieces(payload: &[u8], piece: usize) -> Vec<(usize, bool)> {
        (0..payload.len())
            .step_by(piece)
            .map(|offset| (offset, offset + piece < payload.len()))
            .collect()
    }

    #[test]
    fn the_last_fragment_first_still_gives_the_datagram_back() {
        let payload: Vec<u8> = (0..100u8).collect();
        let mut defrag = Defragmenter::default();
        assert_eq!(
            defrag.add(Timestamp(0), &fragment(7, 96, &payload[96..], false)),
            None
        );
        assert_eq!(
            defrag.add(Timestamp(0), &fragment(7, 0, &payload[..96], true)),
            Some(payload)
        );
        assert_eq!(defrag.abandoned, 0);
    }

    #[test]
    fn an_overlapping_fragment_keeps_the_first_copy() {
        let mut defrag = Defragmenter::default();
        defrag.add(Timestamp(0), &fragment(1, 0, b"RETR 1\r\n", true));
        defrag.add(Timestamp(0), &fragment(1, 0, b"DELE 1\r\n", true));
        let whole = defrag.add(Timestamp(0), &fragment(1, 8, b"!", false));
        assert_eq!(whole.as_deref(), Some(&b"RETR 1\r\n!"[..]));
    }

    #[test]
    fn a_datagram_in_too_many_pieces_is_given_up_and_counted() {
        let payload = vec![0u8; 8 * 2000];
        let mut defrag = Defragmenter::default();
        for (offset, more) in pieces(&payload, 8).into_iter().rev() {
            assert_eq!(
                defrag.add(
                    Timestamp(0),
                    &fragment(3, offset, &payload[offset..offset + 8], more)
                ),
                None
            );
        }
        assert_eq!(defrag.abandoned, 1);
    }

    #[test]
    fn a_second_end_that_disagrees_gives_the_datagram_up() {
        let mut defrag = Defragmenter::default();
        defrag.add(Timestamp(0), &fragment(9, 16, b"end", false));
        defrag.add(Timestamp(0), &fragment(9, 8, b"x", false));
        assert_eq!(defrag.abandoned, 1);
    }

    #[test]
    fn a_datagram_left_waiting_times_out() {
        let mut defrag = Defragmenter::default();
        defrag.add(Timestamp(0), &fragment(4, 0, &[0; 8], true));
        defrag.add(
            Timestamp(FRAGMENT_TIMEOUT_NANOS + 1),
            &fragment(5, 0, &[0; 8], true),
        );
        assert_eq!(defrag.abandoned, 1);
    }

    proptest! {
        #[test]
        fn fragments_in_any_order_with_repeats_give_the_datagram_back(
            payload in prop::collection::vec(any::<u8>(), 1..3000),
            piece in 1usize..64,
            order in prop::collection::vec(any::<prop::sample::Index>(), 1..600),
        ) {
            let piece = piece * UNIT;
            let all = pieces(&payload, piece);
            // Every piece once, in a shuffled order, plus repeats of some.
            let mut sent: Vec<usize> = (0..all.len()).collect();
            for (i, index) in order.iter().enumerate() {
                let j = index.index(sent.len());
                if i < all.len() { sent.swap(i, j) } else { sent.push(sent[j]) }
            }
            let mut defrag = Defragmenter::default();
            // Repeats after the datagram is whole may make it whole again, as in a host's
            // stack (TCP then drops the copy): every datagram given back must be the payload.
            let mut given_back = 0;
            for &k in &sent {
                let (offset, more) = all[k];
                let end = (offset + piece).min(payload.len());
                if let Some(done) = defrag.add(Timestamp(0), &fragment(1, offset, &payload[offset..end], more)) {
                    prop_assert_eq!(&done, &payload);
                    given_back += 1;
                }
            }
            prop_assume!(sent.len() <= usize::from(MAX_FRAGMENTS_PER_DATAGRAM));
            prop_assert!(given_back >= 1);
        }
    }
}
