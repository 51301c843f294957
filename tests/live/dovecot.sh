#!/usr/bin/env bash
# A throw-away Dovecot on 127.0.0.1 for the live-capture test, built from the same config and
# mailboxes as captures/record/ (fake credentials: alice / wonderland).
#
#   tests/live/dovecot.sh start DIR PORT [ADDRESS]   configure in DIR, listen on PORT of ADDRESS
#                                                    (default 127.0.0.1; plain POP3 only)
#   tests/live/dovecot.sh stop DIR
set -euo pipefail
here=$(cd "$(dirname "$0")/../../captures/record" && pwd)
action=$1 base=$2
case "$action" in
start)
  port=$3 address=${4:-127.0.0.1}
  mkdir -p "$base/tls" "$base/run" "$base/state"
  chmod 755 "$base"
  sed -e "s#@BASE@#$base#g" -e "s#port = 110#port = $port#" -e "s#port = 995#port = 0#" \
      -e "s#instance_name = .*#instance_name = pop3scope-test-$port#" -e "s#^listen = .*#listen = $address#" \
      "$here/dovecot.conf" > "$base/dovecot.conf"
  # Load tests open many sessions to one mailbox from one address.
  printf 'protocol pop3 {\n  mail_max_userip_connections = 500\n}\n' >> "$base/dovecot.conf"
  openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj "/CN=localhost" \
      -keyout "$base/tls/key.pem" -out "$base/tls/cert.pem" 2>/dev/null
  chmod 600 "$base/tls/key.pem"
  python3 "$here/mkmail.py" "$base" >/dev/null
  dovecot -c "$base/dovecot.conf"
  # Wait until the port listens, without connecting: a probe connection's late packets would
  # otherwise show up in the capture under test.
  listening=$(printf ':%04X 00000000:0000 0A' "$port")
  for _ in $(seq 100); do
    if grep -q "$listening" /proc/net/tcp; then
      exit 0
    fi
    sleep 0.1
  done
  cat "$base/dovecot.log" >&2
  exit 1
  ;;
stop)
  doveadm -c "$base/dovecot.conf" stop 2>/dev/null || { [ -f "$base/run/master.pid" ] && kill "$(cat "$base/run/master.pid")"; } || true
  ;;
esac
