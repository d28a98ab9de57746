#!/usr/bin/env bash
# Checks the deployment files without a cluster (run from the repository root after a release build):
#  - the Kubernetes Job decodes as a batch/v1 Job with the client's own types (`kubectl set env --local`,
#    which needs no API server; `kubectl apply --dry-run=client` does need one, for discovery), and its
#    shard settings agree: Indexed completion mode, parallelism <= completions == DEPTHDIFFUSION_SHARD_COUNT,
#    every volume mount backed by a volume;
#  - the Slurm script passes shellcheck;
#  - the Slurm script run as a 3-task array (task ids 1-3, as with --array=1-3) and the Job's environment
#    (JOB_COMPLETION_INDEX + DEPTHDIFFUSION_SHARD_COUNT) each produce exactly the images of one unsharded run.
# The Dockerfile is not built here (that needs a Docker engine).
set -euo pipefail
cd "$(dirname "$0")/../.."
job=Examples/deploy/kubernetes/depth2img-batch.yaml
sbatch=Examples/deploy/slurm/depth2img-array.sbatch
bin=${DEPTH2IMG:-.build/release/depth2img}
fail() { echo "check-deploy: $*" >&2; exit 1; }

# Kubernetes
kubectl set env --local -f "$job" --list >/dev/null || fail "$job does not decode as a Kubernetes object"
# (`set env` prints the object only when it changes it, hence the extra variable.)
field() { kubectl set env --local -f "$job" -o "jsonpath=$1" CHECK_DEPLOY=1; }
[ "$(field '{.kind}')" = Job ] || fail "$job is not a Job"
grep -Eq '^  completionMode: Indexed$' "$job" || fail "$job: spec.completionMode must be Indexed"
completions=$(field '{.spec.completions}')
parallelism=$(field '{.spec.parallelism}')
shards=$(field '{.spec.template.spec.containers[0].env[?(@.name=="DEPTHDIFFUSION_SHARD_COUNT")].value}')
[[ -n $completions && $completions == "$shards" ]] || fail "completions ($completions) != DEPTHDIFFUSION_SHARD_COUNT ($shards)"
[ "$parallelism" -le "$completions" ] || fail "parallelism ($parallelism) > completions ($completions)"
[ "$(field '{.spec.template.spec.restartPolicy}')" = Never ] || fail "restartPolicy must be Never"
field '{.spec.template.spec.containers[0].args[0]}' | grep -qx batch || fail "the container must run 'depth2img batch'"
volumes=" $(field '{.spec.template.spec.volumes[*].name}') "
for mount in $(field '{.spec.template.spec.containers[*].volumeMounts[*].name}'); do
    [[ $volumes == *" $mount "* ]] || fail "volume mount '$mount' has no volume"
done

# Slurm
shellcheck "$sbatch"

# Shards from the Slurm and Kubernetes environments against one unsharded run.
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp Examples/demo/input.png "$work/input.png"
for i in 1 2 3 4 5 6 7; do
    echo "{\"id\": \"p$i\", \"image\": \"input.png\", \"prompt\": \"picture $i\", \"seed\": $i}"
done > "$work/jobs.jsonl"
run() { "$bin" batch --model Examples/demo/model --manifest "$work/jobs.jsonl" --steps 3 --backend cpu "$@" 2>/dev/null; }
run --output-dir "$work/whole"
for task in 1 2 3; do
    SLURM_ARRAY_TASK_ID=$task SLURM_ARRAY_TASK_MIN=1 SLURM_ARRAY_TASK_COUNT=3 SLURM_CPUS_PER_TASK=2 DEPTH2IMG=$bin \
        MODEL=Examples/demo/model MANIFEST="$work/jobs.jsonl" OUTPUT_DIR="$work/slurm" \
        bash "$sbatch" --steps 3 --backend cpu 2>/dev/null
    JOB_COMPLETION_INDEX=$((task - 1)) DEPTHDIFFUSION_SHARD_COUNT=3 run --output-dir "$work/k8s"
done
for layout in slurm k8s; do
    [ -f "$work/$layout/results-shard-2-of-3.jsonl" ] || fail "$layout: no results file of shard 2/3"
    diff <(cd "$work/whole" && ls ./*.png) <(cd "$work/$layout" && ls ./*.png) || fail "$layout: other outputs"
    for png in "$work"/whole/*.png; do cmp "$png" "$work/$layout/$(basename "$png")" || fail "$layout: $(basename "$png") differs"; done
done
echo "check-deploy: Kubernetes Job, Slurm script and shard environments OK"
