"""gunicorn's settings for the portal: ``gunicorn -c config/gunicorn.py config.wsgi``.

Threaded workers (gthread): a request spends much of its time waiting for PostgreSQL (and,
for a QR scan, for the commit to reach the disk); other threads of the same worker run
meanwhile, and kept-alive connections spare a new TCP connection per request. Measured by
``make bench`` (docs/benchmarks.md): QR verification on 2 workers went from 143 to 281
requests/s on the same loaded machine when they became threaded (4 threads).

Each thread keeps its own database connection (CONN_MAX_AGE): workers × threads connections
per web server, within PostgreSQL's max_connections (100 by default).

Environment: WEB_CONCURRENCY (workers, default 2 × CPUs), GUNICORN_THREADS (default 4),
GUNICORN_TIMEOUT (seconds, default 60), PORT / GUNICORN_BIND.
"""

import multiprocessing
import os

workers = int(os.environ.get("WEB_CONCURRENCY") or 2 * multiprocessing.cpu_count())
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS") or 4)
timeout = int(os.environ.get("GUNICORN_TIMEOUT") or 60)
keepalive = 5
bind = os.environ.get("GUNICORN_BIND") or f"0.0.0.0:{os.environ.get('PORT') or 8000}"
