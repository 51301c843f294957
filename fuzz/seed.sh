#!/usr/bin/env bash
# Seeds the fuzz corpora from the repository's captures, lessons and simulate scripts, and
# from the shared public captures when ../shared is beside the repository. The corpora are
# generated, never committed (fuzz/.gitignore); running this again only adds files.
set -euo pipefail
cd "$(dirname "$0")"
repo=..

mkdir -p corpus/capture_reader corpus/pipeline corpus/threads corpus/mapped_reader \
  corpus/lesson_file corpus/simulate_script corpus/pop3_decoder

# Copies $1 into each of the corpus directories after it, named by its path (several public
# captures are all called input.pcap).
seed() {
  local file=$1 name
  shift
  name=$(printf '%s' "$file" | sed -E 's#^(\.\.?/)+##' | tr '/' '_')
  for dir in "$@"; do
    cp -f "$file" "corpus/$dir/$name"
  done
}

for f in "$repo"/captures/*.pcap*; do
  [ -f "$f" ] && seed "$f" capture_reader pipeline threads mapped_reader
done
for f in "$repo"/lessons/*.toml; do
  [ -f "$f" ] && seed "$f" lesson_file
done
# The simulate scripts: captures/synthetic/*.pop3, captures/whatif/*.pop3 and any others.
while IFS= read -r -d '' f; do
  seed "$f" simulate_script
done < <(find "$repo/captures" -name '*.pop3' -type f -print0)

# pop3_decoder's input is chunks behind a control byte (direction in bit 7, length below; see
# fuzz_targets/chunks.rs): each script's S: and C: lines become one chunk each, so the
# decoder starts from real conversations.
pop3_seed() {
  local line dir text len
  while IFS= read -r line || [ -n "$line" ]; do
    case $line in
      'S: '*) dir=128 ;;
      'C: '*) dir=0 ;;
      *) continue ;;
    esac
    text=${line:3}
    text=${text:0:120}
    len=$((${#text} + 2))
    # shellcheck disable=SC2059
    printf "\\$(printf %03o $((dir + len)))"
    printf '%s\r\n' "$text"
  done < "$1"
}
while IFS= read -r -d '' f; do
  LC_ALL=C pop3_seed "$f" > "corpus/pop3_decoder/$(basename "$f").bin"
done < <(find "$repo/captures" -name '*.pop3' -type f -print0)

# display_filter: filters as people type them, and the repository's key logs.
mkdir -p corpus/display_filter
printf '%s' 'command == RETR and status == -ERR' > corpus/display_filter/retr-err
printf '%s' "user == alice or not (phase == TRANSACTION) client ~ 10.0.0." > corpus/display_filter/nested
printf '%s' 'retr -err notes' > corpus/display_filter/words
for f in "$repo"/captures/*.keylog; do
  [ -f "$f" ] && seed "$f" display_filter
done

# tls_observer: the two streams of the port-995 captures whose key logs the target holds,
# client first, in the chunks of chunks.rs (the observer keeps the client's sealed records
# until the ServerHello names the suite).
mkdir -p corpus/tls_observer
if cargo build --quiet --manifest-path "$repo/Cargo.toml" --bin pop3scope 2>/dev/null; then
  for name in 22-pop3s-implicit-tls 28-tls12-aes-gcm; do
    streams=$(mktemp -d)
    "$repo/target/debug/pop3scope" open "$repo/captures/$name.pcap" --flows \
      --export-streams "$streams" > /dev/null 2>&1
    python3 - "$streams" "corpus/tls_observer/$name.bin" <<'PY'
import glob, sys
out = bytearray()
for pattern, direction in (("*_c2s_*", 0), ("*_s2c_*", 0x80)):
    for path in sorted(glob.glob(sys.argv[1] + "/" + pattern)):
        data = open(path, "rb").read()
        for at in range(0, len(data), 127):
            chunk = data[at:at + 127]
            out += bytes([direction | len(chunk)]) + chunk
open(sys.argv[2], "wb").write(out)
PY
    rm -rf "$streams"
  done
fi

public=$repo/../shared/corpus/public
if [ -d "$public" ]; then
  while IFS= read -r -d '' f; do
    seed "$f" capture_reader pipeline threads mapped_reader
  done < <(find "$public" -name '*.pcap*' -type f -print0)
fi

for dir in corpus/*/; do
  echo "seeded ${dir%/}: $(find "$dir" -type f | wc -l) files"
done
