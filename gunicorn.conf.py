"""gunicorn's settings for the production server (README "Production"; issue 18's measurements).

gunicorn reads this file from the directory it starts in (or ``-c gunicorn.conf.py``). Each value
can be changed by the environment variable named beside it; the figures that chose the defaults
are in the README's "Load" section (`make bench-load`).
"""

from __future__ import annotations

import os

# Where to listen: loopback behind the TLS reverse proxy.
bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
# Worker processes (gunicorn's own WEB_CONCURRENCY), each with GUNICORN_THREADS threads: threads
# overlap one request's database waits with another's Python work, processes use the cores.
workers = int(os.environ.get("WEB_CONCURRENCY", "3"))
worker_class = os.environ.get("GUNICORN_WORKER_CLASS", "gthread")
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
# Shedding what cannot be served in time: connections waiting to be accepted are bounded (the
# kernel refuses more at once, which a load balancer sends elsewhere), and a worker that has not
# answered for GUNICORN_TIMEOUT seconds is restarted. Requests that waited in a queue longer than
# REQUEST_QUEUE_TIMEOUT are answered 503 at once (lms.middleware.QueueTimeMiddleware).
backlog = int(os.environ.get("GUNICORN_BACKLOG", "256"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
graceful_timeout = 30
keepalive = 5
# Workers replaced after this many requests (with jitter), to bound a slow growth of memory: off
# (0) by default, as a replaced worker drops the kept-alive connections its clients are about to
# reuse ("Remote end closed connection": 4 failed requests in the 2,000-learner run with 5,000) and
# the workers' memory stayed flat (about 300 MiB each) over the load bench.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "0"))
max_requests_jitter = max_requests // 10
# The heartbeat file on memory, not disk (a busy disk must not make gunicorn think a worker hung).
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None
# The application is imported once, before the workers are forked: less memory, faster restarts.
# Database connections (and their pool) are opened in each worker, never before the fork.
preload_app = True
accesslog = os.environ.get("GUNICORN_ACCESSLOG") or None
# gunicorn's control socket (gunicornc) lives at one path per user by default, so a second server on
# the machine takes it over and removes it when it stops: off, as nothing here uses it.
control_socket_disable = True


def when_ready(server):
    """In the master, after the application is loaded and before the workers fork: what each
    worker would otherwise do on its first requests (lms.warmup), done once for all of them."""
    from lms.warmup import warm_up

    took = warm_up()
    server.log.info("warmed up: " + ", ".join(f"{name} {seconds:.2f} s" for name, seconds in took.items()))
