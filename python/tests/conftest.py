"""Fixtures: one emulated org for the session, and the Rust CLI built by cargo."""

import os
import pathlib

import pytest

import sfdf


@pytest.fixture(scope="session")
def org():
    with sfdf.Emulator(rows=300, seed=11) as emulator:
        yield emulator


@pytest.fixture(scope="session")
def sfdf_bin() -> pathlib.Path:
    """The `sfdf` binary (run_tests.sh builds it and sets SFDF_BIN)."""
    path = os.environ.get("SFDF_BIN")
    if not path:
        pytest.fail("set SFDF_BIN to the sfdf binary (python/run_tests.sh does)")
    return pathlib.Path(path)
