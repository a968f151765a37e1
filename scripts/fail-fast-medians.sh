#!/usr/bin/env bash
# fail-fast-medians.sh: how long `run --fail-fast` takes to find a failing
# seed, per catalogue scenario, for a design that breaks it.
#
# For each scenario of `lastcopy list`, the design is the preset its
# `[expect]` says breaks it (scenarios/NAME.toml); a scenario that only a
# knob breaks takes its design and `--set` from KNOB_BREAKS below; one that
# no design breaks is listed as such and not run. Each is run with
# `--fail-fast --jobs 1` over RANGES disjoint ranges of SIZE seeds (0..1000,
# 1000..2000, ...), each range stopped after LIMIT seconds. Prints a
# markdown table: per scenario, the median over the ranges of the wall time
# and of the CPU time (user + sys, which load from other processes distorts
# less), the median index of the first failing seed within its range, and
# the smallest and largest of each. A range that found no failing seed
# within LIMIT seconds, or none at all, counts as "> LIMIT s" and "none"
# (above every finite value); the second kind is also named under the
# table.
#
# Usage: scripts/fail-fast-medians.sh [SCENARIO...]
#   (default every catalogue scenario). Environment: LASTCOPY (the binary;
#   default target/release/lastcopy: build it first with
#   `cargo build --release`), RANGES (10), SIZE (1000), LIMIT (120).
# Exit: 0 the table was printed; 2 bad input (no binary, a bad number, an
# unknown scenario).
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
bin="${LASTCOPY:-$root/target/release/lastcopy}"
ranges="${RANGES:-10}"
size="${SIZE:-1000}"
limit="${LIMIT:-120}"

# Scenarios that only a design knob breaks: NAME -> "PRESET --set KEY=VALUE".
# None today: every scenario but torn-writes is broken by fragile-2009, and
# torn-writes by nothing (the databases acknowledge a commit only once it is
# durable under every design, and no knob changes that).
declare -A KNOB_BREAKS=()

die() {
    echo "fail-fast-medians: $*" >&2
    exit 2
}

[[ -x "$bin" ]] || die "no binary at $bin: run \`cargo build --release\` or set LASTCOPY"
for n in "$ranges" "$size" "$limit"; do
    [[ "$n" =~ ^[1-9][0-9]*$ ]] || die "RANGES, SIZE and LIMIT must be positive integers, got '$n'"
done
command -v timeout >/dev/null || die "needs timeout (coreutils)"
TIMEFORMAT='%R %U %S'

mapfile -t catalogue < <("$bin" list | awk '$1 == "scenario" { print $2 }')
if (($# > 0)); then
    for s in "$@"; do
        printf '%s\n' "${catalogue[@]}" | grep -qxF -- "$s" || die "unknown scenario '$s' (see \`lastcopy list\`)"
    done
    scenarios=("$@")
else
    scenarios=("${catalogue[@]}")
fi

# The preset the [expect] table of scenarios/$1.toml says breaks it, if any.
breaking_preset() {
    awk '
        /^\[/ { in_expect = ($0 ~ /^\[expect\]/); next }
        in_expect && /outcome *= *"breaks"/ { sub(/ *=.*/, ""); print; exit }
    ' "$root/scenarios/$1.toml"
}

# The median of the numbers on stdin, one a line ("inf" sorts last); the
# mean of the middle two for an even count.
median() {
    sort -g | awk '{ v[NR] = $1 } END {
        if (NR == 0) { print "inf"; exit }
        a = v[int((NR + 1) / 2)]; b = v[int(NR / 2) + 1]
        if (a == "inf" || b == "inf") print "inf"; else printf "%.3f\n", (a + b) / 2 }'
}

# Shows seconds, or "> LIMIT s" for inf.
secs() {
    if [[ "$1" == inf ]]; then echo "> $limit s"; else printf '%.2f' "$1"; fi
}

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
: >"$tmp/notes"

cpu_model="$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo 2>/dev/null || true)"
echo "fail-fast-medians: $(nproc) cores${cpu_model:+ ($cpu_model)}, load average $(cut -d' ' -f1-3 /proc/loadavg), $ranges ranges of $size seeds, limit $limit s" >&2
echo
echo "| scenario | design | median wall (s) | median CPU (s) | median first failing index | wall min / max (s) | index min / max |"
echo "|---|---|---|---|---|---|---|"
for scenario in "${scenarios[@]}"; do
    [[ -f "$root/scenarios/$scenario.toml" ]] || die "no scenarios/$scenario.toml"
    args=()
    if [[ -n "${KNOB_BREAKS[$scenario]:-}" ]]; then
        read -r -a knob <<<"${KNOB_BREAKS[$scenario]}"
        args=(--design "${knob[@]}")
    else
        preset="$(breaking_preset "$scenario")"
        if [[ -z "$preset" ]]; then
            echo "| \`$scenario\` | none breaks it | - | - | - | - | - |"
            continue
        fi
        args=(--design "$preset")
    fi
    : >"$tmp/wall"
    : >"$tmp/cpu"
    : >"$tmp/index"
    for ((r = 0; r < ranges; r++)); do
        start=$((r * size))
        end=$((start + size))
        rc=0
        # bash's `time` (wall, then user and sys of the children), on stderr.
        { time timeout "$limit" "$bin" run "$scenario" "${args[@]}" \
            --seeds "$start..$end" --fail-fast --jobs 1 >"$tmp/out" 2>/dev/null; } 2>"$tmp/time" || rc=$?
        read -r wall user sys <"$tmp/time"
        case "$rc" in
        1)
            seed="$(sed -n 's/^seed \([0-9]*\): .*; replay: .*/\1/p' "$tmp/out" | head -n 1)"
            [[ -n "$seed" ]] || die "$scenario $start..$end exited 1 without a failing seed line"
            echo "$wall" >>"$tmp/wall"
            awk -v u="$user" -v s="$sys" 'BEGIN { printf "%.3f\n", u + s }' >>"$tmp/cpu"
            echo $((seed - start)) >>"$tmp/index"
            ;;
        0 | 124)
            # 0: every seed of the range kept the promise; 124: stopped at
            # the limit. Either way no failing seed within the bound.
            ((rc == 0)) && echo "\`$scenario\` $start..$end: no seed broke the promise (in $wall s)" >>"$tmp/notes"
            echo inf >>"$tmp/wall"
            echo inf >>"$tmp/cpu"
            echo inf >>"$tmp/index"
            ;;
        *) die "$scenario $start..$end: lastcopy exited $rc" ;;
        esac
    done
    wall_med="$(median <"$tmp/wall")"
    cpu_med="$(median <"$tmp/cpu")"
    index_med="$(median <"$tmp/index")"
    wall_min="$(sort -g "$tmp/wall" | head -n 1)"
    wall_max="$(sort -g "$tmp/wall" | tail -n 1)"
    index_min="$(sort -g "$tmp/index" | head -n 1)"
    index_max="$(sort -g "$tmp/index" | tail -n 1)"
    [[ "$index_med" == inf ]] && index_med="none" || index_med="$(printf '%g' "$index_med")"
    [[ "$index_max" == inf ]] && index_max="none"
    [[ "$index_min" == inf ]] && index_min="none"
    echo "| \`$scenario\` | \`${args[*]:1}\` | $(secs "$wall_med") | $(secs "$cpu_med") | $index_med | $(secs "$wall_min") / $(secs "$wall_max") | $index_min / $index_max |"
done
if [[ -s "$tmp/notes" ]]; then
    echo
    cat "$tmp/notes"
fi
