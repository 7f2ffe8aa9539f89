#!/usr/bin/env bash
# Sets up if needed, builds, runs every test. The last line is "N passed, N failed" (test cases);
# the exit status is non-zero when anything failed.
set -uo pipefail
cd "$(dirname "$0")/.."

if ! ./scripts/setup.sh; then
  echo "test: setup or build failed"
  echo "0 passed, 1 failed"
  exit 1
fi

log=$(mktemp)
trap 'rm -f "$log"' EXIT
SM4_NO_PROGRESS=1 ./build/tests/sm4_tests "$@" 2>&1 | tee "$log"
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
