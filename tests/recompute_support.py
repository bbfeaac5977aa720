"""After a calendar change the deadlines are recomputed in the background (services.recompute):
tests that need the result run what the worker would."""

from datetime import timedelta


def run_recomputes() -> int:
    """Run every pending deadline recomputation to its end, as the worker would; return how
    many ran."""
    from services.recompute import recomputes_retry

    return recomputes_retry(grace=timedelta(0), seconds=None)
