#!/usr/bin/env bash
# A capture with real 1,500-byte Ethernet frames, for benchmarks that mean something: loopback
# captures carry GRO-merged segments of up to 64 KB, a third of the packets a network shows.
#
#   sudo bash benches/real-mtu-capture.sh [MEGABYTES [OUT]]     (default 1000 MB, into
#                                                               $BENCH_DIR/real-mtu-MB.pcap)
#
# A real Dovecot runs in a network namespace behind a veth pair (MTU 1500; TSO, GSO, GRO and
# LRO off on both ends, so that what is captured is what a wire carries), with the mailboxes of
# captures/record/ (alice's four short messages, bob's 200 KB and 8 KB ones, carol's MIME
# messages with attachments, an inline image, a forwarded message and a Chinese subject). Eight
# Python poplib clients at a time, in the root namespace, log in as one of them, LIST, retrieve
# every message and QUIT, again and again, until tcpdump on the veth has written MEGABYTES.
# Without Dovecot (apt-get install dovecot-pop3d) pop3scope's teaching server serves mailboxes of
# five 200 KB messages instead. Everything made here (namespace, veth, mailboxes) is removed at
# the end.
set -euo pipefail
cd "$(dirname "$0")/.."
megabytes=${1:-1000}
dir=${BENCH_DIR:-/tmp/pop3scope-bench}
out=${2:-$dir/real-mtu-${megabytes}MB.pcap}
mkdir -p "$dir"
[ "$(id -u)" = 0 ] || { echo "real-mtu-capture.sh: must run as root (namespaces, tcpdump)" >&2; exit 1; }
command -v ethtool >/dev/null || apt-get install -y ethtool >/dev/null

ns=pop3bench$$
work=$(mktemp -d)
cleanup() {
  kill $(jobs -p) 2>/dev/null || true
  ip netns del "$ns" 2>/dev/null || true
  ip link del "v$ns" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

cargo build --release --quiet --bin pop3scope
if command -v dovecot >/dev/null; then
  server=dovecot
  users="alice:wonderland bob:builder carol:messages"
else
  server=teaching
  users=""
  # Eight mailboxes: the teaching server gives a mailbox to one session at a time (RFC 1939 §8).
  for user in 1 2 3 4 5 6 7 8; do
    users="$users user$user:secret"
    mkdir -p "$work/mail/user$user"
    echo "user$user:secret" >> "$work/mail/users"
    for n in 1 2 3 4 5; do
      python3 -c '
import sys
lines = ["From: bench@example.test", "To: user@example.test", "Subject: message " + sys.argv[2], ""]
lines += ["line %05d of a message long enough to cross many segments, padded out." % i for i in range(2700)]
open(sys.argv[1], "w").write("\n".join(lines) + "\n")' "$work/mail/user$user/00$n.eml" "$n"
    done
  done
  chmod 755 "$work"
  chmod -R a+rwX "$work/mail"
fi

# The server's side in the namespace, the clients' side here.
ip netns add "$ns"
ip link add "v$ns" type veth peer name "p$ns"
ip link set "p$ns" netns "$ns"
ip addr add 10.77.0.1/24 dev "v$ns"
ip link set "v$ns" mtu 1500 up
ip netns exec "$ns" ip addr add 10.77.0.2/24 dev "p$ns"
ip netns exec "$ns" ip link set "p$ns" mtu 1500 up
ip netns exec "$ns" ip link set lo up
for offload in tso gso gro lro; do
  ethtool -K "v$ns" "$offload" off 2>/dev/null || true
  ip netns exec "$ns" ethtool -K "p$ns" "$offload" off 2>/dev/null || true
done

if [ "$server" = dovecot ]; then
  ip netns exec "$ns" bash tests/live/dovecot.sh start "$work" 110 10.77.0.2
  trap 'ip netns exec "$ns" bash tests/live/dovecot.sh stop "$work"; cleanup' EXIT
else
  ip netns exec "$ns" ./target/release/pop3scope serve --listen 10.77.0.2:110 --allow-remote \
    --mailbox "$work/mail" --max-per-address 64 >/dev/null 2>&1 &
  sleep 1
fi
tcpdump -i "v$ns" -s 0 -w "$out" tcp port 110 2>/dev/null &
dump=$!
sleep 1

client='
import poplib, sys
user, password = sys.argv[2].split(":")
for _ in range(int(sys.argv[1])):
    pop = poplib.POP3("10.77.0.2", 110, timeout=30)
    pop.user(user)
    pop.pass_(password)
    for entry in pop.list()[1]:
        pop.retr(int(entry.split()[0]))
    pop.quit()
'
target=$((megabytes * 1000000))
while [ "$(stat -c %s "$out" 2>/dev/null || echo 0)" -lt "$target" ]; do
  clients=()
  for n in 1 2 3 4 5 6 7 8; do
    set -- $users
    shift $(( (n - 1) % $# ))
    python3 -c "$client" 10 "$1" &
    clients+=($!)
  done
  wait "${clients[@]}"
done
sleep 1
kill "$dump"
wait "$dump" 2>/dev/null || true
frames=$(tcpdump -r "$out" 2>/dev/null | wc -l)
largest=$(tcpdump -r "$out" -nn 2>/dev/null | grep -o 'length [0-9]*' | awk '{print $2}' | sort -n | tail -1)
echo "real-mtu-capture.sh: $server, $out, $(( $(stat -c %s "$out") / 1000000 )) MB, $frames frames, the largest TCP payload $largest bytes"
