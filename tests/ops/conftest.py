"""Helpers for the operations tests: counter values and captured JSON log lines."""

from __future__ import annotations

import io
import json
import logging
import socket

import pytest
from prometheus_client import REGISTRY


def sample(name: str, **labels: str) -> float:
    """A metric's current value in this process (0 when never counted)."""
    return REGISTRY.get_sample_value(name, labels) or 0.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class CapturedLog:
    def __init__(self, stream: io.StringIO):
        self.stream = stream

    @property
    def text(self) -> str:
        return self.stream.getvalue()

    def lines(self) -> list[dict]:
        return [json.loads(line) for line in self.text.splitlines() if line.strip()]

    def requests(self) -> list[dict]:
        return [e for e in self.lines() if e["logger"] == "app.request"]


@pytest.fixture
def captured_log():
    """Every record of the run, as the service writes it (JSON lines), DEBUG and up."""
    from app.request_log import JsonFormatter

    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    yield CapturedLog(stream)
    root.removeHandler(handler)
    root.setLevel(level)


@pytest.fixture
def behind_balancer(make_app):
    """The app as deployed behind one proxy that appends X-Forwarded-For."""
    return make_app({"FORWARDED_FOR_HOPS": 1})
