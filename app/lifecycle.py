"""Draining: the flag that turns /readyz to 503 while a node is being stopped.

gunicorn.conf.py imports this module in the master before it forks its workers, so the
flag lives in memory the master and every worker share: when the master gets TERM it sets
the flag, the balancer's next health check sees 503 and stops sending new requests, and
only after the drain period does gunicorn stop its workers (each finishing what it has in
flight). In a process without gunicorn (tests, `flask run`) it is a plain local flag.
"""

from __future__ import annotations

import multiprocessing

_draining = multiprocessing.RawValue("b", 0)


def start_draining() -> None:
    _draining.value = 1


def stop_draining() -> None:
    _draining.value = 0


def draining() -> bool:
    return bool(_draining.value)
