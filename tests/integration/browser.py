"""Real headless Chromium (Debian's build and its chromedriver) and `churnwatch console` as a
child process, for the console's integration tests."""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Self

import httpx
import pytest
from pydantic import SecretStr

from streams.dev.runner import CommandProcess
from streams.dev.sockets import free_port
from streams.settings import Settings

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"


def require_chromium() -> None:
    """Chromium and its driver, or a failure under CI (which installs them) and a skip elsewhere."""
    missing = [p for p in (CHROMIUM, CHROMEDRIVER) if not Path(p).exists()]
    if missing:
        why = f"{', '.join(missing)} missing: apt-get install chromium chromium-driver"
        if os.environ.get("CI"):
            pytest.fail(why)
        pytest.skip(why)


@contextmanager
def chromium() -> Iterator[object]:
    """A fresh browser session (its own profile: no cookies or cache shared with another)."""
    require_chromium()
    os.environ.setdefault("SE_OFFLINE", "true")  # Selenium Manager must not download a driver
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    profile = tempfile.mkdtemp(prefix="churnwatch-chromium-")
    for argument in (
        "--headless=new",
        "--no-sandbox",
        "--disable-dev-shm-usage",
        "--window-size=1500,1000",
        f"--user-data-dir={profile}",
    ):
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def wait_for(condition: Callable[[], object], timeout_s: float = 20.0, what: str = "") -> object:
    deadline = time.monotonic() + timeout_s
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout_s} s: {what}")
        time.sleep(0.1)


class ConsoleProcess(CommandProcess):
    """`churnwatch console` on the given settings, on a loopback port of its own."""

    def __init__(self, settings: Settings, host: str = "127.0.0.1", token: str | None = None):
        self.port = free_port()
        bound = {
            "console_host": host,
            "console_port": self.port,
            "console_token": SecretStr(token) if token else None,
        }
        super().__init__(settings.model_copy(update=bound), "console")
        self.url = f"http://127.0.0.1:{self.port}"

    def start(self, headers: dict[str, str] | None = None) -> Self:
        super().start()
        wait_for(
            lambda: self._caught_up(headers),
            60,
            f"the console to read the topics: {self.log_tail()}",
        )
        return self

    def _caught_up(self, headers: dict[str, str] | None) -> bool:
        assert self.is_running(), self.log_tail()
        try:
            return bool(httpx.get(f"{self.url}/health", headers=headers).json()["caught_up"])
        except (httpx.HTTPError, ValueError, KeyError):
            return False
