#!/usr/bin/env bash
# Installs the Debian packages Rivulet needs to build, run and test, skipping those already
# there (as root, or through sudo), then the npm packages of the Node.js client tests.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)

packages=(
    # build; rsvg-convert renders the application icon
    cmake ninja-build g++ make pkg-config qt6-base-dev librsvg2-bin
    # make package: dpkg-shlibdeps finds the .deb's dependencies
    dpkg-dev
    # the fuzz harnesses (build-fuzz/): clang with libFuzzer and the sanitizer runtimes
    clang libclang-rt-14-dev
    # Kafka batch codecs, decoded for display and for native consumers
    zlib1g-dev libsnappy-dev liblz4-dev libzstd-dev
    # rivulet-cli export/import talk the Kafka protocol through librdkafka (C API)
    librdkafka-dev
    # rivulet-cli tls init makes certificates with OpenSSL's libcrypto
    libssl-dev
    # tests: the spec client, the window offscreen and under Xvfb
    python3 xvfb xauth
    # tests: the .desktop file and the AppStream metainfo validate
    desktop-file-utils appstream
    # make bench: Redis Streams, the peer measured in the same run
    redis-server redis-tools
    # Kafka clients for the kafka tests
    kcat python3-kafka python3-confluent-kafka
    # kafka-python's zstd codec
    python3-zstandard
)
# kafkajs and @platformatic/kafka run on Node.js: Debian's, unless the machine already has a
# node and npm (@platformatic/kafka 1.35 needs Node.js 20.19.4 or later)
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
    packages+=(nodejs npm)
fi

# A Node.js client test's npm packages, pinned by its package-lock.json and installed next
# to it: install_npm_test DIR (under tests/kafka). Skipped when every dependency in its
# package.json is in node_modules and the lockfile is no newer than the last install.
install_npm_test() {
    local dir=$root/tests/kafka/$1 dep installed=yes
    for dep in $(cd "$dir" && node -p 'Object.keys(require("./package.json").dependencies).join(" ")'); do
        [ -f "$dir/node_modules/$dep/package.json" ] || installed=no
    done
    if [ $installed = yes ] &&
        [ ! "$dir/package-lock.json" -nt "$dir/node_modules/.package-lock.json" ]; then
        return 0
    fi
    echo "setup: installing the npm packages of tests/kafka/$1 (npm ci)"
    (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
}

install_npm_tests() {
    install_npm_test kafkajs
    install_npm_test platformatic
}

missing=()
for p in "${packages[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing+=("$p")
    fi
done
if [ ${#missing[@]} -eq 0 ]; then
    install_npm_tests
    exit 0
fi

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
install_npm_tests
