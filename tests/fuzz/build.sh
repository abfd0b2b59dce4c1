#!/bin/sh
# Builds the libFuzzer targets with clang 14 outside Bazel (Bazel's toolchain
# here is gcc; libFuzzer needs clang). Usage: tests/fuzz/build.sh [OUT_DIR]
# (default /tmp/ringlet-fuzz). See tests/fuzz/README.md.
set -eu
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
OUT=${1:-/tmp/ringlet-fuzz}
mkdir -p "$OUT"
CXX=${CXX:-clang++-14}
FLAGS="-std=c++20 -O1 -g -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined -I$ROOT"
ABSL="-labsl_statusor -labsl_status -labsl_cord -labsl_cord_internal -labsl_cordz_info \
  -labsl_cordz_handle -labsl_cordz_functions -labsl_exponential_biased -labsl_synchronization \
  -labsl_graphcycles_internal -labsl_stacktrace -labsl_symbolize -labsl_debugging_internal \
  -labsl_demangle_internal -labsl_malloc_internal -labsl_time -labsl_civil_time \
  -labsl_time_zone -labsl_str_format_internal -labsl_strings -labsl_strings_internal \
  -labsl_int128 -labsl_throw_delegate -labsl_bad_optional_access -labsl_base \
  -labsl_raw_logging_internal -labsl_log_severity -labsl_spinlock_wait -lpthread"
XML="$ROOT/xmpp/xml/tokenizer.cc $ROOT/xmpp/xml/entities.cc $ROOT/xmpp/xml/namespaces.cc \
  $ROOT/xmpp/xml/limits.cc $ROOT/xmpp/xml/stream_error.cc $ROOT/core/check.cc"
STANZA="$ROOT/xmpp/xml/stanza.cc $ROOT/xmpp/xml/serializer.cc $ROOT/xmpp/xml/forwarder.cc \
  $ROOT/xmpp/jid/jid.cc"

build() {
  name=$1; shift
  echo "building $OUT/$name"
  # shellcheck disable=SC2086
  $CXX $FLAGS -o "$OUT/$name" "$@" $ABSL
}

build xml_expat_differential_fuzz "$ROOT/tests/fuzz/xml_expat_differential_fuzz.cc" $XML -lexpat
if [ -f "$ROOT/xmpp/xml/stanza.cc" ]; then
  build xml_stanza_fuzz "$ROOT/tests/fuzz/xml_stanza_fuzz.cc" $XML $STANZA
  build jid_fuzz "$ROOT/tests/fuzz/jid_fuzz.cc" $ROOT/xmpp/jid/jid.cc $ROOT/core/check.cc
fi
