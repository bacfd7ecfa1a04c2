"""Loopback ports for dev services, and waiting until a broker on one answers."""

from __future__ import annotations

import socket
import subprocess
import time
from pathlib import Path

from kafka import KafkaAdminClient
from kafka.errors import KafkaError


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until_answering(
    port: int, process: subprocess.Popen[bytes], log_path: Path, timeout_s: float
) -> None:
    """Return once the broker on ``port`` answers a metadata request; fail if it exits first
    or does not answer within ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(
                f"the embedded broker exited with {process.returncode}; see {log_path}"
            )
        try:
            KafkaAdminClient(bootstrap_servers=f"127.0.0.1:{port}", request_timeout_ms=2000).close()
            return
        except KafkaError:
            time.sleep(0.2)
    raise TimeoutError(f"the embedded broker did not answer in {timeout_s} s; see {log_path}")
