"""Fixtures of the interaction kernel's tests: both implementations, and benchmarks that only measure when asked."""

from __future__ import annotations

import importlib
from types import ModuleType

import pytest
from pytest_benchmark.fixture import BenchmarkFixture


def native_kernel() -> ModuleType | None:
    """The Cython kernel, or None when it is not built (a checkout without a compiler)."""
    try:
        return importlib.import_module("native.cdss_kernel")
    except ImportError:
        return None


NOT_BUILT = "the Cython extension native.cdss_kernel is not built (pip install -e . compiles it)"


@pytest.fixture(params=["twin", "native"])
def kernel_module(request: pytest.FixtureRequest) -> ModuleType:
    """Each implementation of the interaction kernel in turn (the native one skipped when not built)."""
    if request.param == "twin":
        return importlib.import_module("perf.cdss_kernel")
    module = native_kernel()
    if module is None:
        pytest.skip(NOT_BUILT)
    return module


def _benchmarks_asked_for(config: pytest.Config) -> bool:
    return any(
        config.getoption(option, default=None)
        for option in ("benchmark_only", "benchmark_enable", "benchmark_json", "benchmark_autosave", "benchmark_save")
    )


@pytest.fixture
def benchmark(benchmark: BenchmarkFixture, request: pytest.FixtureRequest) -> BenchmarkFixture:
    """pytest-benchmark's fixture, measuring only when asked (--benchmark-only, make bench-cdss).

    In the ordinary suite a benchmark runs its function once, as a plain test: `--benchmark-disable` without typing it.
    """
    if not _benchmarks_asked_for(request.config):
        benchmark.disabled = True
    return benchmark
