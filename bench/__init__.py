"""The province-scale benchmark (issue 12): ``make bench`` / ``python -m bench``.

- ``bench.env``: the production-like environment the benchmark runs in (its own PostgreSQL
  database, DEBUG off, fixed bench-only secrets) and the database's re-creation;
- ``bench.generate``: the base data through the project's seed functions, then BENCH_N
  requests written in SQL (``INSERT … SELECT … generate_series``), talents by COPY;
- ``bench.measure``: every hot path timed against gunicorn (2 workers), its queries counted
  in-process, the EXPLAIN plans of the hot queries, QR throughput with wrk, exports, the sweep;
- ``bench.report``: ``docs/benchmarks.md``.

It is a tool, not part of the portal: nothing in config, portal, cards or services imports it.
"""
