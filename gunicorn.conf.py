"""gunicorn settings for `make run` and `make bench` (measurements in BENCHMARKS.md).

Worker class gthread, 3 workers x 4 threads on this 2-core machine, chosen with
`make bench`-style runs (bench.run --workers N --worker-class K, 16 connections):
- sync workers served 2-3x fewer requests on every scenario (JSON baseline ~650-940
  req/s against ~2000-2900, logging ~13-22 against ~50-90): a sync worker is idle
  while PostgreSQL or Redis answers and closes the connection after each response.
- gthread 2, 3 and 4 workers of 4 threads were within the run-to-run noise of a
  shared machine; 3 (cores + 1) keeps a process free to run Python while the others
  wait on the database, without the extra memory and context switches of 4 or more
  on 2 cores; 4 threads overlap a request's waits on PostgreSQL and Redis.
WEB_CONCURRENCY and GUNICORN_THREADS override both for another machine.
"""

import os
import time

workers = int(os.environ.get("WEB_CONCURRENCY", "3"))
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
worker_class = "gthread"
# No control socket: its default path is per user, so two nodes on one machine would share it.
control_socket_disable = True
timeout = 30
graceful_timeout = 10
# The application logs one JSON line per request (app/request_log.py); gunicorn's own
# access log, when ACCESS_LOG is set, names the path without its query string.
accesslog = "-" if os.environ.get("ACCESS_LOG") else None
access_log_format = '%(h)s "%(m)s %(U)s" %(s)s %(B)s %(M)sms %({x-request-id}o)s'

# --- metrics, readiness and shutdown (README "Operations") ------------------------------------
# On TERM: /readyz answers 503 for this many seconds (the balancer's checks see it and stop
# sending), then gunicorn stops: listeners close and each worker finishes its requests in
# flight within graceful_timeout. INT and QUIT still stop at once.
DRAIN_SECONDS = float(os.environ.get("READINESS_DRAIN_SECONDS", "5"))
_OWN_METRICS_DIR = False


def on_starting(server):
    """In the master, before any worker: refuse a bad configuration with one line per setting,
    start with empty metric files, and drain before stopping on TERM."""
    import sys

    from app.config import ConfigError, load_config

    try:
        load_config(os.path.join(os.getcwd(), "instance"))
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        sys.exit(1)
    _metrics_directory()
    _drain_before_term(server)


def _metrics_directory():
    """Prometheus multiprocess mode: each worker writes its figures under this directory and
    a scrape adds them up. Set here, in the master before any worker imports
    prometheus_client; a directory given by the operator is emptied of a previous run."""
    import glob
    import tempfile

    global _OWN_METRICS_DIR
    if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="lc-metrics-")
        _OWN_METRICS_DIR = True
    for stale in glob.glob(os.path.join(os.environ["PROMETHEUS_MULTIPROC_DIR"], "*.db")):
        os.remove(stale)


def _drain_before_term(server):
    from app.lifecycle import draining, start_draining

    stop = server.handle_term

    def drain_then_stop():
        if DRAIN_SECONDS > 0 and not draining():
            start_draining()  # shared with the workers: their /readyz answers 503 now
            server.log.info("TERM: /readyz answers 503 for %.1f s, then stopping", DRAIN_SECONDS)
            time.sleep(DRAIN_SECONDS)
        stop()

    server.handle_term = drain_then_stop


def child_exit(server, worker):
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)  # its live gauges no longer count


def on_exit(server):
    if _OWN_METRICS_DIR:
        import shutil

        shutil.rmtree(os.environ["PROMETHEUS_MULTIPROC_DIR"], ignore_errors=True)
