#!/usr/bin/env bash
# Throughput and peak memory of pop3scope next to tcpdump, tcpflow and tshark on the same large
# capture: reading alone (`tcpdump -r FILE -w /dev/null`, the floor),
# reassembly (`open --flows`, `--export-streams`) against `tcpflow -r` and `tshark -z conv,tcp`,
# and POP3 decoding (`open --json`, `open` as text, on one thread and on every core) against
# `tshark -Y pop -T fields`.
#
#   bash benches/compare.sh [MEGABYTES]      (default 200; needs tcpflow and tshark installed)
#   CAPTURE=FILE bash benches/compare.sh     (a capture of real-MTU segments, for example)
#
# The capture is made from the real sessions in captures/ (benches/make_capture.rs) and kept
# in $BENCH_DIR (default /tmp/pop3scope-bench). Each tool runs $RUNS times (default 5) on a
# warm page cache; the best wall time (the machine is shared, so the minimum is the stable
# figure) and the peak resident memory are reported.
set -euo pipefail
cd "$(dirname "$0")/.."
megabytes=${1:-200}
dir=${BENCH_DIR:-/tmp/pop3scope-bench}
mkdir -p "$dir"
# CAPTURE=FILE runs on a capture made elsewhere (benches/real-mtu-capture.sh).
capture=${CAPTURE:-$dir/pop3-${megabytes}MB.pcap}

cargo build --release --quiet --bin pop3scope --example make-bench-capture
[ -f "$capture" ] || ./target/release/examples/make-bench-capture "$capture" "$megabytes"
bytes=$(stat -c %s "$capture")
cat "$capture" > /dev/null # warm the page cache

# Each run starts from an empty output directory (--export-streams, tcpflow write there).
BEFORE_RUN='rm -rf "$dir/out" && mkdir -p "$dir/out"'
RUNS=${RUNS:-5}
. benches/measure.sh

echo "capture: $capture ($((bytes / 1000000)) MB), $(nproc) cores, $(uname -m)"
echo
echo "| tool | wall time | throughput | peak memory |"
echo "|---|---|---|---|"
# The floor: reading the file and writing it nowhere.
command -v tcpdump >/dev/null && measure "tcpdump -r -w /dev/null" "$capture" tcpdump -r "$capture" -w /dev/null
measure "pop3scope open --flows" "$capture" ./target/release/pop3scope open "$capture" --flows
measure "pop3scope open --flows --export-streams" "$capture" ./target/release/pop3scope open "$capture" --flows --export-streams "$dir/out"
command -v tcpflow >/dev/null && measure "tcpflow -r" "$capture" tcpflow -r "$capture" -o "$dir/out"
command -v tshark >/dev/null && measure "tshark -r -q -z conv,tcp" "$capture" tshark -r "$capture" -q -z conv,tcp
measure "pop3scope open --json --threads 1" "$capture" ./target/release/pop3scope open "$capture" --json --threads 1
measure "pop3scope open --json --threads $(nproc)" "$capture" ./target/release/pop3scope open "$capture" --json --threads "$(nproc)"
measure "pop3scope open (text) --threads 1" "$capture" ./target/release/pop3scope open "$capture" --threads 1
measure "pop3scope open (text) --threads $(nproc)" "$capture" ./target/release/pop3scope open "$capture" --threads "$(nproc)"
command -v tshark >/dev/null && measure "tshark -r -Y pop -T fields -e pop.request.command" "$capture" \
  tshark -r "$capture" -Y pop -T fields -e pop.request.command
