#!/usr/bin/env bash
# One-command set-up on a fresh Debian 12 machine: system packages for WebGPU on the CPU
# (Mesa lavapipe from bookworm-backports; skipped without root/apt), then npm ci, which
# builds the TypeScript and the native addon.
set -euo pipefail
cd "$(dirname "$0")/.."
if command -v apt-get >/dev/null && [ "$(id -u)" = 0 ]; then
  sh scripts/install-mesa.sh
else
  echo "setup: not root or no apt-get: skipping Mesa (WebGPU tests will skip unless a Vulkan driver exists)"
fi
export ONNXRUNTIME_NODE_INSTALL=skip
npm ci --no-audit --no-fund
