"""CSV files streamed row by row, so memory stays bounded whatever their length."""

import csv
from collections.abc import Iterable, Iterator

from django.http import StreamingHttpResponse

# A cell that spreadsheet software would read as a formula (CSV injection, OWASP): such text
# is prefixed with an apostrophe so that Excel shows it instead of evaluating it.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


class _Line:
    """csv.writer wants a file; this one hands back what it was given."""

    def write(self, value: str) -> str:
        return value


def safe_cell(value) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def csv_lines(header: list[str], rows: Iterable[list]) -> Iterator[bytes]:
    """UTF-8 lines with a byte-order mark first, so that Excel on Windows opens the Chinese
    text correctly."""
    writer = csv.writer(_Line())
    yield ("\ufeff" + writer.writerow(header)).encode("utf-8")
    for row in rows:
        yield writer.writerow([safe_cell(cell) for cell in row]).encode("utf-8")


def csv_response(filename: str, header: list[str], rows: Iterable[list]) -> StreamingHttpResponse:
    """A streamed CSV download, never cached (it may carry masked personal data)."""
    response = StreamingHttpResponse(
        csv_lines(header, rows), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response
