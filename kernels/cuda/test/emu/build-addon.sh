#!/usr/bin/env bash
# Builds the N-API addon with LEPTON_WITH_CUDA against the CPU emulator (test tooling only): the
# CUDA backend, its bindings, the host runtime and every kernel then run on a machine with no GPU,
# e.g. LEPTON_NATIVE_PATH=OUT/lepton.node LEPTON_REQUIRE_DEVICES=cpu,cuda npm test -- test/ops
# Usage: kernels/cuda/test/emu/build-addon.sh OUT_DIR   -> OUT_DIR/lepton.node
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../../../.." && pwd)"
out="${1:?usage: build-addon.sh OUT_DIR}"
cuda_inc="${CUDA_INCLUDE:-}"
for c in "${CUDA_PATH:-}/include" /usr/local/cuda/include "$(dirname "$(dirname "$(readlink -f "$(command -v nvcc || true)" 2>/dev/null || true)")")/include"; do
  [ -z "$cuda_inc" ] && [ -f "$c/cuda_runtime.h" ] && cuda_inc="$c"
done
[ -n "$cuda_inc" ] || { echo "no CUDA headers found (set CUDA_INCLUDE)" >&2; exit 3; }
node_inc="${NODE_INCLUDE:-$(node -p "require('path').join(process.execPath, '..', '..', 'include', 'node')")}"
[ -f "$node_inc/node_api.h" ] || node_inc=/usr/include/node
napi_inc="$(cd "$root" && node -p "require('node-addon-api').include_dir")"
mkdir -p "$out/src" "$out/obj"
python3 "$here/translate.py" "$root/kernels/cuda" "$out/src"
common=(-std=c++17 -O1 -U_FORTIFY_SOURCE -fPIC -w -fexceptions -pthread)
emu=(-DLEPTON_CUDA_EMULATION -include "$here/cuda_emu.h" -I"$here" -I"$cuda_inc")
defs=(-DNAPI_VERSION=8 -DNAPI_CPP_EXCEPTIONS -DNODE_ADDON_API_DISABLE_DEPRECATED -DLEPTON_BUILD_SYSTEM='"cuda-emulator"'
      -DLEPTON_WITH_CUDA -DLEPTON_CUDA_ARCHITECTURES='"emulated"' -I"$node_inc" -I"$root/$napi_inc")
objs=()
compile() {  # src obj flags...
  local src="$1" obj="$2"; shift 2
  [ "$obj" -nt "$src" ] || ${CXX:-g++} "${common[@]}" "$@" -c "$src" -o "$obj" &
  objs+=("$obj")
  while [ "$(jobs -rp | wc -l)" -ge "${JOBS:-2}" ]; do wait -n; done
}
for f in "$out"/src/*.cc; do compile "$f" "$out/obj/cuda_$(basename "$f" .cc).o" "${emu[@]}"; done
for f in "$root"/native/*.cc; do compile "$f" "$out/obj/native_$(basename "$f" .cc).o" "${emu[@]}" "${defs[@]}"; done
for f in "$root"/kernels/cpu/*.cc; do
  extra=(); [[ "$f" == *_avx2.cc ]] && extra=(-mavx2 -mfma)
  compile "$f" "$out/obj/cpu_$(basename "$f" .cc).o" "${extra[@]}"
done
compile "$here/cuda_emu.cc" "$out/obj/cuda_emu.o" "${emu[@]}"
wait
${CXX:-g++} -shared -pthread "${objs[@]}" -o "$out/lepton.node"
