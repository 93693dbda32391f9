"""Statements as PDF (WeasyPrint), XLSX (openpyxl) and CSV; a month's cost lines as CSV;
the covenant as a PDF document in Dutch, French or English. Rendering only: the numbers
come from the stored settlement, so every format says the same to the cent."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from zorgbrug.care.models import ActivityKind
from zorgbrug.clients.imports import csv_safe
from zorgbrug.covenant.models import (
    ContributionChoice,
    CostLine,
    Covenant,
    PaymentChoice,
    Settlement,
    UnitChoice,
)
from zorgbrug.covenant.rules import PRIORITY_CLASSES
from zorgbrug.covenant.selectors import Labeller, StatementView
from zorgbrug.network.models import PartnerRole

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCUMENT_LANGUAGES = ("nl", "fr", "en")


def pdf_bytes(html: str) -> bytes:
    from weasyprint import HTML

    return bytes(HTML(string=html, base_url=str(settings.BASE_DIR)).write_pdf())


# --- Statements ------------------------------------------------------------------------


def statement_pdf(view: StatementView, *, language: str | None = None) -> bytes:
    with translation.override(language or translation.get_language()):
        html = render_to_string(
            "covenant/statement_pdf.html",
            {"view": view, "printed_at": timezone.localtime()},
        )
    return pdf_bytes(html)


def _statement_table(view: StatementView) -> tuple[list[str], list[list[Any]]]:
    if view.is_provider:
        header = [
            _("Kind"),
            _("Site"),
            _("Lines"),
            _("Quantity"),
            _("Care costs"),
            _("Parent contributions"),
            _("Owed by the network"),
        ]
        rows = [
            [r.label, r.where, r.line_count, r.quantity, r.gross, r.parent, r.amount]
            for r in view.rows
        ]
    else:
        header = [_("Kind"), _("Provider"), _("Why"), _("Share (%)"), _("Lines"), _("To pay")]
        rows = [[r.label, r.where, r.basis, r.percent, r.line_count, r.amount] for r in view.rows]
    return header, rows


def _statement_heading(view: StatementView) -> list[list[Any]]:
    return [
        [_("Network"), view.network.name],
        [_("Month"), f"{view.month:%Y-%m}"],
        [_("Partner"), view.partner_name],
        [
            _("Statement"),
            _("Owed to the provider") if view.is_provider else _("To pay"),
        ],
        [_("Status"), _("Closed") if view.closed else _("Provisional (month still open)")],
        [_("Total"), view.total],
    ]


def statement_xlsx(view: StatementView) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = _("Statement")[:31]
    for label, value in _statement_heading(view):
        sheet.append([label, _cell(value)])
    sheet.append([])
    header, rows = _statement_table(view)
    sheet.append(header)
    for cell in sheet[sheet.max_row]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append([_cell(v) for v in row])
    sheet.append([_("Total")] + [None] * (len(header) - 2) + [view.total])
    sheet[sheet.max_row][0].font = Font(bold=True)
    for column in sheet.iter_cols(min_row=1):
        for cell in column:
            if isinstance(cell.value, Decimal):
                cell.number_format = "#,##0.00"
    sheet.column_dimensions["A"].width = 42
    sheet.column_dimensions["B"].width = 32
    sheet.column_dimensions["C"].width = 28
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _cell(value: Any) -> Any:
    if isinstance(value, str):
        return csv_safe(value)
    return value


def statement_csv(view: StatementView) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    for label, value in _statement_heading(view):
        writer.writerow([label, _cell(value)])
    writer.writerow([])
    header, rows = _statement_table(view)
    writer.writerow(header)
    for row in rows:
        writer.writerow([_cell(v) for v in row])
    writer.writerow([_("Total")] + [""] * (len(header) - 2) + [view.total])
    # The byte order mark makes Excel read the file as UTF-8.
    return "\ufeff" + out.getvalue()


# --- A month's cost lines ----------------------------------------------------------------

LINE_COLUMNS = (
    "id",
    "kind",
    "date",
    "day_part",
    "provider",
    "site",
    "booking",
    "reservation",
    "slot",
    "unit",
    "quantity",
    "unit_price",
    "charge_percent",
    "gross",
    "parent",
    "amount",
    "referrer",
    "activity_kind",
    "postcode",
    "corrects",
    "description",
)


class _Echo:
    def write(self, value: str) -> str:
        return value


def cost_lines_csv(settlement: Settlement) -> Iterator[str]:
    """Every cost line of a month, streamed: traceable to its booking or reservation."""
    labels = Labeller(settlement.network_id)
    writer = csv.writer(_Echo())
    yield "\ufeff" + writer.writerow(LINE_COLUMNS)
    chunk: list[str] = []
    lines = (
        CostLine.objects.filter(settlement=settlement)
        .order_by("date", "day_part", "id")
        .values_list(
            "id",
            "kind",
            "date",
            "day_part",
            "provider_id",
            "care_site_id",
            "booking_id",
            "reservation_id",
            "slot_id",
            "unit",
            "quantity",
            "unit_price",
            "charge_percent",
            "gross",
            "parent",
            "amount",
            "referrer_id",
            "activity_kind",
            "postcode",
            "corrects__month",
            "description",
        )
    )
    for v in lines.iterator(chunk_size=5000):
        row: list[Any] = list(v)
        row[2] = row[2].isoformat()
        row[4] = labels.partners.get(row[4], row[4])
        row[5] = labels.sites.get(row[5], "") if row[5] else ""
        row[16] = labels.orgs.get(row[16], row[16] or "")
        row[19] = f"{row[19]:%Y-%m}" if row[19] else ""
        chunk.append(writer.writerow(["" if x is None else _cell(x) for x in row]))
        if len(chunk) >= 2000:
            yield "".join(chunk)
            chunk = []
    if chunk:
        yield "".join(chunk)


# --- The covenant as a document ----------------------------------------------------------


def covenant_context(covenant: Covenant) -> dict[str, Any]:
    """What the document says, in the active language."""
    from zorgbrug.care.models import ReservedCapacity, Weekday

    role_labels = {r.value: str(r.label) for r in PartnerRole}
    parties = [
        {
            "name": p.partner.organisation.name,
            "kbo": p.partner.organisation.kbo_display,
            "roles": [role_labels.get(r, r) for r in p.roles],
            "signatory": p.signatory,
        }
        for p in covenant.parties.all()
    ]
    tariffs = []
    for t in covenant.site_tariffs.all():
        places = ReservedCapacity.objects.filter(
            care_site_id=t.care_site_id, valid_until__gte=covenant.valid_from
        )
        if covenant.valid_until is not None:
            places = places.filter(valid_from__lte=covenant.valid_until)
        reserved = [
            _("%(day)s %(part)s: %(places)s")
            % {
                "day": Weekday(r.weekday).label,
                "part": r.get_day_part_display().lower(),
                "places": r.places,
            }
            for r in places.order_by("weekday", "day_part")
        ]
        tariffs.append(
            {
                "care_site_id": t.care_site_id,
                "provider": t.care_site.site.organisation.name,
                "site": t.care_site.site.name,
                "price": t.price,
                "unit": UnitChoice(t.unit).label,
                "payment": PaymentChoice(t.payment).label,
                "short_notice_price": t.short_notice_price,
                "short_notice_unit": UnitChoice(t.short_notice_unit).label
                if t.short_notice_unit
                else "",
                "reserved": reserved,
            }
        )
    kinds = dict(ActivityKind.choices)
    labeller = Labeller(covenant.network_id)
    keys = []
    for key in covenant.allocation_keys.all():
        groups: dict[str, list[tuple[str, Decimal]]] = {}
        for share in key.shares.all():
            groups.setdefault(share.match, []).append(
                (share.partner.organisation.name, share.percent)
            )
        rows = []
        for match, shares in sorted(groups.items(), key=lambda g: (g[0] == "", g[0])):
            if not match:
                label = _("Everything") if key.basis == "fixed" else _("Otherwise (fallback)")
            elif key.basis == "referrer":
                label = labeller.basis(f"referrer:{match}")
            elif key.basis == "activity_kind":
                label = str(kinds.get(match, match))
            else:
                label = labeller.basis(f"municipality:{match}")
            rows.append({"label": label, "shares": shares})
        keys.append({"key": key, "basis": key.get_basis_display(), "rows": rows})
    priorities = [
        {
            "name": {
                "job_start": ActivityKind.JOB_START.label,
                "job_interview": ActivityKind.JOB_INTERVIEW.label,
                "work_trial": ActivityKind.WORK_TRIAL.label,
                "course": ActivityKind.COURSE.label,
                "other": ActivityKind.OTHER.label,
            }[name],
            "points": covenant.priorities.get(name, ""),
        }
        for name in PRIORITY_CLASSES
    ]
    priorities.sort(key=lambda p: -Decimal(str(p["points"] or 0)))
    return {
        "covenant": covenant,
        "network": covenant.network,
        "parties": parties,
        "tariffs": tariffs,
        "day_count": covenant.day_count,
        "contribution": ContributionChoice(covenant.contribution_mode).label,
        "contribution_mode": covenant.contribution_mode,
        "years": list(covenant.contribution_years.all()),
        "max_care": [
            {"kind": kinds.get(k, k), "days": v} for k, v in sorted(covenant.max_care_days.items())
        ],
        "priorities": priorities,
        "keys": keys,
        "clauses": (covenant.clauses or {}).get(translation.get_language() or "nl", ""),
        "printed_at": timezone.localtime(),
    }


def covenant_pdf(covenant: Covenant, *, language: str) -> bytes:
    if language not in DOCUMENT_LANGUAGES:
        raise ValueError(f"no covenant document in {language!r}")
    with translation.override(language):
        html = render_to_string("covenant/covenant_pdf.html", covenant_context(covenant))
    return pdf_bytes(html)
