# Sourced by the benchmark scripts: `measure NAME FILE COMMAND...` runs COMMAND $RUNS times
# (default 3) on a warm page cache, after `$BEFORE_RUN` if set, and prints a Markdown row: the
# best wall time (the machine is shared, so the minimum is the stable figure), the throughput
# over FILE's size, and the peak resident memory. Needs $dir for its scratch file.
measure() {
  local name=$1 file=$2
  shift 2
  local best="" memory="" size
  size=$(stat -c %s "$file")
  for _ in $(seq "${RUNS:-3}"); do
    [ -z "${BEFORE_RUN:-}" ] || eval "$BEFORE_RUN"
    /usr/bin/time -o "$dir/time" -f "%e %M" "$@" >/dev/null 2>&1
    local line
    line=$(tail -1 "$dir/time")
    local secs=${line% *} kb=${line#* }
    if [ -z "$best" ] || awk "BEGIN{exit !($secs < $best)}"; then best=$secs; fi
    memory=$kb
  done
  awk -v n="$name" -v s="$best" -v b="$size" -v m="$memory" \
    'BEGIN{ printf "| %s | %.2f s | %.0f MB/s | %.1f MB |\n", n, s, (s>0? b/s/1e6 : 0), m/1024 }'
}
