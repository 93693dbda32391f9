"""Reasons in plain words, in the reader's language.

The core gives each unserved request a reason code with named parameters
(`core.model.Reason`); the selectors add a few of the product's own (a day-part already
started, no known location, a child changing age band). Here each code becomes one
translated sentence with named placeholders, so translators can reorder it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _

from zorgbrug.allocation import selectors
from zorgbrug.allocation.core import ReasonCode
from zorgbrug.allocation.models import AllocationDecision
from zorgbrug.care.models import Weekday


def priority_label(priority: str) -> str:
    labels = {
        "job_start": _("the first weeks of a job"),
        "job_interview": _("a job interview"),
        "work_trial": _("a work trial"),
        "course": _("a course"),
        "other": _("another activity"),
    }
    return labels.get(priority, labels["other"])


def priority_name(priority: str) -> str:
    """The class as a heading or table cell."""
    names = {
        "job_start": _("First weeks of a job"),
        "job_interview": _("Job interview"),
        "work_trial": _("Work trial"),
        "course": _("Course"),
        "other": _("Other"),
    }
    return names.get(priority, names["other"])


def part_label(part: str) -> str:
    return _("morning") if part in ("morning", "am") else _("afternoon")


def _date(value: Any) -> str:
    try:
        return dt.date.fromisoformat(str(value)).strftime("%d/%m/%Y")
    except ValueError:
        return str(value)


def _km(value: Any) -> str:
    return f"{float(value):g}"


def _when(p: dict[str, Any]) -> dict[str, str]:
    weekday = int(p.get("weekday", dt.date.fromisoformat(str(p["date"])).weekday()))
    return {
        "weekday": str(Weekday(weekday).label),
        "part": part_label(str(p.get("part", ""))),
        "date": _date(p["date"]),
    }


def reason_text(code: str, params: dict[str, Any]) -> str:
    """One plain sentence for a reason code and its parameters."""
    p = params
    if code == selectors.STARTED:
        return _(
            "A day-part of this request (%(date)s) has already started: it can no longer be "
            "booked whole. Ask care again for the days that are left."
        ) % {"date": _date(p.get("date", ""))}
    if code == selectors.NO_LOCATION:
        return _("Neither the family's postcode nor the activity has a known location.")
    if code == selectors.BAND_CHANGES:
        return _(
            "A child moves to another age band during the request: ask care for the days "
            "before and after the birthday separately."
        )
    if code == selectors.NO_CHILDREN:
        return _("The request has no child or day-part to care for.")
    if code == ReasonCode.NO_AGE_BAND:
        return _("No age band of the network takes a child of %(months)s months.") % {
            "months": p.get("age_months", "?")
        }
    if code == ReasonCode.NO_SITE_IN_REACH:
        return _("No childcare site within %(km)s km of home or the activity.") % {
            "km": _km(p.get("max_km", 0))
        }
    if code == ReasonCode.NO_SITE_FOR_AGE:
        return _("No site within %(km)s km takes children aged %(band)s years.") % {
            "km": _km(p.get("max_km", 0)),
            "band": p.get("band", ""),
        }
    if code == ReasonCode.CLOSED:
        return _(
            "No site within %(km)s km for ages %(band)s is open on %(weekday)s %(part)s (%(date)s)."
        ) % {"km": _km(p.get("max_km", 0)), "band": p.get("band", ""), **_when(p)}
    if code == ReasonCode.NO_FREE_PLACE:
        return _(
            "No free place for ages %(band)s on %(weekday)s %(part)s (%(date)s) within "
            "%(km)s km: %(needed)s needed, %(free)s free at the best site."
        ) % {
            "km": _km(p.get("max_km", 0)),
            "band": p.get("band", ""),
            "needed": p.get("needed", "?"),
            "free": p.get("free", "?"),
            **_when(p),
        }
    if code == ReasonCode.NO_COMBINATION:
        return _(
            "No site within %(km)s km, nor a pair of sites, has places for all %(days)s days "
            "and all children together."
        ) % {"km": _km(p.get("max_km", 0)), "days": p.get("days", "?")}
    if code == ReasonCode.NOT_WORTH_TRAVEL:
        return _(
            "The nearest site with places is %(km)s km away: under the covenant the journey "
            "outweighs the value of the care."
        ) % {"km": f"{float(p.get('distance_km', 0)):.1f}"}
    if code in (ReasonCode.HIGHER_PRIORITY, ReasonCode.MORE_VALUE, ReasonCode.ARRIVED_LATER):
        values = {
            "band": p.get("band", ""),
            "site": p.get("site_name", ""),
            "priority": priority_label(str(p.get("competitor_priority", "other"))),
            "count": p.get("competitors", 1),
            **_when(p),
        }
        if code == ReasonCode.HIGHER_PRIORITY:
            return (
                _(
                    "The last place for ages %(band)s at %(site)s on %(weekday)s %(part)s "
                    "(%(date)s) went to a request with a higher priority (%(priority)s)."
                )
                % values
            )
        if code == ReasonCode.ARRIVED_LATER:
            return (
                _(
                    "The last place for ages %(band)s at %(site)s on %(weekday)s %(part)s "
                    "(%(date)s) went to a request that arrived earlier (%(priority)s)."
                )
                % values
            )
        if int(values["count"]) == 1:
            return (
                _(
                    "The places for ages %(band)s at %(site)s on %(weekday)s %(part)s "
                    "(%(date)s) went to a request of the same or a lower priority "
                    "(%(priority)s) that makes better use of them."
                )
                % values
            )
        return (
            _(
                "The places for ages %(band)s at %(site)s on %(weekday)s %(part)s (%(date)s) "
                "went to %(count)s requests of the same or a lower priority that together "
                "serve more of the covenant's priorities (among them %(priority)s)."
            )
            % values
        )
    return _("No place could be found.")


# --- The review's rows ----------------------------------------------------------------


@dataclass
class PlanPart:
    site: str
    days: list[str]


@dataclass
class ReviewRow:
    decision: AllocationDecision
    family: str  # the parent's first name and initial: enough to recognise, no more
    children: list[str]
    organisation: str
    activity: str
    priority: str
    plan: list[PlanPart]
    reason: str
    status_now: str  # the request's status label when it changed since the run, else ""
    outcome: str


def slot_label(day: dt.date, part: str) -> str:
    return _("%(weekday)s %(date)s, %(part)s") % {
        "weekday": str(Weekday(day.weekday()).label),
        "date": day.strftime("%d/%m/%Y"),
        "part": part_label(part),
    }


def plan_parts(plan: list[dict[str, Any]], site_names: dict[int, str]) -> list[PlanPart]:
    """The plan per site: which day-parts the children go where."""
    by_site: dict[int, set[tuple[str, str]]] = {}
    for p in plan:
        by_site.setdefault(int(p["site"]), set()).add((p["date"], p["part"]))
    out = []
    for site, slots in sorted(by_site.items(), key=lambda kv: min(kv[1])):
        days = [
            slot_label(dt.date.fromisoformat(day), part)
            for day, part in sorted(slots, key=lambda s: (s[0], s[1] != "am"))
        ]
        out.append(PlanPart(site=site_names.get(site, "?"), days=days))
    return out


def review_rows(
    decisions: list[AllocationDecision],
    children: dict[int, list[str]],
    site_names: dict[int, str],
) -> list[ReviewRow]:
    pending = {str(s) for s in selectors.PENDING_STATUSES}
    rows = []
    for d in decisions:
        request = d.care_request
        client = request.client
        changed = request.status not in pending and not d.outcome
        rows.append(
            ReviewRow(
                decision=d,
                family=f"{client.first_name} {client.last_name[:1]}.",
                children=children.get(d.care_request_id, []),
                organisation=request.organisation.name,
                activity=request.activity.title,
                priority=priority_name(d.priority),
                plan=plan_parts(d.plan, site_names),
                reason="" if d.served else reason_text(d.reason_code, d.reason_params),
                status_now=str(request.get_status_display()) if changed else "",
                outcome=str(d.get_outcome_display()) if d.outcome else "",
            )
        )
    return rows
