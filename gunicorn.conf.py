"""gunicorn settings for production: `gunicorn -c gunicorn.conf.py` (gunicorn also reads
this file on its own when started from this directory). Command-line options win.

Environment: WEB_CONCURRENCY (worker processes; default 1 per CPU, at least 2), GUNICORN_CMD_ARGS
(any other option, e.g. "--bind 0.0.0.0:8000"), COMMENTSVC_LOG_FORMAT (text or json,
the app's setting: gunicorn's own lines use the same format), GUNICORN_ACCESS_LOG=on
(access lines; off by default: behind nginx, whose log has the same request ids, they
only cost time).

Workers: sync. Measured with `bash bench/run.sh` on 2 CPUs (README, "Deploy"): sync
answered the anonymous JSON list of a 200-comment thread at 5,252 req/s where gthread
with 2 threads answered 3,191, with a lower p99 on the hot reads. Access lines halved that
list's rate (1,979 req/s with them on). GUNICORN_CMD_ARGS="-k gthread --threads 2"
switches, e.g. where requests wait long on a remote PostgreSQL. One worker per CPU: on 2
CPUs, 4 workers answered a signed-in reader's page of that thread at 400-430 req/s where 2
answered 500-660 (SQLite; PostgreSQL on the same machine 330-345 against 340-450), and 3
no better than 2: a worker per CPU keeps its caches warm and the CPUs busy. At least 2, so
that one slow request never holds up every other.
"""

from __future__ import annotations

import gc
import os
from typing import Any

from gunicorn.glogging import Logger

from commentsvc.core import metrics
from commentsvc.core.extensions import forget_connections_after_fork
from commentsvc.core.logs import logging_config

wsgi_app = "wsgi:app"
bind = ["127.0.0.1:8000"]

try:
    _cpus = len(os.sched_getaffinity(0))
except AttributeError:  # not Linux
    _cpus = os.cpu_count() or 1
workers = int(os.environ.get("WEB_CONCURRENCY", max(2, _cpus)))
worker_class = "sync"

# The app is loaded once, in the master, before workers fork: less memory per worker, a
# broken configuration stops the start, and a worker restart is only a fork. Database
# connections are not shared across the fork (post_fork). A code upgrade therefore needs
# a restart, not a reload (HUP re-forks the old code).
preload_app = True

# A worker silent this long is killed (the slowest page takes about a second under load).
timeout = 30
# On stop or restart, requests in progress get this long to finish.
graceful_timeout = 30
# With gthread workers: idle keep-alive connections from the proxy (sync closes each one);
# keep the proxy's own idle timeout for its upstream connections shorter (4 s in
# deploy/nginx/commentsvc.conf).
keepalive = 5
# Recycle workers now and then against slow leaks; the jitter keeps them from restarting
# together. High, since each worker's page cache starts empty again.
max_requests = 50_000
max_requests_jitter = 5_000

# Heartbeat files in memory, not on a disk that may stall (or be read-only).
if os.path.isdir("/dev/shm"):  # noqa: S108 -- gunicorn's own advice; files it makes itself
    worker_tmp_dir = "/dev/shm"  # noqa: S108

# No control socket (gunicorn >= 25 makes one in $HOME, which the service may not write).
control_socket_disable = True

# Access lines on stdout, everything else on stderr, all in COMMENTSVC_LOG_FORMAT. Each
# line names its request (the X-Request-Id the response carried).
accesslog = "-"
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(M)sms "%(f)s" "%(a)s"'
logconfig_dict = logging_config(os.environ.get("COMMENTSVC_LOG_FORMAT", "text").strip('"'))


class WithoutAccessLines(Logger):
    """gunicorn's logger, less the access lines (each costs about 40 us of the worker's
    time, more than a kept page itself)."""

    def access(self, *args: Any, **kwargs: Any) -> None:
        return None


if os.environ.get("GUNICORN_ACCESS_LOG", "off").lower() not in ("on", "1", "true", "yes"):
    logger_class = WithoutAccessLines


# The app loaded in the master (preload_app) lives as long as the workers. Frozen before
# each fork, its objects are left out of the workers' garbage collections: a worker's
# full collection then walks what the worker made, not the whole app (it stopped a
# worker for about 170 ms every few seconds under load), and the memory pages the workers
# share with the master stay shared.
def when_ready(server: Any) -> None:
    gc.collect()


def pre_fork(server: Any, worker: Any) -> None:
    gc.freeze()


def post_fork(server: Any, worker: Any) -> None:
    if server.cfg.preload_app:
        forget_connections_after_fork(server.app.wsgi())


# Metrics with PROMETHEUS_MULTIPROC_DIR set (README, "Metrics"): every worker writes its
# counts there and a scrape sums them; start empty, and drop a dead worker's gauges.
def on_starting(server: Any) -> None:
    metrics.on_starting(server)


def child_exit(server: Any, worker: Any) -> None:
    metrics.child_exit(server, worker)
