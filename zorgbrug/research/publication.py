"""The public figures of a network: aggregates that anyone may see, safe to publish.

All counts on the public page form one system of cells and equations (`suppression`):
every table's margins, every split of a population (screened clients *with* care duties
and, hidden, *without*), and the links between tables (the uptake table's rows add up to
the clients with care duties; the kind table's requests add up to all requests). The
remainders nobody prints but anyone can compute by subtraction are `hidden` cells, so a
small remainder is protected too. The whole system is suppressed at once; only then are
shares, medians and hours derived — and only from published counts.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from zorgbrug.clients.models import Gender
from zorgbrug.research import indicators as ind
from zorgbrug.research.suppression import THRESHOLD, Equation, suppress

Key = tuple[Hashable, ...]
GENDER_COLUMNS: tuple[tuple[str, Any], ...] = (*Gender.choices, ("total", _("Total")))


@dataclass(frozen=True)
class Figure:
    """One published figure: a count (None when suppressed) and, where it has one, a share
    of its reference population or a quantity (hours, days)."""

    label: Promise | str
    count: int | None = None
    share: float | None = None
    quantity: float | None = None
    unit: str = ""
    suppressed: bool = False


@dataclass(frozen=True)
class PublicRow:
    key: str
    label: Promise | str
    cells: tuple[int | None, ...]


@dataclass(frozen=True)
class PublicTable:
    caption: Promise | str
    columns: tuple[Promise | str, ...]
    rows: tuple[PublicRow, ...]
    row_header: Promise | str = ""


@dataclass
class PublicFigures:
    start: dt.date
    end: dt.date
    reach: list[Figure] = field(default_factory=list)
    service: list[Figure] = field(default_factory=list)
    esf: PublicTable | None = None
    outcomes: list[Figure] = field(default_factory=list)
    by_kind: PublicTable | None = None
    by_referrer: PublicTable | None = None
    any_suppressed: bool = False
    threshold: int = THRESHOLD


# (population, part of it) among the outcome counts of `indicators.OUTCOME_COUNTS`.
OUTCOME_SPLITS: tuple[tuple[str, str], ...] = (
    ("fu3", "fu3_positive"),
    ("fu6", "fu6_positive"),
    ("fu12", "fu12_positive"),
    ("retention", "retention_kept"),
)
OUTCOME_LABELS: dict[str, Promise] = {
    "fu3": _("Followed up 3 months after leaving"),
    "fu3_positive": _("Of whom in work or training"),
    "fu6": _("Followed up 6 months after leaving"),
    "fu6_positive": _("Of whom in work or training"),
    "fu12": _("Followed up 12 months after leaving"),
    "fu12_positive": _("Of whom in work or training"),
    "retention": _("Left for work, followed up 6 months after leaving"),
    "retention_kept": _("Of whom still employed"),
}


class _System:
    def __init__(self) -> None:
        self.values: dict[Key, int] = {}
        self.equations: list[Equation[Key]] = []
        self.hidden: set[Key] = set()
        self.weights: dict[Key, int] = {}

    def cell(self, key: Key, value: int, *, hidden: bool = False, weight: int = 0) -> Key:
        self.values[key] = int(value)
        if hidden:
            self.hidden.add(key)
        if weight:
            self.weights[key] = weight
        return key

    def add_up(self, parts: Sequence[Key], total: Key) -> None:
        self.equations.append(Equation(tuple(parts), total))

    def split(self, part: Key, remainder: Key, total: Key) -> None:
        """`part` of `total`; the rest is a hidden cell anyone could compute."""
        self.cell(remainder, self.values[total] - self.values[part], hidden=True)
        self.add_up([part, remainder], total)


def _share(part: int | None, whole: int | None) -> float | None:
    if part is None or whole is None or whole == 0:
        return None
    return part / whole


def public_figures(filters: ind.Filters) -> PublicFigures:
    """The suppressed public figures of the networks in `filters` for its period."""
    with ind.Evaluation(filters) as ev:
        return _figures(filters, ev)


def _figures(filters: ind.Filters, ev: ind.Evaluation) -> PublicFigures:
    sys = _System()

    # Reach: screened clients and four splits of them.
    reach = ev.reach()
    screened = sys.cell(("reach", "screened"), reach["screened"], weight=1)
    for name in ("with_care_duties", "care_main_barrier", "would_accept", "held_back"):
        sys.cell(("reach", name), reach[name])
        sys.split(("reach", name), ("reach", "not", name), screened)

    # ESF+: categories by gender, with the partitions and remainders they imply.
    esf = ev.esf()
    genders = [g for g, _label in Gender.choices]
    derived = {
        "unemployed_not_long": ("unemployed", ["long_term_unemployed"]),
        "age_30_54": ("participants", ["under_18", "age_18_29", "age_55_plus"]),
        "isced_unknown": ("participants", ["isced_0_2", "isced_3_4", "isced_5_8"]),
        "not_foreign_background": ("participants", ["foreign_background"]),
        "not_single_adult_with_children": ("participants", ["single_adult_with_children"]),
        "not_jobless_with_children": ("participants", ["jobless_with_children"]),
    }
    for column in [*genders, "total"]:
        weight = 1 if column == "total" else 0

        def n(category: str, column: str = column) -> int:
            counts = esf[category]
            return sum(counts.values()) if column == "total" else counts.get(column, 0)

        for c in ind.ESF_CATEGORIES:
            sys.cell(("esf", c.key, column), n(c.key), weight=weight)
        for hidden_key, (whole, parts) in derived.items():
            rest = n(whole) - sum(n(p) for p in parts)
            sys.cell(("esf", hidden_key, column), rest, hidden=True)
            sys.add_up(
                [("esf", p, column) for p in parts] + [("esf", hidden_key, column)],
                ("esf", whole, column),
            )
        sys.add_up(
            [("esf", k, column) for k in ("unemployed", "inactive", "employed")],
            ("esf", "participants", column),
        )
    for key in [c.key for c in ind.ESF_CATEGORIES] + list(derived):
        sys.add_up([("esf", key, g) for g in genders], ("esf", key, "total"))

    # Service: requests (served or not) by kind and by referrer; day-parts by kind.
    totals = ev.request_totals()
    requests = sys.cell(("svc", "requests"), totals["requests"], weight=1)
    served = sys.cell(("svc", "served"), totals["served"])
    sys.split(served, ("svc", "not_served"), requests)
    bookings = ev.booking_totals()
    attended = sys.cell(("svc", "attended"), bookings["attended"])
    due = sys.cell(("svc", "due"), bookings["due"], weight=1)
    no_show = sys.cell(("svc", "no_show"), bookings["no_show"])
    late = sys.cell(("svc", "cancelled_late"), bookings["cancelled_late"])
    other_due = bookings["due"] - bookings["attended"] - bookings["no_show"]
    other_due -= bookings["cancelled_late"]
    if other_due >= 0:  # attendance is never registered ahead, so this always holds
        sys.cell(("svc", "other_due"), other_due, hidden=True)
        sys.add_up([attended, no_show, late, ("svc", "other_due")], due)
    occupancy = ev.occupancy()
    reserved = sys.cell(("occ", "reserved"), occupancy["reserved"], weight=1)
    used = sys.cell(("occ", "used"), occupancy["used"])
    sys.split(used, ("occ", "unused"), reserved)

    kind_table = ev.by_kind()
    for row in kind_table.rows:
        r, s, _share_value, a = row.values[:4]
        sys.cell(("kind", row.key, "requests"), int(r or 0))
        sys.cell(("kind", row.key, "served"), int(s or 0))
        sys.split(
            ("kind", row.key, "served"),
            ("kind", row.key, "not_served"),
            ("kind", row.key, "requests"),
        )
        sys.cell(("kind", row.key, "attended"), int(a or 0))
    for column, total in (
        ("requests", requests),
        ("served", served),
        ("not_served", ("svc", "not_served")),
        ("attended", attended),
    ):
        sys.add_up([("kind", r.key, column) for r in kind_table.rows], total)

    referrer_table = ev.by_referrer()
    received_total = sys.cell(
        ("ref", "total", "received"),
        sum(int(r.values[1] or 0) for r in referrer_table.rows),
        weight=1,
    )
    for row in referrer_table.rows:
        with_duties, received, _u, asked, asked_served, _s = row.values[:6]
        sys.cell(("ref", row.key, "with"), int(with_duties or 0))
        sys.cell(("ref", row.key, "received"), int(received or 0))
        sys.split(
            ("ref", row.key, "received"), ("ref", row.key, "not_received"), ("ref", row.key, "with")
        )
        sys.cell(("ref", row.key, "requests"), int(asked or 0))
        sys.cell(("ref", row.key, "served"), int(asked_served or 0))
        sys.split(
            ("ref", row.key, "served"), ("ref", row.key, "not_served"), ("ref", row.key, "requests")
        )
    rows = referrer_table.rows
    sys.split(received_total, ("ref", "total", "not_received"), ("reach", "with_care_duties"))
    for column, total in (
        ("with", ("reach", "with_care_duties")),
        ("received", received_total),
        ("not_received", ("ref", "total", "not_received")),
        ("requests", requests),
        ("served", served),
        ("not_served", ("svc", "not_served")),
    ):
        sys.add_up([("ref", r.key, column) for r in rows], total)

    # Outcomes: the clients who left and how, the follow-ups after leaving, regular care.
    # Each is a split of its population with the remainder hidden; leaving for work and for
    # training are two exclusive parts of leaving for either.
    out = ev.outcomes()
    leavers = sys.cell(("out", "leavers"), out["leavers"], weight=1)
    for name in ("left_work_or_training", "leavers_cared"):
        sys.cell(("out", name), out[name])
        sys.split(("out", name), ("out", "not", name), leavers)
    sys.cell(("out", "left_employed"), out["left_employed"])
    sys.cell(("out", "left_training"), out["left_training"])
    sys.add_up(
        [("out", "left_employed"), ("out", "left_training")], ("out", "left_work_or_training")
    )
    sys.cell(("out", "leavers_cared_regular"), out["leavers_cared_regular"])
    sys.split(
        ("out", "leavers_cared_regular"),
        ("out", "not", "leavers_cared_regular"),
        ("out", "leavers_cared"),
    )
    for whole, part in OUTCOME_SPLITS:
        sys.cell(("out", whole), out[whole], weight=1)
        sys.cell(("out", part), out[part])
        sys.split(("out", part), ("out", "not", part), ("out", whole))

    shown = suppress(sys.values, sys.equations, hidden=sys.hidden, weights=sys.weights)

    def get(key: Key) -> int | None:
        return shown[key]

    figures = PublicFigures(start=filters.start, end=filters.end)
    figures.any_suppressed = any(v is None for v in shown.values())

    def figure(label: Promise, key: Key, whole: Key | None = None) -> Figure:
        count = get(key)
        return Figure(
            label=label,
            count=count,
            share=_share(count, get(whole)) if whole else None,
            suppressed=count is None,
        )

    names = {i.key: i.name for i in ind.INDICATORS}
    figures.reach = [
        figure(names["reach.screened"], screened),
        figure(names["reach.with_care_duties"], ("reach", "with_care_duties"), screened),
        figure(names["reach.care_main_barrier"], ("reach", "care_main_barrier"), screened),
        figure(names["reach.would_accept"], ("reach", "would_accept"), screened),
        figure(names["reach.held_back"], ("reach", "held_back"), screened),
    ]
    waits = ev.waits()
    n_served = get(served)
    enough = n_served is not None and n_served >= THRESHOLD
    n_attended = get(attended)
    figures.service = [
        figure(names["service.requests"], requests),
        figure(_("Requests served"), served, requests),
        Figure(
            label=names["service.wait_median"],
            quantity=waits[0.5] if enough else None,
            unit="days",
            suppressed=not enough and bool(totals["served"]),
        ),
        Figure(
            label=names["service.wait_p90"],
            quantity=waits[0.9] if enough else None,
            unit="days",
            suppressed=not enough and bool(totals["served"]),
        ),
        figure(names["service.day_parts_used"], attended),
        Figure(
            label=names["service.hours_used"],
            quantity=round(bookings["minutes"] / 60) if n_attended is not None else None,
            unit="hours",
            suppressed=n_attended is None,
        ),
        figure(_("Day-parts due"), due),
        figure(_("No-shows"), no_show, due),
        figure(_("Late cancellations"), late, due),
        figure(_("Reserved place-day-parts"), reserved),
        figure(_("Reserved place-day-parts booked"), used, reserved),
    ]
    figures.outcomes = [
        figure(names["outcome.leavers"], leavers),
        figure(_("Left for work or training"), ("out", "left_work_or_training"), leavers),
        figure(_("Left for work"), ("out", "left_employed"), leavers),
        figure(_("Left for education or training"), ("out", "left_training"), leavers),
        figure(_("Leavers who had received care"), ("out", "leavers_cared"), leavers),
        figure(
            _("Of whom a regular childcare place was found"),
            ("out", "leavers_cared_regular"),
            ("out", "leavers_cared"),
        ),
        *(
            item
            for whole, part in OUTCOME_SPLITS
            for item in (
                figure(OUTCOME_LABELS[whole], ("out", whole)),
                figure(OUTCOME_LABELS[part], ("out", part), ("out", whole)),
            )
        ),
    ]
    figures.esf = PublicTable(
        caption=_("ESF+ participants by gender"),
        columns=tuple(label for _g, label in GENDER_COLUMNS),
        row_header=_("Participants"),
        rows=tuple(
            PublicRow(
                key=c.key,
                label=c.name,
                cells=tuple(get(("esf", c.key, g)) for g, _label in GENDER_COLUMNS),
            )
            for c in ind.ESF_CATEGORIES
        ),
    )
    figures.by_kind = PublicTable(
        caption=_("Care requests and care used by activity kind"),
        columns=(_("Care requests"), _("Served"), _("Day-parts used")),
        row_header=_("Activity kind"),
        rows=(
            *(
                PublicRow(
                    key=r.key,
                    label=r.label,
                    cells=(
                        get(("kind", r.key, "requests")),
                        get(("kind", r.key, "served")),
                        get(("kind", r.key, "attended")),
                    ),
                )
                for r in kind_table.rows
            ),
            PublicRow(
                key="total", label=_("Total"), cells=(get(requests), get(served), get(attended))
            ),
        ),
    )
    figures.by_referrer = PublicTable(
        caption=_("Uptake by referrer organisation"),
        columns=(
            _("Screened clients with care duties"),
            _("Received care"),
            _("Care requests made"),
            _("Served"),
        ),
        row_header=_("Referrer organisation"),
        rows=(
            *(
                PublicRow(
                    key=r.key,
                    label=r.label,
                    cells=(
                        get(("ref", r.key, "with")),
                        get(("ref", r.key, "received")),
                        get(("ref", r.key, "requests")),
                        get(("ref", r.key, "served")),
                    ),
                )
                for r in rows
            ),
            PublicRow(
                key="total",
                label=_("Total"),
                cells=(
                    get(("reach", "with_care_duties")),
                    get(received_total),
                    get(requests),
                    get(served),
                ),
            ),
        ),
    )
    return figures
