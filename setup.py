"""Builds the native kernels (Cython); everything else about the package is in pyproject.toml.

The extension is optional: without a C compiler the install still succeeds and `perf` falls back to the pure-Python
twins (same results, slower). CI must have it: tests/perf/test_cdss_kernel.py fails when CI=true and it is missing.
"""

from Cython.Build import cythonize
from setuptools import Extension, setup

setup(
    ext_modules=cythonize(
        [
            Extension(
                "native.cdss_kernel",
                ["native/cdss_kernel.pyx"],
                extra_compile_args=["-O3"],
                optional=True,
            )
        ],
        compiler_directives={"language_level": "3"},
    ),
)
