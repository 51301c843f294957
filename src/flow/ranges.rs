//! The bytes that came early: stretches of one stream waiting for the bytes before them.
//!
//! Contract: pure bookkeeping, no I/O, no clock. Waiting stretches never overlap: when a
//! segment covers bytes that already wait, the first copy wins and the overlap is counted (as
//! repeated bytes, and as conflicting where the copies differ). A stretch is captured bytes or
//! a hole of a known length (bytes the snapshot length cut off). What waits is bounded by its
//! caller through [`Ranges::cost`], which counts every stretch's overhead, so a flood of tiny
//! segments is bounded too. Like smoltcp's assembler, it is tested by its whole state after
//! each step.

use std::collections::BTreeMap;

use crate::base::Timestamp;

/// What a waiting stretch costs in memory beyond its bytes.
const STRETCH_OVERHEAD: usize = 64;

/// One waiting stretch of a stream.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Stretch {
    /// The frame that brought it.
    pub(super) frame: u64,
    /// When that frame was captured.
    pub(super) ts: Timestamp,
    /// Its length in the stream.
    pub(super) len: u64,
    /// Its bytes, or `None` for a stretch the snapshot length cut off.
    pub(super) data: Option<Vec<u8>>,
}

impl Stretch {
    fn cost(&self) -> usize {
        self.data.as_ref().map_or(0, Vec::len) + STRETCH_OVERHEAD
    }
}

/// How much of a new segment was already waiting.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(super) struct Overlap {
    /// Bytes of the segment that already waited (the first copy is kept).
    pub(super) repeated: u64,
    /// Of those, the bytes whose two copies differ.
    pub(super) conflicting: u64,
}

/// The waiting stretches of one stream, by stream offset.
#[derive(Debug, Default)]
pub(super) struct Ranges {
    stretches: BTreeMap<u64, Stretch>,
    cost: usize,
}

impl Ranges {
    /// Nothing waits.
    pub(super) fn is_empty(&self) -> bool {
        self.stretches.is_empty()
    }

    /// The waiting byte at stream offset `at`, if one waits there (not a hole).
    pub(super) fn byte_at(&self, at: u64) -> Option<u8> {
        let (&start, stretch) = self.stretches.range(..=at).next_back()?;
        let data = stretch.data.as_ref()?;
        data.get(usize::try_from(at - start).ok()?).copied()
    }

    /// The memory what waits costs: its bytes and an overhead per stretch.
    pub(super) fn cost(&self) -> usize {
        self.cost
    }

    /// Where the first waiting stretch starts.
    pub(super) fn first_start(&self) -> Option<u64> {
        self.stretches.first_key_value().map(|(&start, _)| start)
    }

    /// Forgets everything that waits.
    pub(super) fn clear(&mut self) {
        self.stretches.clear();
        self.cost = 0;
    }

    /// Adds `captured` at stream offset `start`, followed by `missing` bytes the capture does
    /// not hold, keeping what already waits where the two overlap.
    pub(super) fn add(
        &mut self,
        frame: u64,
        ts: Timestamp,
        start: u64,
        captured: &[u8],
        missing: u64,
    ) -> Overlap {
        let end = start + captured.len() as u64 + missing;
        let mut overlap = Overlap::default();
        let mut free: Vec<(u64, u64)> = Vec::new();
        let mut cursor = start;
        let first_key = self
            .stretches
            .range(..=start)
            .next_back()
            .map_or(start, |(&key, _)| key);
        for (&stretch_start, stretch) in self.stretches.range(first_key..end) {
            let stretch_end = stretch_start + stretch.len;
            if stretch_end <= cursor {
                continue;
            }
            if stretch_start > cursor {
                free.push((cursor, stretch_start));
            }
            let (from, to) = (cursor.max(stretch_start), stretch_end.min(end));
            overlap.repeated += to - from;
            if let Some(old) = &stretch.data {
                let new = byte_range(captured, start, from, to);
                let old = byte_range(old, stretch_start, from, to);
                overlap.conflicting += new.iter().zip(old).filter(|(a, b)| a != b).count() as u64;
            }
            cursor = stretch_end;
            if cursor >= end {
                break;
            }
        }
        if cursor < end {
            free.push((cursor, end));
        }
        let captured_end = start + captured.len() as u64;
        for (from, to) in free {
            // A free stretch may straddle the end of the captured bytes: keep the two apart.
            if from < captured_end {
                let data_to = to.min(captured_end);
                let bytes = captured[(from - start) as usize..(data_to - start) as usize].to_vec();
                self.insert(
                    from,
                    Stretch {
                        frame,
                        ts,
                        len: data_to - from,
                        data: Some(bytes),
                    },
                );
            }
            if to > captured_end {
                let hole_from = from.max(captured_end);
                self.insert(
                    hole_from,
                    Stretch {
                        frame,
                        ts,
                        len: to - hole_from,
                        data: None,
                    },
                );
            }
        }
        overlap
    }

