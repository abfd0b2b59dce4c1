"""Project macros: the single place to change compiler options.

Every target in the project goes through one of these, so a copt added here
reaches everything, and every benchmark gets a smoke test that runs it
briefly so that benchmarks cannot rot.
"""

RINGLET_COPTS = [
    "-Werror=return-type",
    "-Wno-missing-field-initializers",
]

def ringlet_cc_library(name, copts = [], **kwargs):
    native.cc_library(name = name, copts = RINGLET_COPTS + copts, **kwargs)

def ringlet_cc_binary(name, copts = [], **kwargs):
    native.cc_binary(name = name, copts = RINGLET_COPTS + copts, **kwargs)

def ringlet_cc_test(name, copts = [], deps = [], size = "small", **kwargs):
    native.cc_test(
        name = name,
        copts = RINGLET_COPTS + copts,
        deps = deps + ["@system//:gtest_main"],
        size = size,
        **kwargs
    )

def ringlet_cc_benchmark(name, copts = [], deps = [], tags = [], **kwargs):
    """A Google Benchmark binary plus `<name>_smoke_test`, a short run of it."""
    native.cc_binary(
        name = name,
        copts = RINGLET_COPTS + copts,
        deps = deps + ["@system//:benchmark_main"],
        tags = tags,
        **kwargs
    )
    native.sh_test(
        name = name + "_smoke_test",
        srcs = ["//bazel:benchmark_smoke_test.sh"],
        args = ["$(location :%s)" % name],
        data = [":" + name],
        size = "medium",
        tags = tags + ["benchmark_smoke"],
    )

def ringlet_e2e_test(name, script, size = "medium", data = [], tags = []):
    """An end-to-end test: a Python script (tests/e2e) run with Debian's
    /usr/bin/python3 against the real ringletd and ringletctl binaries.

    Not run under --config=tsan: ringletd links RocksDB and abseil as
    uninstrumented Debian libraries, whose internal locking ThreadSanitizer
    cannot see (it reports their own synchronisation as races)."""
    native.sh_test(
        name = name,
        size = size,
        srcs = ["e2e/run_python_test.sh"],
        args = ["$(location %s)" % script],
        data = data + [
            script,
            "e2e/harness.py",
            "//tools:ringletctl",
            "//xmpp/server:ringletd",
        ],
        tags = tags + ["no_tsan"],
    )
