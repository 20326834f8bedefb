#!/usr/bin/env bash
# Installs the Debian packages Rivulet needs to build, run and test, skipping those already
# there. Runs as root, or through sudo.
set -euo pipefail

packages=(
    # build
    cmake ninja-build g++ make pkg-config qt6-base-dev
    # Kafka batch codecs, decoded for display and for native consumers
    zlib1g-dev libsnappy-dev liblz4-dev libzstd-dev
    # tests: the spec client, the window offscreen and under Xvfb
    python3 xvfb xauth
    # make bench: Redis Streams, the peer measured in the same run
    redis-server redis-tools
    # Kafka clients for the kafka tests
    kcat python3-kafka python3-confluent-kafka
)

missing=()
for p in "${packages[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing+=("$p")
    fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

sudo=""
if [ "$(id -u)" -ne 0 ]; then
    if ! command -v sudo >/dev/null; then
        echo "setup: these packages are missing and I am not root (and there is no sudo):" >&2
        echo "  ${missing[*]}" >&2
        echo "Install them with: apt-get install ${missing[*]}" >&2
        exit 1
    fi
    sudo=sudo
fi
echo "setup: installing ${missing[*]}"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
