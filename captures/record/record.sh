#!/bin/bash
# Re-record every POP3 capture in captures/ from a real Dovecot 2.3 server
# driven by real clients (Python poplib / raw sockets, curl, fetchmail) over
# loopback.
#
#   sudo bash captures/record/record.sh                      every capture
#   sudo bash captures/record/record.sh 23-mailbox.pcap …    only those named
#
# Runs as root on Debian 12; installs what it needs from Debian's apt.
# Everything (Dovecot config, TLS key, mailboxes, logs) lives in a fresh
# temporary directory that is removed at the end; Dovecot and the capture
# processes started here are stopped on exit.  Idempotent: every run
# overwrites captures/NN-*.pcap[ng] (and the two TLS key logs).
# All credentials used are FAKE (alice/wonderland, bob/builder,
# empty@example.test/nothing).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)   # captures/record
OUT=$(dirname "$HERE")                               # captures
PY=/usr/bin/python3
FILTER='tcp port 110 or tcp port 995'

[ "$(id -u)" = 0 ] || { echo "record.sh: must run as root" >&2; exit 1; }

# ------------------------------------------------------------------ install
PKGS="dovecot-pop3d tcpdump tshark tcpflow fetchmail curl openssl python3 iproute2"
missing=""
for p in $PKGS; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' \
        || missing="$missing $p"
done
if [ -n "$missing" ]; then
    export DEBIAN_FRONTEND=noninteractive
    # tshark: do not allow non-root capture (no setuid dumpcap)
    echo "wireshark-common wireshark-common/install-setuid boolean false" \
        | debconf-set-selections
    apt-get update
    apt-get install -y $missing
fi

# A Debian install on a systemd machine starts the system Dovecot, which
# would hold ports 110/995.  Stop it (only it) if it is running.
if command -v systemctl >/dev/null 2>&1 \
        && systemctl is-active --quiet dovecot.service 2>/dev/null; then
    echo "record.sh: stopping the system dovecot.service (ports 110/995)"
    systemctl stop dovecot.service dovecot.socket || true
fi
if ss -Hltn '( sport = :110 or sport = :995 )' | grep -q .; then
    echo "record.sh: ports 110/995 are in use:" >&2
    ss -ltnp '( sport = :110 or sport = :995 )' >&2
    exit 1
fi

# ------------------------------------------------------------------ set up
BASE=$(mktemp -d /tmp/pop3scope-rec.XXXXXX)
chmod 755 "$BASE"
CAP_PID=""
cleanup() {
    set +e
    if [ -n "$CAP_PID" ] && kill -0 "$CAP_PID" 2>/dev/null; then
        kill -INT "$CAP_PID"; wait "$CAP_PID"
    fi
    stop_dovecot
    rm -rf "$BASE"
}
stop_dovecot() {
    if [ -f "$BASE/run/master.pid" ]; then
        doveadm -c "$BASE/dovecot.conf" stop 2>/dev/null \
            || kill "$(cat "$BASE/run/master.pid")"
        for _ in $(seq 100); do
            [ -f "$BASE/run/master.pid" ] || break
            sleep 0.1
        done
    fi
    for _ in $(seq 50); do   # wait until the ports are free again
        ss -Hltn '( sport = :110 or sport = :995 )' | grep -q . || break
        sleep 0.1
    done
}
start_dovecot() {
    dovecot -c "$BASE/dovecot.conf"
    for _ in $(seq 100); do
        ss -Hltn '( sport = :110 )' | grep -q . \
            && ss -Hltn '( sport = :995 )' | grep -q . && break
        sleep 0.1
    done
    ss -Hltn '( sport = :110 )' | grep -q . \
        || { cat "$BASE/dovecot.log"; exit 1; }
}
trap cleanup EXIT

mkdir -p "$BASE/tls" "$BASE/run" "$BASE/state" "$BASE/fetchmail"
sed "s#@BASE@#$BASE#g" "$HERE/dovecot.conf" > "$BASE/dovecot.conf"
openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=localhost" \
    -keyout "$BASE/tls/key.pem" -out "$BASE/tls/cert.pem" 2>/dev/null
