#!/usr/bin/env bash
# Throughput of the batch worker against separate runs: N jobs (default 20) on the demo model, CPU backend,
# as one `depth2img batch` and as N `depth2img` processes; checks that both write the same bytes.
#   swift build -c release --product depth2img && Benchmarks/batch-throughput.sh [JOBS] [extra depth2img options]
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=${1:-20}
shift || true
bin=.build/release/depth2img
model=Examples/demo/model
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp Examples/demo/input.png "$work/input.png"
for i in $(seq 1 "$jobs"); do
    echo "{\"id\": \"j$i\", \"image\": \"input.png\", \"prompt\": \"a red house by a lake, variant $i\", \"seed\": $i}"
done > "$work/jobs.jsonl"
mkdir "$work/single"
now() { date +%s.%N; }
start=$(now)
"$bin" batch --model "$model" --manifest "$work/jobs.jsonl" --output-dir "$work/batch" --backend cpu "$@" 2>/dev/null
middle=$(now)
for i in $(seq 1 "$jobs"); do
    "$bin" --model "$model" --image "$work/input.png" --prompt "a red house by a lake, variant $i" --seed "$i" \
        --backend cpu "$@" --output "$work/single/j$i.png" 2>/dev/null
done
end=$(now)
for i in $(seq 1 "$jobs"); do cmp -s "$work/batch/j$i.png" "$work/single/j$i.png" || { echo "j$i differs" >&2; exit 1; }; done
awk -v n="$jobs" -v a="$start" -v b="$middle" -v c="$end" 'BEGIN {
    printf "%d jobs: batch %.2f s (%.0f images/min), separate runs %.2f s (%.0f images/min), %.2fx\n",
        n, b - a, n / (b - a) * 60, c - b, n / (c - b) * 60, (c - b) / (b - a) }'
