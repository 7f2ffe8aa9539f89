#!/usr/bin/env bash
# Checks the -Dtorch_dir build path without a CUDA LibTorch: a LibTorch-shaped folder (Debian's
# headers and libraries, plus stub libtorch_cuda / libc10_cuda) must configure with CUDA on,
# link the CUDA libraries in (they register LibTorch's CUDA kernels at load time, so a linker
# that drops them as unused leaves a build that cannot see the GPU), report "with CUDA", and
# refuse --device cuda clearly when no GPU is usable. A second full build: about 5 minutes on
# 2 cores, so it is not part of scripts/test.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
multiarch=$(gcc -print-multiarch)
mkdir -p "$work/libtorch/lib" "$work/libtorch/include"
for name in torch torch_cpu c10; do ln -s "/usr/lib/$multiarch/lib$name.so" "$work/libtorch/lib/lib$name.so"; done
for dir in ATen c10 torch caffe2; do ln -s "/usr/include/$dir" "$work/libtorch/include/$dir"; done
echo 'void sm4_stub_cuda(void) {}' > "$work/stub.c"
for name in torch_cuda c10_cuda; do gcc -shared -fPIC "$work/stub.c" -o "$work/libtorch/lib/lib$name.so"; done

meson setup "$work/build" -Dtorch_dir="$work/libtorch" -Dtests=false > "$work/setup.log"
grep -q "CUDA kernels: True" "$work/setup.log" || { echo "check-torch-dir: meson did not turn CUDA on" >&2; exit 1; }
ninja -C "$work/build" sm4 > "$work/build.log"
for name in torch_cuda c10_cuda; do
    readelf -d "$work/build/sm4" | grep -q "NEEDED.*lib$name.so" ||
        { echo "check-torch-dir: sm4 does not load lib$name.so (dropped at link time)" >&2; exit 1; }
done
"$work/build/sm4" --version | grep -q "(with CUDA)" || { echo "check-torch-dir: --version does not say 'with CUDA'" >&2; exit 1; }
if message=$("$work/build/sm4" bench --device cuda --grid tiny 2>&1); then
    echo "check-torch-dir: bench --device cuda ran without a GPU" >&2
    exit 1
fi
grep -q "no CUDA device is usable" <<< "$message" || { echo "check-torch-dir: unexpected error: $message" >&2; exit 1; }
echo "check-torch-dir: ok (CUDA on, libtorch_cuda and libc10_cuda linked, --device cuda refused without a GPU)"
