"""Reading a bounce list: one address per line, or a CSV file with an ``email`` column.

The whole file is read and checked before anything is written: a malformed address, a CSV
without an ``email`` column or a file that is not UTF-8 text is a ``BounceFileError``
naming the line.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from persx.newsletter.models import normalized_email

MAX_BYTES = 50 * 1024 * 1024


class BounceFileError(Exception):
    """The file cannot be used; the message names the line or the problem."""


def read_bounce_file(path: Path) -> list[str]:
    """The file's addresses, normalized, without duplicates, in file order."""
    try:
        if path.stat().st_size > MAX_BYTES:
            raise BounceFileError(f"{path}: larger than {MAX_BYTES // (1024 * 1024)} MB")
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError as error:
        raise BounceFileError(f"{path}: no such file") from error
    except UnicodeDecodeError as error:
        raise BounceFileError(f"{path}: not UTF-8 text ({error.reason})") from error
    except OSError as error:
        raise BounceFileError(f"{path}: cannot be read ({error.strerror})") from error
    lines = text.splitlines()
    first = next((line for line in lines if line.strip()), "")
    if "," in first or ";" in first or first.strip().lower() == "email":
        return _unique(_csv_addresses(text))
    return _unique(_line_addresses(lines))


def _valid(raw: str, where: str) -> str:
    address = normalized_email(raw)
    try:
        validate_email(address)
    except ValidationError as error:
        raise BounceFileError(f"{where}: {raw.strip()!r} is not an email address") from error
    return address


def _line_addresses(lines: list[str]) -> list[tuple[int, str]]:
    found = []
    for number, line in enumerate(lines, start=1):
        if line.strip() and not line.lstrip().startswith("#"):
            found.append((number, _valid(line, f"line {number}")))
    return found


def _csv_addresses(text: str) -> list[tuple[int, str]]:
    header = next(line for line in text.splitlines() if line.strip())
    delimiter = ";" if ";" in header and "," not in header else ","
    reader = csv.DictReader(io.StringIO(text.lstrip("\r\n")), delimiter=delimiter)
    columns = {(name or "").strip().lower(): name for name in reader.fieldnames or ()}
    if "email" not in columns:
        raise BounceFileError(
            "line 1: a CSV file needs an 'email' column "
            f"(found: {', '.join(repr(c) for c in columns) or 'none'})"
        )
    found = []
    for row in reader:
        raw = row.get(columns["email"]) or ""
        if raw.strip():
            found.append((reader.line_num, _valid(raw, f"line {reader.line_num}")))
    return found


def _unique(found: list[tuple[int, str]]) -> list[str]:
    return list(dict.fromkeys(address for _, address in found))
