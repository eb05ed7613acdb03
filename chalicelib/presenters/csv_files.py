"""Reports as CSV downloads: one way to write them, so that a spreadsheet opens every one with its
accents right."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence

BYTE_ORDER_MARK = "\ufeff"


def csv_text(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """A CSV document: a byte order mark, the header, one line per row, CRLF line ends, fields
    quoted where they need it; None is an empty field."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow(header)
    for row in rows:
        writer.writerow(["" if value is None else value for value in row])
    return BYTE_ORDER_MARK + out.getvalue()
