#!/bin/sh
# Installs Mesa's lavapipe (a CPU Vulkan driver) from Debian bookworm-backports, so that
# Dawn (npm `webgpu`) finds a Vulkan adapter on a machine with no GPU. Idempotent; run as root.
# Debian 12's own Mesa (22.x) is too old for Dawn's Vulkan backend; backports has Mesa 25.
set -eu

SRC_DIR=/etc/apt/sources.list.d
BACKPORTS="$SRC_DIR/debian-backports.sources"

if [ ! -f "$BACKPORTS" ]; then
  # Copy the existing Debian source (its mirror and key) and point it at the backports suite.
  BASE="$SRC_DIR/debian.sources"
  if [ ! -f "$BASE" ]; then
    echo "install-mesa: $BASE not found; add a deb822 source for bookworm-backports by hand" >&2
    exit 1
  fi
  # Keep only the first stanza (the main archive, not debian-security).
  awk 'BEGIN{RS=""; ORS="\n\n"} NR==1{print}' "$BASE" \
    | sed -e 's/^Suites:.*/Suites: bookworm-backports/' > "$BACKPORTS"
fi

if ! dpkg-query -W -f='${Version}' mesa-vulkan-drivers 2>/dev/null | grep -q 'bpo'; then
  apt-get update
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends -t bookworm-backports mesa-vulkan-drivers
fi

# Dawn and Mesa want a writable runtime dir; callers should export one, e.g.
#   export XDG_RUNTIME_DIR="${XDG_RUNTIME_DIR:-/tmp/xdg-$(id -u)}"; mkdir -p -m 700 "$XDG_RUNTIME_DIR"
ls /usr/share/vulkan/icd.d/ | grep -q lvp && echo "install-mesa: lavapipe ICD installed"
