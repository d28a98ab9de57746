#!/bin/sh
# Fuzzes the parsers of untrusted files with libFuzzer and AddressSanitizer.
#
#   Scripts/fuzz/fuzz.sh TARGET [SECONDS]    run one target (default 300 s)
#   Scripts/fuzz/fuzz.sh all [SECONDS]       run every target in turn; fails if any target crashed
#   Scripts/fuzz/fuzz.sh build               only build the fuzzing executable
#
# Targets: safetensors, safetensors-index, config, tokenizer, tokenizer-json, png, jpeg, depthmap,
# pickle, checkpoint (see Scripts/fuzz/Fuzz*.swift; each file says what its target feeds the input to).
#
# One executable, .build/fuzz/depthdiffusion-fuzz, holds every target: the sources of the DepthDiffusion
# and DepthDiffusionImageIO modules are compiled together as one module with the entry points
# (swiftc -sanitize=fuzzer,address), the C helper targets with clang, and libpng/libturbojpeg are linked.
# DD_FUZZ_TARGET selects the target at run time. Each run starts from the committed seeds in
# Scripts/fuzz/corpus/TARGET/ and keeps what it finds in .build/fuzz/TARGET/corpus/; crashing inputs are
# written to .build/fuzz/TARGET/crashes/. Reproduce one with
#   DD_FUZZ_TARGET=TARGET DD_FUZZ_ROOT=$PWD LSAN_OPTIONS=suppressions=$PWD/Scripts/fuzz/lsan.supp \
#       .build/fuzz/depthdiffusion-fuzz CRASH_FILE
# Extra libFuzzer options can be passed in FUZZ_OPTIONS (e.g. FUZZ_OPTIONS="-jobs=2 -workers=2").
set -eu
targets="safetensors safetensors-index config tokenizer tokenizer-json png jpeg depthmap pickle checkpoint"
target=${1:?usage: fuzz.sh TARGET|all|build [SECONDS]; targets: $targets}
seconds=${2:-300}
root=$(cd "$(dirname "$0")/../.." && pwd)
build="$root/.build/fuzz"
exe="$build/depthdiffusion-fuzz"

build_fuzzer() {
    mkdir -p "$build/modules" "$build/objects"
    # Module maps for the C targets (SwiftPM writes these itself in a package build).
    for module in CRuntimeLibraries CDepthKernels; do
        mkdir -p "$build/modules/$module"
        printf 'module %s {\n    header "%s"\n    export *\n}\n' "$module" \
            "$root/Sources/$module/include/$module.h" > "$build/modules/$module/module.modulemap"
    done
    objects=""
    for c in "$root"/Sources/CRuntimeLibraries/*.c "$root"/Sources/CDepthKernels/*.c; do
        object="$build/objects/$(basename "$(dirname "$c")")-$(basename "$c" .c).o"
        clang -O2 -fsanitize=address,fuzzer-no-link -I"$(dirname "$c")/include" -c "$c" -o "$object"
        objects="$objects $object"
    done
    # ImageIO's `import DepthDiffusion` names the module being built; swiftc ignores it with a warning.
    # The source and object lists are split into words on purpose (repository paths have no spaces).
    # shellcheck disable=SC2046,SC2086
    swiftc -O -sanitize=fuzzer,address -parse-as-library -swift-version 6 -package-name DepthDiffusion -module-name DepthDiffusion \
        -I "$build/modules/CRuntimeLibraries" -I "$build/modules/CDepthKernels" \
        -I "$root/Sources/CPNG" -I "$root/Sources/CTurboJPEG" \
        $(find "$root/Sources/DepthDiffusion" "$root/Sources/DepthDiffusionImageIO" -name '*.swift' | sort) \
        "$root"/Scripts/fuzz/Fuzz*.swift $objects -lpng16 -lturbojpeg -ldl -o "$exe" 2>&1 \
        | grep -v "is part of module 'DepthDiffusion'; ignoring import" | grep -v '^import DepthDiffusion$' \
        | grep -v '^ *\^ *$' | grep -v '^ *[0-9]* | ' | grep -v '^[[:space:]]*$' | grep -v 'Cannot export local symbol' || true
    test -x "$exe"
}

run_target() {
    name=$1
    out="$build/$name"
    mkdir -p "$out/corpus" "$out/crashes"
    test -d "$root/Scripts/fuzz/corpus/$name" || { echo "unknown target $name (targets: $targets)" >&2; exit 2; }
    cd "$out"
    # shellcheck disable=SC2086
    DD_FUZZ_TARGET=$name DD_FUZZ_ROOT=$root LSAN_OPTIONS="suppressions=$root/Scripts/fuzz/lsan.supp" "$exe" -max_total_time="$seconds" -max_len=65536 -timeout=10 \
        -rss_limit_mb=2048 -artifact_prefix="$out/crashes/" -print_final_stats=1 ${FUZZ_OPTIONS:-} \
        corpus "$root/Scripts/fuzz/corpus/$name"
}

case $target in
    build) build_fuzzer ;;
    all)
        build_fuzzer
        failed=""
        for name in $targets; do
            echo "== $name ($seconds s)"
            run_target "$name" > "$build/$name.log" 2>&1 || failed="$failed $name"
            grep -E '^stat::number_of_executed_units|^#[0-9]+.*DONE' "$build/$name.log" | tail -2 || true
        done
        if [ -n "$failed" ]; then
            for name in $failed; do echo "== $name crashed:" >&2; tail -40 "$build/$name.log" >&2; done
            exit 1
        fi ;;
    *)
        test -d "$root/Scripts/fuzz/corpus/$target" || { echo "unknown target $target (targets: $targets)" >&2; exit 2; }
        # Rebuild when a source is newer than the executable.
        if [ ! -x "$exe" ] || [ -n "$(find "$root/Sources" "$root/Scripts/fuzz" -newer "$exe" \
            \( -name '*.swift' -o -name '*.c' -o -name '*.h' -o -name '*.modulemap' \) | head -1)" ]; then
            build_fuzzer
        fi
        run_target "$target" ;;
esac
