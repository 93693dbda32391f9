"""Parsing a postcode file (`postal,name,lat,lng`): plain code, no ORM, row-level errors."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext as _

REQUIRED_COLUMNS = ("postal", "name", "lat", "lng")


@dataclass(frozen=True)
class PostcodeRow:
    code: str
    name: str
    latitude: Decimal
    longitude: Decimal
    province: str = ""


@dataclass(frozen=True)
class RowError:
    line: int  # 1-based line number in the file, the header being line 1
    message: str

    def __str__(self) -> str:
        return _("line %(line)s: %(message)s") % {"line": self.line, "message": self.message}


class PostcodeFileError(Exception):
    def __init__(self, errors: list[RowError]) -> None:
        super().__init__("; ".join(str(e) for e in errors[:5]))
        self.errors = errors


def _decimal(raw: str, low: int, high: int) -> Decimal | None:
    try:
        value = Decimal(raw.strip())
    except (InvalidOperation, AttributeError):
        return None
    if not value.is_finite() or not (low <= value <= high):
        return None
    return value.quantize(Decimal("0.000001"))


def parse_postcodes(data: bytes | str) -> list[PostcodeRow]:
    """Parse the whole file or raise PostcodeFileError listing every bad row."""
    if isinstance(data, bytes):
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise PostcodeFileError([RowError(1, _("the file is not UTF-8 text"))]) from exc
    else:
        text = data
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip().lower() for h in (reader.fieldnames or [])]
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        raise PostcodeFileError(
            [
                RowError(
                    1,
                    _("missing column(s): %(columns)s. Expected: %(expected)s.")
                    % {"columns": ", ".join(missing), "expected": ", ".join(REQUIRED_COLUMNS)},
                )
            ]
        )
    reader.fieldnames = header
    rows: list[PostcodeRow] = []
    errors: list[RowError] = []
    seen: dict[tuple[str, str], PostcodeRow] = {}
    for index, raw in enumerate(reader, start=2):
        if None in raw:
            errors.append(RowError(index, _("too many fields")))
            continue
        # Merged municipalities list several codes in one cell: "2870,2890".
        codes = [c.strip() for c in (raw.get("postal") or "").split(",")]
        name = (raw.get("name") or "").strip()
        problems = []
        for code in codes:
            if not (len(code) == 4 and code.isdigit() and code[0] != "0"):
                problems.append(
                    _("postcode %(code)r is not a Belgian postcode (4 digits)") % {"code": code}
                )
        if not name:
            problems.append(_("the place name is empty"))
        lat = _decimal(raw.get("lat") or "", -90, 90)
        lng = _decimal(raw.get("lng") or "", -180, 180)
        if lat is None:
            problems.append(
                _("latitude %(value)r is not a number between -90 and 90")
                % {"value": raw.get("lat")}
            )
        if lng is None:
            problems.append(
                _("longitude %(value)r is not a number between -180 and 180")
                % {"value": raw.get("lng")}
            )
        if problems:
            errors.extend(RowError(index, p) for p in problems)
            continue
        assert lat is not None and lng is not None
        for code in codes:
            row = PostcodeRow(code, name, lat, lng, (raw.get("province") or "").strip())
            earlier = seen.get((code, name.lower()))
            if earlier is None:
                seen[(code, name.lower())] = row
                rows.append(row)
            elif (earlier.latitude, earlier.longitude) != (lat, lng):
                # The same place twice is harmless; twice with other coordinates is not.
                errors.append(
                    RowError(
                        index,
                        _("%(code)s %(name)s appears twice with different coordinates")
                        % {"code": code, "name": name},
                    )
                )
    if not rows and not errors:
        errors.append(RowError(1, _("the file has no rows")))
    if errors:
        raise PostcodeFileError(errors)
    return rows
