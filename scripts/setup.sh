#!/usr/bin/env bash
# Installs what sm4 needs from Debian 12's packages (as root, or through sudo), then configures and
# builds the sm4 binary (release) in build/. Safe to run again: it installs only what is missing and
# rebuilds only what changed. --no-build: install and configure only.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
  # toolchain and build
  g++ meson ninja-build pkg-config git
  # libraries: LibTorch (CPU) with OpenBLAS, which makes its matrix products ~50x faster than
  # the reference BLAS it links by default
  libtorch-dev libopenblas0-pthread
  # the headers of Gloo, which LibTorch's c10d (data-parallel training) includes
  libgloo-dev
  libcli11-dev libtomlplusplus-dev libfmt-dev libsqlite3-dev libhdf5-dev zlib1g-dev catch2
  # images: ENRICO's JPEG screenshots and PNG wireframes in, `sm4 report`'s PNG plots out
  libjpeg-dev libpng-dev
  libespeak-ng-dev espeak-ng-data
  # the bundled real data (minibench)
  dataset-fashion-mnist python3-sklearn
  # what users and the tests read results with
  sqlite3 python3-h5py python3-numpy
)

missing=()
for p in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  [[ "$status" == "install ok installed" ]] || missing+=("$p")
done

if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  if [[ $(id -u) -eq 0 ]]; then sudo=(); elif command -v sudo >/dev/null; then sudo=(sudo); else
    echo "setup: these packages are missing and this user cannot install them: ${missing[*]}" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  "${sudo[@]}" apt-get update -q
  "${sudo[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

if [[ ! -f build/build.ninja ]]; then
  meson setup build --buildtype=release
fi
if [[ "${1:-}" == "--no-build" ]]; then exit 0; fi
# The sm4 binary only: scripts/test.sh builds the tests.
ninja -C build sm4
echo "setup: built $(pwd)/build/sm4"
