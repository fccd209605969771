#!/usr/bin/env bash
# Builds the kernel checker (kernels/cuda/test/driver.cu) against the CPU emulator: no GPU needed.
# Usage: kernels/cuda/test/emu/build.sh OUT_DIR   -> OUT_DIR/lepton_cuda_check_emu
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
kernels="$(cd "$here/../.." && pwd)"
out="${1:?usage: build.sh OUT_DIR}"
# CUDA's headers (types and fp16/bf16 only; nothing links against the CUDA runtime).
cuda_inc="${CUDA_INCLUDE:-}"
for c in "${CUDA_PATH:-}/include" /usr/local/cuda/include "$(dirname "$(dirname "$(readlink -f "$(command -v nvcc || true)" 2>/dev/null || true)")")/include"; do
  [ -z "$cuda_inc" ] && [ -f "$c/cuda_runtime.h" ] && cuda_inc="$c"
done
[ -n "$cuda_inc" ] || { echo "no CUDA headers found (set CUDA_INCLUDE)" >&2; exit 3; }
mkdir -p "$out/src"
python3 "$here/translate.py" "$kernels" "$out/src"
# -I$here first: its mma.h stands in for CUDA's.
${CXX:-g++} -std=c++17 -O1 -U_FORTIFY_SOURCE -g -w -DLEPTON_CUDA_EMULATION -include "$here/cuda_emu.h" -I"$here" -I"$cuda_inc" \
  "$out"/src/*.cc "$out/src/test/driver.cc" "$here/cuda_emu.cc" -o "$out/lepton_cuda_check_emu"
