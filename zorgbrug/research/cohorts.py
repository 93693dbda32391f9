"""Cohort comparison: screened clients with care duties who received care, against those
who did not (yet). Descriptive only: it is not a randomised comparison.

Cohorts (both among clients with research consent whose first screening falls in the
period, and who have at least one care recipient):
- *received care*: attended at least one day-part of care, at any time up to now;
- *no care (yet)*: attended none — never asked, still waiting, refused or cancelled.

Measures are conditions on the research client facts (`research.models.ClientFact`): the
client record, the care domain's activities and the pathway's outcomes (exit, the follow-up
six months after leaving, regular childcare), all counted up to now. Each measure appears
in the dashboard, the API, the report and docs/indicators.md at once.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.db.models import Q
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from zorgbrug.clients.models import ClientStatus
from zorgbrug.research.indicators import (
    WORK_OR_TRAINING,
    WORK_OR_TRAINING_EXITS,
    Evaluation,
    Filters,
)

CAVEAT = _(
    "This is not a randomised comparison. Clients who received care differ from those who "
    "did not in ways the figures do not show: many asked care because a course or a job was "
    "already in sight, others were not ready, or found no place. A difference between the "
    "cohorts is therefore no measure of the effect of care. The job-start measure is partly "
    "a consequence of asking care, since care for a job's first weeks is asked for such an "
    "activity. Outcomes are counted up to today, so clients screened late in the period had "
    "less time to reach them."
)


@dataclass(frozen=True)
class CohortMeasure:
    key: str
    label: Promise
    definition: Promise
    condition: Callable[[], Q]


MEASURES: tuple[CohortMeasure, ...] = (
    CohortMeasure(
        "active",
        _("Still active"),
        _("The client's record is still active (not exited)."),
        lambda: Q(status=ClientStatus.ACTIVE),
    ),
    CohortMeasure(
        "job_start",
        _("Started a job"),
        _("An activity 'first weeks of a new job' is recorded for the client."),
        lambda: Q(job_start_activity=True),
    ),
    CohortMeasure(
        "training",
        _("Followed a course or training"),
        _("A course or a training-module session is recorded for the client."),
        lambda: Q(training_activity=True),
    ),
    CohortMeasure(
        "job_search",
        _("Went to a job interview or work trial"),
        _("A job interview, work trial or application activity is recorded for the client."),
        lambda: Q(job_search_activity=True),
    ),
    CohortMeasure(
        "left_work_or_training",
        _("Left for work or training"),
        _("The client left the pathway because they found work or started education or training."),
        lambda: Q(exit_reason__in=WORK_OR_TRAINING_EXITS),
    ),
    CohortMeasure(
        "work_or_training_6m",
        _("In work or training 6 months after leaving"),
        _("The follow-up six months after leaving found the client employed or in training."),
        lambda: Q(fu6_status__in=WORK_OR_TRAINING),
    ),
    CohortMeasure(
        "regular_childcare",
        _("Regular childcare place found"),
        _("A regular childcare place (with its start date) is recorded for the client."),
        lambda: Q(regular_place=True),
    ),
)


@dataclass(frozen=True)
class CohortRow:
    key: str
    label: Promise
    definition: Promise
    care: int
    no_care: int
    care_share: float | None
    no_care_share: float | None

    @property
    def difference_points(self) -> float | None:
        if self.care_share is None or self.no_care_share is None:
            return None
        return round(100 * (self.care_share - self.no_care_share), 1)


@dataclass(frozen=True)
class CohortComparison:
    care_n: int
    no_care_n: int
    rows: tuple[CohortRow, ...]
    caveat: Promise = CAVEAT


def _share(n: int, total: int) -> float | None:
    return None if not total else n / total


def cohort_comparison(
    filters: Filters, *, evaluation: Evaluation | None = None
) -> CohortComparison:
    """Both cohorts with every measure, added up from the evaluation's one query of screened
    clients per (intake organisation, received care)."""
    if evaluation is None:
        with Evaluation(filters) as ev:
            return cohort_comparison(filters, evaluation=ev)
    totals = {True: dict.fromkeys(["n", *(m.key for m in MEASURES)], 0), False: {}}
    totals[False] = dict(totals[True])
    for (_org, received), counts in evaluation.people_by_referrer().items():
        for key in totals[received]:
            totals[received][key] += counts.get(key, 0)
    care, no_care = totals[True], totals[False]
    rows = tuple(
        CohortRow(
            key=m.key,
            label=m.label,
            definition=m.definition,
            care=care[m.key],
            no_care=no_care[m.key],
            care_share=_share(care[m.key], care["n"]),
            no_care_share=_share(no_care[m.key], no_care["n"]),
        )
        for m in MEASURES
    )
    return CohortComparison(care_n=care["n"], no_care_n=no_care["n"], rows=rows)
