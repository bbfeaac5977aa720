"""``python -m bench [all|generate|talents|measure]`` (``make bench`` runs ``all``).

``talents`` adds (or writes again) the talents layer alone (bench/generate_talents.py) on a
benchmark database generated before: it migrates it, replaces the talents' rows, and updates
what var/bench/generated.json says was generated. ``generate`` and ``all`` include it.

Environment: BENCH_N (requests, default 1,000,000), BENCH_DATABASE_URL (default
postgres://postgres@127.0.0.1:5432/bazhou_bench; recreated by ``generate``), BENCH_REDIS_URL
(default redis://127.0.0.1:6379/12, skipped when unreachable), BENCH_ITERATIONS (timed
requests per path, default 30), BENCH_BUDGET (seconds per path before it stops early, default
60), BENCH_EXPORT_TIMEOUT (seconds, default 900), BENCH_QR_SECONDS (default 20),
BENCH_QR_CONNECTIONS (comma-separated runs, default 4,16; the first is judged against the
target), BENCH_REPORT (default docs/benchmarks.md).
"""

import argparse
import os
import sys
import time
from pathlib import Path

from bench import env


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument(
        "step", nargs="?", default="all", choices=["all", "generate", "talents", "measure"]
    )
    args = parser.parse_args(argv)
    chosen = env.configure()
    n = int(os.environ.get("BENCH_N", "1000000"))
    report_path = Path(os.environ.get("BENCH_REPORT") or env.ROOT / "docs" / "benchmarks.md")

    generated = None
    if args.step in ("all", "generate"):
        env.log(f"recreating database {env.database_name(chosen['database_url'])}")
        env.recreate_database(chosen["database_url"])
    import django

    django.setup()
    from django.core.management import call_command

    from bench.generate import generate

    if args.step in ("all", "generate"):
        started = time.monotonic()
        env.log("migrating")
        call_command("migrate", verbosity=0)
        migrate_seconds = time.monotonic() - started
        generated = generate(n)
        generated.seconds = {"migrate": migrate_seconds, **generated.seconds}
        _generate_talents(generated)
        _remember(chosen["var_dir"], generated)
    elif args.step == "talents":
        generated = _recall(chosen["var_dir"])
        env.log("migrating")
        call_command("migrate", verbosity=0)
        _generate_talents(generated)
        if generated is not None:
            _remember(chosen["var_dir"], generated)
    if args.step in ("all", "measure"):
        from bench.measure import Options, measure
        from bench.report import write_report

        options = Options.from_env(var_dir=chosen["var_dir"])
        results = measure(options)
        write_report(
            report_path,
            results,
            generated=generated or _recall(chosen["var_dir"]),
            command=_command(args.step, n),
        )
        env.log(f"report written to {report_path}")
    return 0


def _generate_talents(generated) -> None:
    """The talents layer in SQL, its tables analyzed; counts and seconds into ``generated``."""
    from django.db import connection, transaction

    from bench.generate_talents import TABLES, generate_talents

    started = time.monotonic()
    env.log("talents: profiles, research outputs, liaisons, visits, concerns in SQL")
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL synchronous_commit TO off")
        cursor.execute("SET LOCAL work_mem TO '256MB'")
        written = generate_talents()
    env.log(", ".join(f"  {name}: {count:,}" for name, count in written.items()))
    with connection.cursor() as cursor:
        for table in TABLES:
            cursor.execute(f"VACUUM ANALYZE {table}")
    if generated is not None:
        generated.counts.update({f"talents {name}": count for name, count in written.items()})
        generated.seconds["talents (SQL)"] = time.monotonic() - started


def _command(step: str, n: int) -> str:
    if step == "all":
        return f"make bench BENCH_N={n}"
    return f"BENCH_N={n} .venv/bin/python -m bench {step}"


def _remember(var_dir: Path, generated) -> None:
    """What ``generate`` did, for a later ``measure`` alone (its report states it)."""
    import json

    (var_dir / "generated.json").write_text(json.dumps(generated.as_dict(), default=str))


def _recall(var_dir: Path):
    import json

    from bench.generate import Generated

    path = var_dir / "generated.json"
    return Generated.from_dict(json.loads(path.read_text())) if path.exists() else None


if __name__ == "__main__":
    sys.path.insert(0, str(env.ROOT))
    sys.exit(main())
