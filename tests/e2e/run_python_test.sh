#!/usr/bin/env bash
# Runs an end-to-end test script with Debian's Python (which is the one that
# sees python3-slixmpp), whatever python3 comes first on PATH.
set -euo pipefail
exec /usr/bin/python3 "$@"
