#!/bin/sh
# Fuzzes the torch.save checkpoint reader with libFuzzer and AddressSanitizer.
#
#   Scripts/fuzz/fuzz-checkpoint.sh pickle|checkpoint [SECONDS]     (default 300 s)
#
# Builds the reader's sources (Sources/DepthDiffusion/Weights/PyTorch plus the dtype helpers) together with
# an entry point into one fuzzing executable under .build/fuzz/, seeds the corpus with the committed
# checkpoints (and their data.pkl streams for the pickle target) and runs for SECONDS. Crashing inputs are
# written to .build/fuzz/<target>/crashes/.
set -eu
target=${1:?usage: fuzz-checkpoint.sh pickle|checkpoint [SECONDS]}
seconds=${2:-300}
root=$(cd "$(dirname "$0")/../.." && pwd)
out="$root/.build/fuzz/$target"
mkdir -p "$out/corpus" "$out/crashes"
src="$root/Sources/DepthDiffusion/Weights"
case $target in
    pickle) entry=FuzzPickle.swift; sources="$src/PyTorch/PickleValue.swift $src/PyTorch/PickleError.swift $src/PyTorch/PickleReader.swift $src/SafeTensorsDType.swift" ;;
    checkpoint) entry=FuzzCheckpoint.swift; sources="$src/PyTorch/*.swift $src/SafeTensorsDType.swift $src/Float16Conversion.swift" ;;
    *) echo "unknown target $target (pickle or checkpoint)" >&2; exit 2 ;;
esac
# The fuzzing build has no WeightSource protocol; the conformance lives in its own file.
files=$(ls $sources | grep -v '+WeightSource.swift')
swiftc -O -sanitize=fuzzer,address -parse-as-library -module-name FuzzTarget $files "$root/Scripts/fuzz/$entry" -o "$out/fuzz-$target"

fixtures="$root/Tests/DepthDiffusionTests/Fixtures/single_file"
for f in "$fixtures"/tensors.ckpt "$fixtures"/malicious/*.ckpt; do
    if [ "$target" = pickle ]; then
        # The data.pkl record of each archive (torch.save stores it uncompressed).
        python3 -c "import sys, zipfile; z = zipfile.ZipFile(sys.argv[1]); n = [x for x in z.namelist() if x.endswith('/data.pkl')]; n and sys.stdout.buffer.write(z.read(n[0]))" "$f" > "$out/corpus/$(basename "$f").pkl" 2>/dev/null || true
    else
        cp "$f" "$out/corpus/"
    fi
done
cd "$out"
"./fuzz-$target" -max_total_time="$seconds" -max_len=65536 -timeout=10 -rss_limit_mb=2048 -artifact_prefix="$out/crashes/" -print_final_stats=1 corpus
