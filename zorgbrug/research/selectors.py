"""Reads for the research pages: the dashboard, its charts, and the filter choices.

Everything here is aggregated: no query returns a client row, and every figure comes from
`indicators` (or `cohorts`) for networks the user may evaluate (`scoping`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count
from django.db.models.functions import TruncMonth, TruncYear
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _

from zorgbrug.access import scoping
from zorgbrug.clients.models import Gender
from zorgbrug.network.models import Network, Organisation, Partner
from zorgbrug.research import indicators as ind
from zorgbrug.research.cohorts import CohortComparison, cohort_comparison


def research_networks(user: Any) -> list[Network]:
    return list(scoping.research_networks(user).order_by("name"))


def referrer_choices(networks: list[Network]) -> list[tuple[Organisation, int]]:
    """(organisation, network id) for every referring partner of the networks."""
    rows = (
        Partner.objects.filter(network__in=networks, is_referrer=True)
        .select_related("organisation")
        .order_by("organisation__name")
    )
    return [(p.organisation, p.network_id) for p in rows]


@dataclass(frozen=True)
class ChartBlock:
    """A chart and the table with its numbers: the same data, two ways."""

    key: str
    title: str
    svg: str
    columns: tuple[str, ...]
    rows: tuple[tuple[str, tuple[Any, ...]], ...]
    percent_columns: frozenset[int] = frozenset()

    @property
    def display_rows(self) -> list[tuple[str, list[tuple[Any, bool]]]]:
        """Rows with, per value, whether it is a share (shown as a percentage)."""
        return [
            (label, [(v, i in self.percent_columns) for i, v in enumerate(values)])
            for label, values in self.rows
        ]


@dataclass
class Dashboard:
    filters: ind.Filters
    groups: list[tuple[Promise, list[ind.Result]]] = field(default_factory=list)
    by_referrer: ind.Result | None = None
    by_kind: ind.Result | None = None
    esf: list[ind.Result] = field(default_factory=list)
    esf_results: list[ind.Result] = field(default_factory=list)
    esf_columns: tuple[tuple[str, Any], ...] = ()
    charts: list[ChartBlock] = field(default_factory=list)
    cohorts: CohortComparison | None = None

    @property
    def tables(self) -> list[ind.Result]:
        return [r for r in (self.by_referrer, self.by_kind) if r is not None]

    @property
    def gender_tables(self) -> list[tuple[Promise, list[ind.Result]]]:
        return [
            (ind.GROUP_LABELS[ind.Group.ESF], self.esf),
            (ind.GROUP_LABELS[ind.Group.ESF_RESULT], self.esf_results),
        ]


def period_series(ev: ind.Evaluation) -> tuple[list[str], list[int], list[int]]:
    """Care requests made and day-parts of care used per month (per year beyond three)."""
    f = ev.filters
    yearly = (f.end.year - f.start.year) * 12 + f.end.month - f.start.month >= 36
    trunc_req = TruncYear if yearly else TruncMonth
    asked = {
        _as_date(r["period"]): r["n"]
        for r in ev.requests()
        .annotate(period=trunc_req("asked_on"))
        .order_by()
        .values("period")
        .annotate(n=Count("pk"))
    }
    used: dict[dt.date, int] = {}
    for month, n in ev.attended_by_month().items():
        key = _as_date(month)
        key = dt.date(key.year, 1, 1) if yearly else key
        used[key] = used.get(key, 0) + n
    labels, requests, day_parts = [], [], []
    current = dt.date(f.start.year, 1 if yearly else f.start.month, 1)
    while current <= f.end:
        labels.append(str(current.year) if yearly else f"{current:%Y-%m}")
        requests.append(int(asked.get(current, 0)))
        day_parts.append(int(used.get(current, 0)))
        if yearly:
            current = dt.date(current.year + 1, 1, 1)
        else:
            current = dt.date(current.year + current.month // 12, current.month % 12 + 1, 1)
    return labels, requests, day_parts


def _as_date(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        return timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    return value


def dashboard(*, filters: ind.Filters, with_charts: bool = True) -> Dashboard:
    with ind.Evaluation(filters) as ev:
        results = ind.compute(filters, evaluation=ev)
        cohorts = cohort_comparison(filters, evaluation=ev)
        series = period_series(ev) if with_charts else None
    board = Dashboard(filters=filters)
    by_key = {r.indicator.key: r for r in results}
    for group in (ind.Group.REACH, ind.Group.SERVICE, ind.Group.OUTCOME, ind.Group.COST):
        board.groups.append(
            (ind.GROUP_LABELS[group], [r for r in results if r.indicator.group == group])
        )
    board.by_referrer = by_key["uptake.by_referrer"]
    board.by_kind = by_key["uptake.by_activity_kind"]
    board.esf = [r for r in results if r.indicator.group == ind.Group.ESF]
    board.esf_results = [r for r in results if r.indicator.group == ind.Group.ESF_RESULT]
    board.esf_columns = (*Gender.choices, ("total", _("Total")))
    board.cohorts = cohorts
    if series is not None:  # drawn after the evaluation's transaction has ended
        board.charts = _charts(ev, by_key, series)
    return board


def _charts(
    ev: ind.Evaluation,
    by_key: dict[str, ind.Result],
    series: tuple[list[str], list[int], list[int]],
) -> list[ChartBlock]:
    from zorgbrug.research import charts  # matplotlib loads only for pages with charts

    blocks = []
    reach = ev.reach()
    reach_rows = (
        (_("Clients screened"), (reach["screened"],)),
        (_("With care duties"), (reach["with_care_duties"],)),
        (_("Care is the main barrier"), (reach["care_main_barrier"],)),
        (_("Would work or train if care were arranged"), (reach["would_accept"],)),
        (_("Held back by care duties"), (reach["held_back"],)),
    )
    blocks.append(
        ChartBlock(
            key="reach",
            title=_("Reach: screened clients and their care barriers"),
            svg=charts.bar_chart(
                title_id="chart-reach",
                labels=[label for label, _v in reach_rows],
                series=[charts.Series(_("Clients"), [v[0] for _l, v in reach_rows])],
            ),
            columns=(_("Clients"),),
            rows=reach_rows,
        )
    )
    labels, requests, day_parts = series
    blocks.append(
        ChartBlock(
            key="period",
            title=_("Care requests made and day-parts of care used over time"),
            svg=charts.column_chart(
                title_id="chart-period",
                labels=labels,
                series=[
                    charts.Series(_("Care requests"), requests),
                    charts.Series(_("Day-parts used"), day_parts),
                ],
            ),
            columns=(_("Care requests"), _("Day-parts used")),
            rows=tuple(
                (label, (r, d)) for label, r, d in zip(labels, requests, day_parts, strict=True)
            ),
        )
    )
    kinds = by_key["uptake.by_activity_kind"].value
    assert isinstance(kinds, ind.Table)
    kind_rows = tuple(r for r in kinds.rows if r.values[0])
    blocks.append(
        ChartBlock(
            key="kinds",
            title=_("Care requests and requests served by activity kind"),
            svg=charts.bar_chart(
                title_id="chart-kinds",
                labels=[r.label for r in kind_rows],
                series=[
                    charts.Series(_("Care requests"), [r.values[0] for r in kind_rows]),
                    charts.Series(_("Served"), [r.values[1] for r in kind_rows]),
                ],
            ),
            columns=(_("Care requests"), _("Served")),
            rows=tuple((r.label, (r.values[0], r.values[1])) for r in kind_rows),
        )
    )
    referrers = by_key["uptake.by_referrer"].value
    assert isinstance(referrers, ind.Table)
    referrer_rows = tuple(r for r in referrers.rows if r.values[0])
    blocks.append(
        ChartBlock(
            key="uptake",
            title=_(
                "Uptake by referrer organisation (share of screened clients with care "
                "duties who received care)"
            ),
            svg=charts.bar_chart(
                title_id="chart-uptake",
                labels=[r.label for r in referrer_rows],
                series=[charts.Series(_("Uptake"), [r.values[2] for r in referrer_rows])],
                percent=True,
            ),
            columns=(_("Screened clients with care duties"), _("Received care"), _("Uptake")),
            rows=tuple((r.label, (r.values[0], r.values[1], r.values[2])) for r in referrer_rows),
            percent_columns=frozenset({2}),
        )
    )
    outcome_rows = []
    for key in (
        "outcome.at_exit",
        "outcome.at_3_months",
        "outcome.at_6_months",
        "outcome.at_12_months",
        "outcome.job_retention_6m",
        "outcome.regular_childcare",
    ):
        share = by_key[key].value
        assert isinstance(share, ind.Share)
        outcome_rows.append(
            (str(by_key[key].indicator.name), (share.numerator, share.denominator, share.value))
        )
    blocks.append(
        ChartBlock(
            key="outcomes",
            title=_("Outcomes: in work or training at exit and after leaving"),
            svg=charts.bar_chart(
                title_id="chart-outcomes",
                labels=[label for label, _v in outcome_rows],
                series=[charts.Series(_("Share"), [v[2] for _l, v in outcome_rows])],
                percent=True,
            ),
            columns=(_("Clients"), _("Out of"), _("Share")),
            rows=tuple(outcome_rows),
            percent_columns=frozenset({2}),
        )
    )
    esf = [r for r in by_key.values() if r.indicator.group == ind.Group.ESF]
    genders = [(g, str(label)) for g, label in Gender.choices]
    esf_rows = []
    for r in esf:
        assert isinstance(r.value, ind.ByGender)
        esf_rows.append((str(r.indicator.name), tuple(r.value.get(g) for g, _l in genders)))
    blocks.append(
        ChartBlock(
            key="esf",
            title=_("ESF+ participants by gender"),
            svg=charts.bar_chart(
                title_id="chart-esf",
                labels=[label for label, _v in esf_rows],
                series=[
                    charts.Series(label, [v[i] for _l, v in esf_rows])
                    for i, (_g, label) in enumerate(genders)
                ],
                stacked=True,
            ),
            columns=tuple(label for _g, label in genders),
            rows=tuple(esf_rows),
        )
    )
    return blocks
