#!/usr/bin/env bash
# `pop3scope sniff` under load: CLIENTS concurrent POP3 sessions over loopback against a real
# Dovecot, each logging in and retrieving the 201,762-octet message ROUNDS times, while sniff
# decodes everything as JSON Lines. Reports whether every session was seen complete, the
# kernel's drop count, the traffic rate, and sniff's CPU time.
#
#   sudo bash benches/sniff-load.sh [CLIENTS] [ROUNDS]     (default 50 clients, 4 rounds)
#
# Needs root, dovecot-pop3d, openssl and python3 (the same as the live test).
set -euo pipefail
cd "$(dirname "$0")/.."
clients=${1:-50}
rounds=${2:-4}
port=11995
work=$(mktemp -d /tmp/pop3scope-load.XXXXXX)
sniff=
trap 'bash tests/live/dovecot.sh stop "$work" || true; [ -z "$sniff" ] || pkill -P "$sniff" 2>/dev/null || true; rm -rf "$work"' EXIT

cargo build --release --quiet --bin pop3scope
bash tests/live/dovecot.sh start "$work" "$port"
/usr/bin/time -o "$work/time" -f "%e %U %S" ./target/release/pop3scope sniff -i lo -p "$port" --json \
  > "$work/sniff.jsonl" 2> "$work/sniff.err" &
sniff=$!
for _ in $(seq 50); do grep -q "capturing on" "$work/sniff.err" 2>/dev/null && break; sleep 0.1; done

start=$(date +%s.%N)
python3 - "$port" "$clients" "$rounds" <<'PY'
import poplib, sys, threading
port, clients, rounds = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
errors = []
def session():
    try:
        pop = poplib.POP3("127.0.0.1", port, timeout=60)
        pop.user("bob"); pop.pass_("builder")
        for _ in range(rounds):
            _, lines, octets = pop.retr(2)
            assert octets > 200000, octets
        pop.quit()
    except Exception as error:
        errors.append(repr(error))
threads = [threading.Thread(target=session) for _ in range(clients)]
for t in threads: t.start()
for t in threads: t.join()
if errors:
    sys.exit(f"{len(errors)} client errors: {errors[:3]}")
PY
end=$(date +%s.%N)
sleep 1
# Ctrl-C to sniff itself (the process under `time`), which then closes and reports.
pkill -INT -P "$sniff" || true
wait "$sniff" || true

python3 - "$work/sniff.jsonl" "$clients" "$rounds" <<'PY'
import json, sys
path, clients, rounds = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
records = [json.loads(line) for line in open(path)]
ends = [r for r in records if r["type"] == "session_end"]
retrs = [r for r in records if r["type"] == "exchange" and r["command"] == "RETR"]
complete = [r for r in retrs if r["status"] == "+OK" and not r["incomplete"] and r["body_octets"] == 201762]
quits = [e for e in ends if e["reason"] == "quit"]
print(f"sessions seen: {len(ends)} of {clients}, ended by QUIT: {len(quits)}")
print(f"RETR complete with all 201762 octets: {len(complete)} of {clients * rounds}")
ok = len(quits) == clients and len(complete) == clients * rounds
print("every session complete" if ok else "SOME SESSIONS INCOMPLETE")
starts = {r["session"]: r for r in records if r["type"] == "session_start"}
for end in ends:
    if end["reason"] != "quit":
        start = starts.get(end["session"], {})
        print(f"  also seen: session {end['session']} {start.get('client')} -> {start.get('server')}, "
              f"handshake {start.get('handshake')}, ended {end['reason']} after {end['exchanges']} exchanges")
PY
tail -1 "$work/sniff.err"
read -r wall user sys < "$work/time"
python3 -c "
clients, rounds, elapsed = $clients, $rounds, $end - $start
mb = clients * rounds * 201762 / 1e6
print(f'traffic: {mb:.0f} MB of messages in {elapsed:.2f} s = {mb / elapsed:.0f} MB/s; sniff CPU: {$user + $sys:.2f} s ({100 * ($user + $sys) / elapsed:.0f}% of one core while the clients ran)')
"
