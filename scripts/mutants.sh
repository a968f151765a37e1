#!/usr/bin/env bash
# Mutation score of the durability code against the promise checks.
#
#   scripts/mutants.sh                     # every mutant, in a scratch copy
#   scripts/mutants.sh --shard 1/8         # one of eight sittings
#   scripts/mutants.sh --re '^models/src/merge\.rs' --in-place   # one file
#   scripts/mutants.sh --list              # the mutants, without running them
#
# Configuration lives in .cargo/mutants.toml (files, exclusions, release
# build profile, test target tests/promise_checks.rs, timeouts). Every argument is
# passed on to `cargo mutants`. Results go to mutants.out/ (caught.txt,
# missed.txt, unviable.txt, timeout.txt; outcomes.json); `--iterate` skips
# mutants an earlier sitting already caught, so a run can be resumed.
# `--in-place` reuses ./target instead of a cold build in a scratch copy, but
# mutates the working tree while it runs: do not edit sources meanwhile.
# cargo-mutants 27 runs its baseline on the mutated package only (it
# ignores --test-package there), where the promise checks do not live, so
# the baseline is run here instead and cargo-mutants skips its own; the
# check takes about 40 s, so a test of 4 minutes is a timeout (a mutant
# that makes a run spin). On a machine busy with other builds, raise both
# bounds: MUTANTS_TIMEOUT=600 MUTANTS_BUILD_TIMEOUT=1800 scripts/mutants.sh ...
if [[ " $* " != *" --list "* ]]; then
    nice -n 19 cargo test --package lastcopy --package lastcopy-models \
        --test promise_checks --test handset --test database --test logstore \
        --test merge --test server --test operator
fi
rc=0
nice -n 19 cargo mutants --package lastcopy-models \
    --test-package lastcopy --test-package lastcopy-models \
    --baseline skip --timeout "${MUTANTS_TIMEOUT:-240}" \
    --build-timeout "${MUTANTS_BUILD_TIMEOUT:-600}" "$@" || rc=$?
# The counts of the sitting that just ran (cargo-mutants exits 2 when a
# mutant was missed, 3 when one timed out; the counts say which).
out=mutants.out
for ((i = 1; i <= $#; i++)); do
    case "${!i}" in
    -o | --output) j=$((i + 1)) && out="${!j}/mutants.out" ;;
    --output=*) out="${!i#--output=}/mutants.out" ;;
    esac
done
if [[ -f "$out/outcomes.json" ]]; then
    for f in caught missed unviable timeout; do
        printf '%-9s %s\n' "$f" "$(cat "$out/$f.txt" 2>/dev/null | wc -l)"
    done
fi
exit "$rc"
