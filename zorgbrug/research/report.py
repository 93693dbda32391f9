"""The evaluation report: a PDF (WeasyPrint) of one network's indicators for a period, with
the dashboard's charts (the same server-side SVG, each with its numbers), the ESF+ tables,
the cohort comparison with its caveat, and the definition of every indicator.

Rendering only: the figures come from `selectors.dashboard`, so the report, the dashboard
and the API say the same. Written in the background (`services.report_run`).
"""

from __future__ import annotations

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _

from zorgbrug.care.models import ActivityKind
from zorgbrug.research import cohorts, selectors
from zorgbrug.research import indicators as ind
from zorgbrug.research.export import ProgressFn
from zorgbrug.research.models import EvaluationReport


def report_html(item: EvaluationReport, filters: ind.Filters) -> str:
    board = selectors.dashboard(filters=filters, with_charts=True)
    kind = dict(ActivityKind.choices).get(item.activity_kind) if item.activity_kind else None
    return render_to_string(
        "research/report_pdf.html",
        {
            "item": item,
            "board": board,
            "organisation": item.organisation,
            "activity_kind": kind,
            "definitions": [
                (ind.GROUP_LABELS[group], [i for i in ind.INDICATORS if i.group == group])
                for group in ind.Group
            ],
            "measures": cohorts.MEASURES,
            "not_computed": ind.NOT_COMPUTED,
            "printed_at": timezone.localtime(),
        },
    )


def report_pdf(
    item: EvaluationReport, filters: ind.Filters, *, progress: ProgressFn | None = None
) -> tuple[bytes, int]:
    """The PDF and its number of pages."""
    from weasyprint import HTML  # loads Pango: only when a report is made

    def step(done: int, message: str) -> None:
        if progress:
            progress(done, 3, message)

    step(0, _("Computing the indicators"))
    html = report_html(item, filters)
    step(1, _("Laying out the report"))
    document = HTML(string=html, base_url=str(settings.BASE_DIR)).render()
    step(2, _("Writing the PDF"))
    data = document.write_pdf()
    assert data is not None
    step(3, _("The report is ready"))
    return bytes(data), len(document.pages)
