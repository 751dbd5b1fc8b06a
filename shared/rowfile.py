"""Reading a table of rows from a CSV or JSON file, for imports from the command line.

CSV: a header row names the columns (UTF-8, with or without a BOM, as spreadsheets save it).
JSON: a list of objects, or ``{"rows": [...]}``. Errors say which file and line.
"""
from __future__ import annotations

import csv
import json
import os


class RowFileError(ValueError):
    pass


def read_rows(path: str) -> list[dict]:
    if not os.path.exists(path):
        raise RowFileError(f"{path}: no such file")
    kind = os.path.splitext(path)[1].lower()
    if kind == ".json":
        return _json_rows(path)
    if kind in (".csv", ".txt"):
        return _csv_rows(path)
    raise RowFileError(f"{path}: give a .csv or .json file")


def _json_rows(path: str) -> list[dict]:
    try:
        with open(path, encoding="utf-8-sig") as fh:
            data = json.load(fh)
    except (ValueError, UnicodeDecodeError) as error:
        raise RowFileError(f"{path}: not valid JSON ({error})") from None
    rows = data.get("rows") if isinstance(data, dict) else data
    if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
        raise RowFileError(f"{path}: expected a list of objects (or {{\"rows\": [...]}})")
    return rows


def _csv_rows(path: str) -> list[dict]:
    try:
        with open(path, encoding="utf-8-sig", newline="") as fh:
            reader = csv.DictReader(fh)
            if not reader.fieldnames:
                raise RowFileError(f"{path}: empty file (expected a header row)")
            rows = []
            for row in reader:
                if None in row:
                    raise RowFileError(f"{path}, line {reader.line_num}: more values than header columns")
                rows.append({k.strip(): (v.strip() if isinstance(v, str) else v) for k, v in row.items()})
            return rows
    except UnicodeDecodeError:
        raise RowFileError(f"{path}: not UTF-8 text (save the file as UTF-8)") from None