    fn insert(&mut self, at: u64, stretch: Stretch) {
        self.cost += stretch.cost();
        self.stretches.insert(at, stretch);
    }

    /// Takes the first waiting stretch if it starts at or before `offset` (it may start before
    /// it: the caller skips what it has delivered already).
    pub(super) fn take_ready(&mut self, offset: u64) -> Option<(u64, Stretch)> {
        let entry = self.stretches.first_entry()?;
        if *entry.key() > offset {
            return None;
        }
        let (start, stretch) = entry.remove_entry();
        self.cost -= stretch.cost();
        Some((start, stretch))
    }
}

/// The part `[from, to)` of `bytes`, which start at stream offset `start`.
fn byte_range(bytes: &[u8], start: u64, from: u64, to: u64) -> &[u8] {
    let lo = (from.saturating_sub(start) as usize).min(bytes.len());
    let hi = (to.saturating_sub(start) as usize).clamp(lo, bytes.len());
    &bytes[lo..hi]
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The whole state, as `(start, end, bytes or None for a hole)`.
    fn state(ranges: &Ranges) -> Vec<(u64, u64, Option<&[u8]>)> {
        ranges
            .stretches
            .iter()
            .map(|(&start, s)| (start, start + s.len, s.data.as_deref()))
            .collect()
    }

    fn add(ranges: &mut Ranges, start: u64, bytes: &[u8]) -> Overlap {
        ranges.add(1, Timestamp(0), start, bytes, 0)
    }

    #[test]
    fn an_empty_set_holds_nothing_and_costs_nothing() {
        let ranges = Ranges::default();
        assert!(ranges.is_empty());
        assert_eq!(ranges.cost(), 0);
        assert_eq!(ranges.first_start(), None);
    }

    #[test]
    fn separate_segments_wait_side_by_side() {
        let mut ranges = Ranges::default();
        assert_eq!(add(&mut ranges, 10, b"bbb"), Overlap::default());
        assert_eq!(add(&mut ranges, 20, b"dd"), Overlap::default());
        assert_eq!(
            state(&ranges),
            [(10, 13, Some(&b"bbb"[..])), (20, 22, Some(&b"dd"[..]))]
        );
        assert_eq!(ranges.cost(), 5 + 2 * STRETCH_OVERHEAD);
    }

    #[test]
    fn a_segment_over_waiting_bytes_fills_only_the_free_parts_and_the_first_copy_wins() {
        let mut ranges = Ranges::default();
        add(&mut ranges, 10, b"bbb");
        add(&mut ranges, 20, b"dd");
        // 8..22: "aa" free, "Xbb" over "bbb" (one byte differs), "ccccccc" free, "De" over "dd".
        let overlap = add(&mut ranges, 8, b"aaXbbcccccccDe");
        assert_eq!(
            overlap,
            Overlap {
                repeated: 5,
                conflicting: 3
            }
        );
        assert_eq!(
            state(&ranges),
            [
                (8, 10, Some(&b"aa"[..])),
                (10, 13, Some(&b"bbb"[..])),
                (13, 20, Some(&b"ccccccc"[..])),
                (20, 22, Some(&b"dd"[..])),
            ]
        );
    }

    #[test]
    fn a_segment_inside_waiting_bytes_changes_nothing() {
        let mut ranges = Ranges::default();
        add(&mut ranges, 10, b"abcdef");
        let cost = ranges.cost();
        assert_eq!(
            add(&mut ranges, 12, b"cd"),
            Overlap {
                repeated: 2,
                conflicting: 0
            }
        );
        assert_eq!(state(&ranges), [(10, 16, Some(&b"abcdef"[..]))]);
        assert_eq!(ranges.cost(), cost);
    }

    #[test]
    fn bytes_the_snapshot_length_cut_off_wait_as_a_hole() {
        let mut ranges = Ranges::default();
        ranges.add(1, Timestamp(0), 30, b"xy", 3);
        assert_eq!(state(&ranges), [(30, 32, Some(&b"xy"[..])), (32, 35, None)]);
        // A later full copy fills nothing: the hole is the first copy of those bytes.
        assert_eq!(add(&mut ranges, 30, b"xyzzz").repeated, 5);
        assert_eq!(state(&ranges), [(30, 32, Some(&b"xy"[..])), (32, 35, None)]);
    }

    #[test]
    fn a_stretch_is_taken_once_the_stream_reaches_it() {
        let mut ranges = Ranges::default();
        add(&mut ranges, 8, b"aa");
        add(&mut ranges, 20, b"dd");
        assert_eq!(ranges.take_ready(7), None);
        let (start, stretch) = ranges.take_ready(9).expect("8..10 is ready at 9");
        assert_eq!((start, stretch.data.as_deref()), (8, Some(&b"aa"[..])));
        assert_eq!(ranges.first_start(), Some(20));
        assert_eq!(ranges.cost(), 2 + STRETCH_OVERHEAD);
        ranges.clear();
        assert!(ranges.is_empty());
        assert_eq!(ranges.cost(), 0);
    }
}
