#!/usr/bin/env bash
# How soon the terminal UI shows its first screen on a large capture, how long it takes to read
# all of it, how fast it answers a key while reading, and its peak memory: measured for real
# in tmux (needs tmux).
#
#   bash benches/tui-first-screen.sh [MEGABYTES [CAPTURE…]]      (default 100)
#
# The capture comes from benches/make_capture.rs (the real sessions of captures/, repeated;
# or only the CAPTUREs named), kept in $BENCH_DIR (default /tmp/pop3scope-bench).
set -euo pipefail
cd "$(dirname "$0")/.."
megabytes=${1:-100}
shift || true
dir=${BENCH_DIR:-/tmp/pop3scope-bench}
mkdir -p "$dir"
mix=$(IFS=+; echo "${*:-mix}")
capture="$dir/pop3-${megabytes}MB-${mix%.pcap}.pcap"
cargo build --release --quiet --bin pop3scope --example make-bench-capture
[ -f "$capture" ] || ./target/release/examples/make-bench-capture "$capture" "$megabytes" "$@"
cat "$capture" > /dev/null # warm the page cache

socket=pop3scope-bench-$$
tmux_() { tmux -L "$socket" "$@"; }
trap 'tmux_ kill-server 2>/dev/null || true' EXIT
now_ms() { date +%s%3N; }
wait_screen() { # pattern: waits until the screen matches, prints the milliseconds since $start
  until tmux_ capture-pane -p | grep -q -- "$1"; do sleep 0.005; done
  echo $(($(now_ms) - start))
}

opened=$(now_ms)
start=$opened
tmux_ new-session -d -x 160 -y 48 "./target/release/pop3scope open $capture; sleep 60"
first=$(wait_screen "Conversation · session 1")
# A key while the file is still being read: End jumps to the last row of session 1.
start=$(now_ms)
tmux_ send-keys G
answered=$(wait_screen "end: the server answered QUIT")
while tmux_ capture-pane -p | head -1 | grep -q "reading"; do sleep 0.02; done
loaded=$(($(now_ms) - opened))
pid=$(pgrep -n -x pop3scope)
peak=$(awk '/VmHWM/ {print $2}' "/proc/$pid/status")
title=$(tmux_ capture-pane -p | head -1 | sed 's/ *$//')
tmux_ send-keys q

echo "capture: $capture ($(($(stat -c %s "$capture") / 1000000)) MB), $(nproc) cores"
echo "title after reading: $title"
echo "| first screen | key answered while reading | whole file read | peak memory |"
echo "|---|---|---|---|"
echo "| ${first} ms | ${answered} ms | $((loaded / 1000)).$(printf %03d $((loaded % 1000))) s | $((peak / 1024)) MB |"
