#!/usr/bin/env bash
# Installs every Debian package that ringlet's build, tests and benchmarks
# need. Idempotent, and fast when everything is already there (it asks dpkg
# before it asks apt). Run as root (or with sudo available).
set -euo pipefail

packages=(
  # build
  bazel-bootstrap bazel-platforms g++
  # libraries
  liburing-dev android-libboringssl-dev librapidxml-dev libabsl-dev
  librocksdb-dev libexpat1-dev libicu-dev libgtest-dev libgmock-dev libbenchmark-dev
  # fuzzing
  clang libclang-rt-14-dev
  # end-to-end and interop tests
  python3 python3-slixmpp
)

missing=()
for package in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$package")
  fi
done

# Node.js and npm run the xmpp.js interop test (the client itself comes from
# the npm registry at test time). Machines that already have a Node.js of
# their own (which conflicts with Debian's npm) keep it.
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  for package in nodejs npm; do
    if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
      missing+=("$package")
    fi
  done
fi

if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: all ${#packages[@]} packages present"
  exit 0
fi

echo "setup: installing ${missing[*]}"
sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then sudo_cmd=(sudo); fi
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -q
"${sudo_cmd[@]}" apt-get install -y -q "${missing[@]}"
echo "setup: done"
