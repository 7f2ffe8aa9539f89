#!/usr/bin/env bash
# Sets up if needed, builds, runs every test. The last line is "N passed, N failed" (test cases);
# the exit status is non-zero when anything failed.
#
#   scripts/test.sh [CATCH2 ARGS...]             release build in build/
#   scripts/test.sh --sanitize [CATCH2 ARGS...]  AddressSanitizer + UBSan build in build-asan/
#                                                (every file again: ~40 min to build on 2 cores, the
#                                                suite ~10 min in two shards: docs/reliability.md; not in CI)
set -uo pipefail
cd "$(dirname "$0")/.."

build=build
if [[ "${1:-}" == "--sanitize" ]]; then
  shift
  build=build-asan
  # LibTorch itself is not instrumented; its allocations are still checked when sm4 frees them.
  export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:halt_on_error=1:abort_on_error=0:detect_stack_use_after_return=0}"
  export UBSAN_OPTIONS="${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}"
  export LSAN_OPTIONS="${LSAN_OPTIONS:-suppressions=$(pwd)/tests/sanitize/lsan.supp:print_suppressions=0}"
fi

if ! ./scripts/setup.sh --no-build; then
  echo "test: setup or build failed"
  echo "0 passed, 1 failed"
  exit 1
fi
if [[ "$build" == build-asan && ! -f build-asan/build.ninja ]]; then
  meson setup build-asan --buildtype=debugoptimized -Db_sanitize=address,undefined -Db_lundef=false
fi
if ! ninja -C "$build"; then
  echo "test: build of $build failed"
  echo "0 passed, 1 failed"
  exit 1
fi

log=$(mktemp)
trap 'rm -f "$log"' EXIT
SM4_NO_PROGRESS=1 "./$build/tests/sm4_tests" "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}

passed=0
failed=0
if line=$(grep -E '^All tests passed \(' "$log" | tail -n1) && [[ -n "$line" ]]; then
  passed=$(sed -E 's/.* in ([0-9]+) test case.*/\1/' <<<"$line")
elif line=$(grep -E '^test cases:' "$log" | tail -n1) && [[ -n "$line" ]]; then
  passed=$(grep -oE '[0-9]+ passed' <<<"$line" | grep -oE '[0-9]+' || echo 0)
  failed=$(grep -oE '[0-9]+ failed' <<<"$line" | grep -oE '[0-9]+' || echo 0)
else
  echo "test: the test runner stopped without a summary (exit status $status)"
  failed=1
fi
if ((status != 0 && failed == 0)); then failed=1; fi

echo "$passed passed, $failed failed"
((failed == 0))