chmod 600 "$BASE/tls/key.pem"
$PY "$HERE/mkmail.py" "$BASE"

start_dovecot
echo "record.sh: $(dovecot --version | cut -d' ' -f1) running from $BASE"

# ------------------------------------------------------------------ helpers
reset_mail() { $PY "$HERE/mkmail.py" "$BASE"; }

wait_ready() {   # wait until the capture process says it is listening
    local err=$1 what=$2
    for _ in $(seq 100); do
        grep -q "$what" "$err" 2>/dev/null && { sleep 0.3; return 0; }
        kill -0 "$CAP_PID" 2>/dev/null || break
        sleep 0.1
    done
    cat "$err" >&2; echo "record.sh: capture did not start" >&2; exit 1
}

# cap_start FILE [tcpdump options...]   (default: -i lo)
cap_start() {
    local f=$1; shift
    [ $# -gt 0 ] || set -- -i lo
    rm -f "$f"
    tcpdump -Z root -U --immediate-mode "$@" -w "$f" "$FILTER" 2>"$BASE/cap.err" &
    CAP_PID=$!
    wait_ready "$BASE/cap.err" "listening on"
}

cap_start_dumpcap() {   # pcapng via Wireshark's dumpcap
    local f=$1
    rm -f "$f"
    dumpcap -i lo -f "$FILTER" -B 4 -w "$f" 2>"$BASE/cap.err" &
    CAP_PID=$!
    wait_ready "$BASE/cap.err" "Capturing on"
}

cap_stop() {
    sleep 1                         # let the last FIN/ACKs through
    kill -INT "$CAP_PID"
    wait "$CAP_PID" || true
    CAP_PID=""
    grep -E 'captured|Packets' "$BASE/cap.err" | tr '\n' ' '; echo
}

py() {
    $PY "$HERE/scenarios.py" "$@" > "$BASE/client.log" 2>&1 \
        || { cat "$BASE/client.log"; exit 1; }
    head -n 30 "$BASE/client.log" | cut -c1-150 | sed 's/^/   /'
}

# run NAME [cap_start options] -- client command...
# With file names given to record.sh, only those captures are recorded.
ONLY=("$@")
run() {
    local name=$1; shift
    if [ ${#ONLY[@]} -gt 0 ] && ! printf '%s\n' "${ONLY[@]}" | grep -qxF "$name"; then
        return 0
    fi
    local opts=()
    while [ "$1" != "--" ]; do opts+=("$1"); shift; done
    shift
    echo "== $name"
    reset_mail
    if [ "${opts[0]:-}" = "dumpcap" ]; then
        cap_start_dumpcap "$OUT/$name"
    else
        cap_start "$OUT/$name" "${opts[@]}"
    fi
    "$@"
    cap_stop
}

curl_session() {
    local c="curl -sS --max-time 20 -u alice:wonderland"
    $c pop3://127.0.0.1/ > "$BASE/curl-list.txt"             # LIST
    sleep 0.3
    $c pop3://127.0.0.1/1 > "$BASE/curl-retr1.txt"           # RETR 1
    sleep 0.3
    $c -X DELE -I pop3://127.0.0.1/1 > /dev/null             # DELE 1
    sleep 0.3
    $c pop3://127.0.0.1/ > "$BASE/curl-list2.txt"            # LIST again
    grep -q '^Subject: Tea at six' "$BASE/curl-retr1.txt"
    sed 's/^/   /' "$BASE/curl-list2.txt"
}

fetchmail_run() {   # fetchmail_run keep|delete
    local mode=$1 rc="$BASE/fetchmail/rc-$1"
    {
        echo "set no syslog"
        echo "poll 127.0.0.1 protocol pop3 port 110 uidl"
        if [ "$mode" = keep ]; then
            echo "  user \"alice\" there with password \"wonderland\""
            echo "  keep"
        else
            echo "  auth password"
            echo "  user \"alice\" there with password \"wonderland\""
            echo "  nokeep fetchall"
        fi
        echo "  sslproto ''"
        echo "  mda \"/bin/sh -c 'cat >> $BASE/fetchmail/$mode.mbox'\""
    } > "$rc"
    chmod 600 "$rc"
    rm -f "$BASE/fetchmail/ids-$mode" "$BASE/fetchmail/$mode.mbox"
    local fm=(fetchmail -f "$rc" -i "$BASE/fetchmail/ids-$mode"
              --pidfile "$BASE/fetchmail/pid" --nodetach -v)
    "${fm[@]}" > "$BASE/fetchmail/$mode.log" 2>&1 \
        || { cat "$BASE/fetchmail/$mode.log"; exit 1; }
    if [ "$mode" = keep ]; then
        # second poll: UIDL shows nothing new, nothing is fetched
        sleep 0.5
        "${fm[@]}" >> "$BASE/fetchmail/$mode.log" 2>&1 || [ $? = 1 ]
    fi
    grep 'POP3>' "$BASE/fetchmail/$mode.log" | sed 's/^/   /'
}

# ------------------------------------------------------------------ record
[ ${#ONLY[@]} -gt 0 ] || rm -f "$OUT"/*.keylog

run 01-full-session.pcap        -- py full
run 02-wrong-password.pcap      -- py wrongpass
# The failed login above puts 127.0.0.1 in Dovecot's auth penalty table
# (anvil), which would delay the next logins by 2-4 s.  Restart Dovecot to
# forget it.
stop_dovecot; start_dovecot
run 03-apop.pcap                -- py apop
run 04-auth-plain.pcap          -- py authplain
run 05-auth-login.pcap          -- py authlogin
run 06-auth-cram-md5.pcap       -- py crammd5
run 07-stls.pcap                -- py stls "$OUT/07-stls.keylog"
run 08-pipelined.pcap           -- py pipelined
run 09-top.pcap                 -- py top
run 10-dele-rset.pcap           -- py dele-rset
run 11-wrong-phase.pcap         -- py wrong-phase
run 12-empty-mailbox.pcap       -- py empty
run 13-large-retr.pcap          -- py large
run 14-reset-mid-retr.pcap      -- py reset
run 15-ipv6.pcap                -- py ipv6
run 16-curl.pcap                -- curl_session
run 17-fetchmail-keep.pcap      -- fetchmail_run keep
run 18-fetchmail-delete.pcap    -- fetchmail_run delete
run 19-linux-sll2.pcap -i any -y LINUX_SLL2 -- py basic
run 20-pcapng.pcapng dumpcap    -- py basic
run 21-snaplen-96.pcap -i lo -s 96 -- py snaplen
run 22-pop3s-implicit-tls.pcap  -- py pop3s "$OUT/22-pop3s-implicit-tls.keylog"
run 23-mailbox.pcap             -- py mailbox
run 24-dot-stuffing.pcap        -- py dots
run 25-two-phase-delete.pcap    -- py two-phase
run 26-uidl-two-sessions.pcap   -- py uidl-sessions
run 27-mime.pcap               -- py mime
run 28-tls12-aes-gcm.pcap      -- py tls12-aes-gcm "$OUT/28-tls12-aes-gcm.keylog"
run 29-tls12-chacha20.pcap     -- py tls12-chacha20 "$OUT/29-tls12-chacha20.keylog"

chmod 644 "$OUT"/*.pcap "$OUT"/*.pcapng "$OUT"/*.keylog

# ------------------------------------------------------------------ checks
echo "== checks"
fail() { echo "CHECK FAILED: $*" >&2; exit 1; }
# 08: the 13 pipelined commands are one client->server TCP segment
tshark -r "$OUT/08-pipelined.pcap" -Y 'tcp.dstport == 110 && tcp.len > 0' \
    -T fields -e tcp.payload 2>/dev/null | $PY -c '
import sys
segs = [bytes.fromhex(l.strip().replace(":", "")) for l in sys.stdin if l.strip()]
burst = [s for s in segs if s.startswith(b"STAT\r\nLIST\r\n")]
assert len(burst) == 1 and burst[0].count(b"\r\n") == 13 \
    and burst[0].endswith(b"QUIT\r\n"), segs
print("08: 13 commands in one segment of %d bytes" % len(burst[0]))
' || fail "08 pipelined burst is not one segment"
# every TCP connection in every capture is complete: SYN seen, and either
# both sides sent FIN or one sent RST (guards against a capture that was
# stopped too early)
for f in "$OUT"/[0-9][0-9]-*.pcap "$OUT"/[0-9][0-9]-*.pcapng; do
    # The simulated captures (30-, 40-) are not recorded here; some are incomplete on purpose.
    case "$f" in *-synthetic-*|*-whatif-*) continue ;; esac
    tshark -r "$f" -T fields -e tcp.stream -e tcp.srcport -e tcp.flags.syn \
        -e tcp.flags.ack -e tcp.flags.fin -e tcp.flags.reset 2>/dev/null \
    | $PY -c '
import sys, collections
st = collections.defaultdict(lambda: {"syn": 0, "fin": set(), "rst": 0})
for l in sys.stdin:
    s, port, syn, ack, fin, rst = l.split("\t")
    d = st[s]
    t = lambda v: v.strip() in ("1", "True")
    if t(syn) and not t(ack): d["syn"] += 1
    if t(fin): d["fin"].add(port)
    if t(rst): d["rst"] += 1
bad = [k for k, d in st.items()
       if not d["syn"] or not (len(d["fin"]) == 2 or d["rst"])]
name = sys.argv[1].rsplit("/", 1)[-1]
print("%s: %d TCP connection(s), all complete" % (name, len(st))
      if not bad else "%s: INCOMPLETE streams %s" % (name, bad))
sys.exit(1 if bad or not st else 0)
' "$f" || fail "$f has an incomplete TCP connection"
done
n=$(tshark -r "$OUT/14-reset-mid-retr.pcap" -Y 'tcp.flags.reset == 1' 2>/dev/null | wc -l)
[ "$n" -ge 1 ] || fail "14 has no RST"; echo "14: $n RST segment(s)"
for f in 07-stls.pcap 22-pop3s-implicit-tls.pcap 28-tls12-aes-gcm.pcap 29-tls12-chacha20.pcap; do
    n=$(tshark -r "$OUT/$f" -d tcp.port==110,tls -Y 'tls.handshake.type == 1' 2>/dev/null | wc -l)
    [ "$n" -ge 1 ] || fail "$f has no TLS ClientHello"; echo "$f: TLS ClientHello present"
done
tcpdump -r "$OUT/19-linux-sll2.pcap" -c 1 2>&1 | grep -q LINUX_SLL2 \
    || fail "19 is not LINUX_SLL2"; echo "19: LINUX_SLL2"
capinfos -t "$OUT/20-pcapng.pcapng" | grep -q pcapng || fail "20 is not pcapng"
echo "20: pcapng"
n=$(tshark -r "$OUT/21-snaplen-96.pcap" -Y 'frame.cap_len < frame.len' 2>/dev/null | wc -l)
[ "$n" -ge 1 ] || fail "21 has no truncated frames"; echo "21: $n truncated frames"
n=$(tshark -r "$OUT/03-apop.pcap" -Y 'pop.response.indicator == "+OK" && pop.response.description contains "Logged in"' \
    -T fields -e frame.time_relative 2>/dev/null)
$PY -c "import sys; t=float(sys.argv[1]); print('03: APOP login answered after %.3f s' % t); sys.exit(t > 1.5)" "$n" \
    || fail "03 login was delayed (auth penalty?)"
n=$(tshark -r "$OUT/15-ipv6.pcap" -Y ipv6 2>/dev/null | wc -l)
[ "$n" -ge 1 ] || fail "15 has no IPv6"; echo "15: $n IPv6 frames"

ls -l "$OUT"/*.pcap "$OUT"/*.pcapng "$OUT"/*.keylog
du -ch "$OUT"/*.pcap "$OUT"/*.pcapng | tail -1
echo "record.sh: done"
