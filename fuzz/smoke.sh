#!/usr/bin/env bash
# Builds every fuzz target and runs each one for a few seconds, starting from its committed seed
# corpus (fuzz/seeds/<target>/, valid inputs that reach the deep paths) and replaying every
# input under fuzz/regressions/<target>/ first. Exits non-zero if any target crashes, leaks,
# times out or fails to build; crashing inputs land in fuzz/artifacts/<target>/.
#
#   fuzz/smoke.sh                  # every target, FUZZ_SECONDS (default 5) seconds each
#   fuzz/smoke.sh 60               # every target, 60 s each
#   fuzz/smoke.sh 600 kzg_recover  # some targets, 10 minutes each
#
# New inputs the fuzzer finds go to fuzz/corpus/<target>/ (ignored by git), so longer runs pick
# up where earlier ones stopped. Needs cargo-fuzz (`cargo install cargo-fuzz`); RUSTC_BOOTSTRAP
# lets its nightly flags run on the stable toolchain. SMOKE_NO_BUILD=1 skips the build;
# SMOKE_JOBS=N runs N targets at a time (default: one per core).
set -euo pipefail
cd "$(dirname "$0")"

secs=${1:-${FUZZ_SECONDS:-5}}
shift $(($# > 0 ? 1 : 0))
export RUSTC_BOOTSTRAP=1

if (($# > 0)); then
    targets=("$@")
else
    mapfile -t targets < <(cargo fuzz list)
fi

# Inputs a target may grow to (bytes). libFuzzer's default is the larger of 4096 and the
# largest seed; these targets read whole files or shard sets and get room to grow them.
max_len() {
    case "$1" in
    core_proof | core_stream | erasure_decode | erasure_manifest | erasure_repair) echo 16384 ;;
    pora_answer_decode) echo 8192 ;;
    *) echo 0 ;;
    esac
}

host=$(rustc -vV | sed -n 's/^host: //p')
logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT
if [[ -z ${SMOKE_NO_BUILD:-} ]]; then
    build_start=$SECONDS
    # One named target builds alone; otherwise every target builds in one cargo call.
    one=()
    ((${#targets[@]} == 1)) && one=("${targets[0]}")
    if ! cargo fuzz build "${one[@]}" >"$logs/build" 2>&1; then
        tail -n 60 "$logs/build"
        exit 1
    fi
    echo "fuzz build: $((SECONDS - build_start)) s"
fi

# Runs one target; its summary line goes to $logs/<target>.line, a failure leaves
# $logs/<target>.failed.
run_one() {
    local t=$1 bin=target/$host/release/$1 start=$SECONDS
    if [[ ! -x $bin ]]; then
        echo "$t: not built ($bin)" >"$logs/$t.line"
        touch "$logs/$t.failed"
        return
    fi
    mkdir -p "corpus/$t" "artifacts/$t"
    local dirs=("corpus/$t")
    [[ -d seeds/$t ]] && dirs+=("seeds/$t")
    [[ -d regressions/$t ]] && dirs+=("regressions/$t")
    local args=(-max_total_time="$secs" -timeout=60 -print_final_stats=1 -artifact_prefix="artifacts/$t/")
    local ml
    ml=$(max_len "$t")
    ((ml > 0)) && args+=(-max_len="$ml")
    if "$bin" "${args[@]}" "${dirs[@]}" >"$logs/$t" 2>&1; then
        local execs cov
        execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$logs/$t")
        cov=$(grep -o 'cov: [0-9]*' "$logs/$t" | tail -n 1 || true)
        printf '%-20s ok   %3ss  %8s execs  %s\n' "$t" "$((SECONDS - start))" "${execs:-?}" "$cov" >"$logs/$t.line"
    else
        {
            printf '%-20s FAILED after %ss\n' "$t" "$((SECONDS - start))"
            tail -n 40 "$logs/$t"
        } >"$logs/$t.line"
        touch "$logs/$t.failed"
    fi
}

# Targets are single-threaded: run as many at once as there are cores (SMOKE_JOBS).
parallel=${SMOKE_JOBS:-$(nproc)}
run_start=$SECONDS
for t in "${targets[@]}"; do
    while (($(jobs -rp | wc -l) >= parallel)); do
        wait -n || true
    done
    run_one "$t" &
done
wait
failed=()
for t in "${targets[@]}"; do
    cat "$logs/$t.line"
    [[ -e $logs/$t.failed ]] && failed+=("$t")
done
echo "fuzz smoke: ${#targets[@]} targets x ${secs} s, $parallel at a time, in $((SECONDS - run_start)) s"
if ((${#failed[@]} > 0)); then
    echo "failed: ${failed[*]}" >&2
    exit 1
fi
