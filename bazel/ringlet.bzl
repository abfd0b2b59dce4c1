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
