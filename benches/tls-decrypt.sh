#!/usr/bin/env bash
# What decrypting costs: `open --json` on a capture that is almost all TLS, with and without
# `--keylog`, next to `tcpdump -r FILE -w /dev/null`, the same sessions in the clear, and tshark
# decrypting the same file.
#
#   sudo bash benches/tls-decrypt.sh [SESSIONS]     (default 100; root for tcpdump on lo)
#
# Records SESSIONS sessions against pop3scope's own teaching server on loopback: each switches
# to TLS 1.3 with STLS, logs in and retrieves five 200 KB messages (about 1 MB of TLS records
# per session), with Python writing the key log (SSLKEYLOGFILE); then the same sessions again
# without STLS, in the clear, for what decoding the same POP3 costs without decrypting. The
# captures and the key log are kept in $BENCH_DIR (default /tmp/pop3scope-bench). Each command
# runs $RUNS times (default 3); the best wall time and the peak memory are reported.
set -euo pipefail
cd "$(dirname "$0")/.."
sessions=${1:-100}
dir=${BENCH_DIR:-/tmp/pop3scope-bench}
mkdir -p "$dir"
capture="$dir/tls-${sessions}.pcap"
clear="$dir/clear-${sessions}.pcap"
keylog="$dir/tls-${sessions}.keylog"
portfile="$dir/tls-${sessions}.port"

# One client run: SESSIONS sessions, through STLS when $3 is 1.
client='
import poplib, ssl, sys
port, sessions, tls = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3] == "1"
context = ssl.create_default_context()
context.check_hostname = False
context.verify_mode = ssl.CERT_NONE
for _ in range(sessions):
    pop = poplib.POP3("127.0.0.1", port, timeout=30)
    if tls:
        pop.stls(context)
    pop.user("alice")
    pop.pass_("wonderland")
    for n in range(1, 6):
        pop.retr(n)
    pop.quit()
'
message='
import sys
lines = ["From: bench@example.test", "To: alice@example.test", "Subject: message " + sys.argv[2], ""]
lines += ["line %05d of a message long enough to fill many TLS records, padded out." % i for i in range(2700)]
open(sys.argv[1], "w").write("\n".join(lines) + "\n")
'

cargo build --release --quiet --bin pop3scope
if [ ! -f "$capture" ] || [ ! -f "$clear" ]; then
  work=$(mktemp -d)
  trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$work"' EXIT
  mkdir -p "$work/mail/alice"
  echo "alice:wonderland" > "$work/mail/users"
  for n in 1 2 3 4 5; do
    python3 -c "$message" "$work/mail/alice/00$n.eml" "$n"
  done
  # serve drops root for nobody: the mailboxes must be theirs to read.
  chmod 755 "$work"
  chmod -R a+rwX "$work/mail"
  port=$((20000 + RANDOM % 10000))
  echo "$port" > "$portfile"
  ./target/release/pop3scope serve --listen "127.0.0.1:$port" --mailbox "$work/mail" >/dev/null 2>&1 &
  server=$!
  rm -f "$keylog"
  for file in "$capture" "$clear"; do
    tcpdump -i lo -s 0 -U -w "$file" "tcp port $port" 2>/dev/null &
    dump=$!
    sleep 1
    tls=$([ "$file" = "$capture" ] && echo 1 || echo 0)
    SSLKEYLOGFILE="$keylog" python3 -c "$client" "$port" "$sessions" "$tls"
    sleep 1
    kill "$dump"
    wait "$dump" 2>/dev/null || true
  done
  kill "$server"
fi
bytes=$(stat -c %s "$capture")
port=$(cat "$portfile")
cat "$capture" "$clear" > /dev/null # warm the page cache

. benches/measure.sh

echo "capture: $capture ($((bytes / 1000000)) MB, $sessions TLS 1.3 sessions), $(nproc) cores, $(uname -m)"
echo
echo "| command | wall time | throughput | peak memory |"
echo "|---|---|---|---|"
command -v tcpdump >/dev/null && measure "tcpdump -r -w /dev/null" "$capture" tcpdump -r "$capture" -w /dev/null
for threads in 1 "$(nproc)"; do
  measure "pop3scope open --json -j $threads (no key: handshakes and sizes)" "$capture" \
    ./target/release/pop3scope open --json -j "$threads" -p "$port" "$capture"
  measure "pop3scope open --json -j $threads --keylog (every record opened)" "$capture" \
    ./target/release/pop3scope open --json -j "$threads" -p "$port" --keylog "$keylog" "$capture"
  measure "pop3scope open --json -j $threads, the same sessions in the clear" "$clear" \
    ./target/release/pop3scope open --json -j "$threads" -p "$port" "$clear"
done
command -v tshark >/dev/null && measure "tshark -o tls.keylog_file -Y pop -T fields" "$capture" \
  tshark -r "$capture" -d "tcp.port==$port,pop" -o "tls.keylog_file:$keylog" -Y pop -T fields -e pop.request.command
