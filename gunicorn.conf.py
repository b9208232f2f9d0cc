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

workers = int(os.environ.get("WEB_CONCURRENCY", "3"))
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
worker_class = "gthread"
timeout = 30
graceful_timeout = 10
accesslog = "-" if os.environ.get("ACCESS_LOG") else None
