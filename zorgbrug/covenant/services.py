"""Writes of the covenant domain: covenant versions and their rules, income attests, the
monthly calculation and settlement, closing a month, manual adjustments.

Every service checks permission through `access.scoping`, validates before writing
anything, writes in one transaction and records an audit event.

Money flow (docs/covenant.md has a worked example): `settlement_calculate` loads the month
(set-based queries), runs the pure engine (cost lines, then the split by the allocation
keys), and replaces the month's computed lines and statements in one transaction — so a
recalculation gives the same result and a failure half-way leaves the previous state.
`settlement_close` freezes a month for good; corrections to a closed month (attendance
registered late, an income attest that arrived late) go into the earliest open month as
adjustment lines, split like the lines they correct.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from zorgbrug.access import audit
from zorgbrug.access import scoping as access
from zorgbrug.care.models import ActivityKind, CareSite, ReservedCapacity
from zorgbrug.clients.models import Client
from zorgbrug.covenant import calculation, engine, money
from zorgbrug.covenant.models import (
    AllocationKey,
    AllocationShare,
    BasisChoice,
    ClosedPeriod,
    ContributionChoice,
    ContributionYear,
    CostLine,
    Covenant,
    CovenantParty,
    ParentTariff,
    PaymentChoice,
    ReductionChoice,
    Settlement,
    SettlementStatus,
    SiteTariff,
    Statement,
    StatementSide,
    UnitChoice,
)
from zorgbrug.covenant.rules import (
    FALLBACK,
    PRIORITY_CLASSES,
    Basis,
    CovenantRules,
    PeriodProblem,
    period_problems,
)
from zorgbrug.network.models import Network, Partner

# Closed months whose care is re-checked for corrections when the next open month is
# calculated. Older changes need a manual adjustment.
CORRECTION_WINDOW_MONTHS = 3
ONE_DAY = dt.timedelta(days=1)


def _require_manage(actor: Any, network: Network) -> None:
    if not access.can_manage_network(actor, network):
        raise PermissionDenied


def _d(value: Any) -> str:
    return value.strftime("%d/%m/%Y") if value else "…"


def _period_messages(problems: Sequence[PeriodProblem], what: str) -> list[str]:
    out = []
    for p in problems:
        params = {"what": what, "from": _d(p.first), "until": _d(p.last)}
        if p.code == "overlap":
            out.append(_("%(what)s overlap from %(from)s.") % params)
        elif p.code == "gap":
            out.append(_("%(what)s leave a gap from %(from)s until %(until)s.") % params)
        elif p.code == "outside":
            out.append(
                _("%(what)s: the period from %(from)s lies outside the covenant's validity.")
                % params
            )
        else:
            out.append(_("%(what)s: the end comes before the start.") % params)
    return out


# --- Covenant versions -----------------------------------------------------------------


def _closed_months_in(network: Network, first: dt.date, last: dt.date | None) -> list[dt.date]:
    qs = Settlement.objects.filter(
        network=network, status=SettlementStatus.CLOSED, month__gte=first.replace(day=1)
    )
    if last is not None:
        qs = qs.filter(month__lte=last)
    return list(qs.order_by("month").values_list("month", flat=True))


def _require_editable(covenant: Covenant) -> None:
    closed = _closed_months_in(covenant.network, covenant.valid_from, covenant.valid_until)
    if closed:
        raise ValidationError(
            _(
                "This version governed a closed month (%(month)s): it can no longer change. "
                "Make a new version from a later date instead."
            )
            % {"month": closed[-1].strftime("%m/%Y")},
            code="frozen",
        )


def _check_versions(network: Network, covenant: Covenant) -> None:
    periods = [
        (c.valid_from, c.valid_until)
        for c in Covenant.objects.filter(network=network).exclude(pk=covenant.pk)
    ]
    problems = [
        p
        for p in period_problems([*periods, (covenant.valid_from, covenant.valid_until)])
        if p.code in ("overlap", "order")
    ]
    if problems:
        raise ValidationError({"valid_from": _period_messages(problems, _("Covenant versions"))})


def _check_closed_overlap(network: Network, first: dt.date, last: dt.date | None) -> None:
    closed = _closed_months_in(network, first, last)
    if closed:
        raise ValidationError(
            {
                "valid_from": _(
                    "%(month)s is closed: a new version can start only after the last closed month."
                )
                % {"month": closed[-1].strftime("%m/%Y")}
            }
        )


def _default_fallback(network: Network) -> Partner:
    partner = (
        Partner.objects.filter(network=network, is_coordinator=True).order_by("pk").first()
        or Partner.objects.filter(network=network, is_funder=True).order_by("pk").first()
    )
    if partner is None:
        raise ValidationError(_("The network needs a coordinating or funding partner first."))
    return partner


def _provisional_price(care_site: CareSite) -> Decimal:
    price = (
        ReservedCapacity.objects.filter(care_site=care_site, price__gt=0)
        .order_by("-valid_until")
        .values_list("price", flat=True)
        .first()
    )
    return price or Decimal(0)


def _sync_parties(covenant: Covenant) -> None:
    existing = set(covenant.parties.values_list("partner_id", flat=True))
    CovenantParty.objects.bulk_create(
        [
            CovenantParty(covenant=covenant, partner=p, roles=[str(r) for r in p.roles])
            for p in Partner.objects.filter(network_id=covenant.network_id)
            if p.pk not in existing
        ]
    )
    for party in covenant.parties.select_related("partner"):
        roles = [str(r) for r in party.partner.roles]
        if party.roles != roles:
            party.roles = roles
            party.save(update_fields=["roles"])


@transaction.atomic
def covenant_create(
    *,
    actor: Any,
    network: Network,
    title: str,
    valid_from: dt.date,
    valid_until: dt.date | None = None,
    signed_on: dt.date | None = None,
) -> Covenant:
    """A first (or further) covenant version with workable defaults: every partner as a
    party, every bookable site at its provisional price per day-part, paid when used, the
    Flemish day-count rule, a free parent contribution, and one key — fixed shares, all
    for the coordinating partner — to refine."""
    _require_manage(actor, network)
    last = Covenant.objects.filter(network=network).order_by("-version").first()
    covenant = Covenant(
        network=network,
        version=(last.version + 1) if last else 1,
        title=title.strip(),
        valid_from=valid_from,
        valid_until=valid_until,
        signed_on=signed_on,
        created_by=actor,
    )
    covenant.full_clean(exclude=["network", "created_by"], validate_unique=False)
    _check_versions(network, covenant)
    _check_closed_overlap(network, valid_from, valid_until)
    fallback = _default_fallback(network)
    covenant.save()
    _sync_parties(covenant)
    sites = CareSite.objects.filter(
        network=network,
        site__organisation__partnerships__network=network,
        site__organisation__partnerships__is_care_provider=True,
    ).distinct()
    SiteTariff.objects.bulk_create(
        [SiteTariff(covenant=covenant, care_site=s, price=_provisional_price(s)) for s in sites]
    )
    key = AllocationKey.objects.create(
        covenant=covenant, basis=BasisChoice.FIXED, valid_from=valid_from, valid_until=valid_until
    )
    AllocationShare.objects.create(key=key, match=FALLBACK, partner=fallback, percent=100)
    audit.record(actor=actor, action="create", obj=covenant, detail={"version": covenant.version})
    return covenant


COVENANT_FIELDS = {
    "title",
    "valid_from",
    "valid_until",
    "signed_on",
    "free_cancellation_hours",
    "late_cancellation_percent",
    "no_show_percent",
    "day_count",
    "contribution_mode",
    "short_notice_unit",
    "short_notice_price",
    "max_care_days",
    "priorities",
    "clauses",
}


def normalise_day_count(raw: Iterable[Any]) -> list[dict[str, str]]:
    """[(hours, percent) or {"from_hours":…, "percent":…}] -> the stored form, checked."""
    bands = []
    try:
        for item in raw:
            if isinstance(item, Mapping):
                hours, pct = item["from_hours"], item["percent"]
            elif isinstance(item, money.DayCountBand):
                hours, pct = item.from_hours, item.percent
            else:
                hours, pct = item
            bands.append(money.DayCountBand(Decimal(str(hours)), Decimal(str(pct))))
    except (KeyError, TypeError, ValueError, InvalidOperation) as exc:
        raise ValidationError(
            {"day_count": _("Give each band as hours from which it applies and a percentage.")}
        ) from exc
    messages = {
        "empty": _("The day-count rule needs at least one band."),
        "first_not_zero": _("The first band of the day-count rule starts at 0 hours."),
        "duplicate_start": _("Two bands of the day-count rule start at the same hour."),
        "negative": _("Hours and percentages cannot be negative."),
        "beyond_a_day": _("A band cannot start after 24 hours."),
    }
    problems = money.day_count_problems(bands)
    if problems:
        raise ValidationError({"day_count": [messages[p] for p in problems]})
    bands.sort(key=lambda b: b.from_hours)
    return [{"from_hours": str(b.from_hours), "percent": str(b.percent)} for b in bands]


def _normalise_max_care_days(raw: Mapping[str, Any]) -> dict[str, int]:
    out = {}
    for kind, days in raw.items():
        if kind not in ActivityKind.values:
            raise ValidationError(
                {"max_care_days": _("Unknown kind of activity: %(kind)s") % {"kind": kind}}
            )
        if days in (None, ""):
            continue
        try:
            value = int(days)
        except (TypeError, ValueError) as exc:
            raise ValidationError({"max_care_days": _("Give the number of days.")}) from exc
        if not 1 <= value <= 366:
            raise ValidationError(
                {"max_care_days": _("A maximum care period lies between 1 and 366 days.")}
            )
        out[kind] = value
    return out


def _normalise_priorities(raw: Mapping[str, Any]) -> dict[str, str]:
    out = {}
    for name in PRIORITY_CLASSES:
        try:
            value = Decimal(str(raw.get(name, "")))
        except InvalidOperation as exc:
            raise ValidationError({"priorities": _("Give each priority as a number.")}) from exc
        if value < 0 or value > 1000:
            raise ValidationError({"priorities": _("Priorities lie between 0 and 1000.")})
        out[name] = str(value)
    return out


@transaction.atomic
def covenant_update(*, actor: Any, covenant: Covenant, **fields: Any) -> Covenant:
    _require_manage(actor, covenant.network)
    unknown = set(fields) - COVENANT_FIELDS
    if unknown:
        raise ValueError(f"unknown covenant fields {sorted(unknown)}")
    covenant = Covenant.objects.select_for_update().get(pk=covenant.pk)
    _require_editable(covenant)
    if "day_count" in fields:
        fields["day_count"] = normalise_day_count(fields["day_count"])
    if "max_care_days" in fields:
        fields["max_care_days"] = _normalise_max_care_days(fields["max_care_days"] or {})
    if "priorities" in fields:
        fields["priorities"] = _normalise_priorities(fields["priorities"] or {})
    if "clauses" in fields:
        fields["clauses"] = {
            lang: str(text).strip()
            for lang, text in (fields["clauses"] or {}).items()
            if lang in ("nl", "fr", "en") and str(text).strip()
        }
    for name, value in fields.items():
        setattr(covenant, name, value)
    covenant.full_clean(exclude=["network", "created_by"], validate_unique=False)
    _check_versions(covenant.network, covenant)
    _check_closed_overlap(covenant.network, covenant.valid_from, covenant.valid_until)
    covenant.save()
    audit.record(actor=actor, action="update", obj=covenant, detail={"fields": sorted(fields)})
    return covenant


@transaction.atomic
def covenant_new_version(
    *, actor: Any, covenant: Covenant, valid_from: dt.date, title: str = ""
) -> Covenant:
    """A copy of a version's rules from `valid_from` on; the old version ends the day before
    (also when it governed closed months: only its end moves, never into a closed month)."""
    network = covenant.network
    _require_manage(actor, network)
    covenant = Covenant.objects.select_for_update().get(pk=covenant.pk)
    if valid_from <= covenant.valid_from or (
        covenant.valid_until is not None and valid_from > covenant.valid_until
    ):
        raise ValidationError(
            {"valid_from": _("The new version starts within the current one, after its start.")}
        )
    _check_closed_overlap(network, valid_from, None)
    last_version = Covenant.objects.filter(network=network).order_by("-version").first()
    assert last_version is not None
    old_until = covenant.valid_until
    covenant.valid_until = valid_from - ONE_DAY
    Covenant.objects.filter(pk=covenant.pk).update(valid_until=covenant.valid_until)
    new = Covenant.objects.get(pk=covenant.pk)
    new.pk = None
    new.version = last_version.version + 1
    new.title = title.strip() or covenant.title
    new.valid_from, new.valid_until = valid_from, old_until
    new.signed_on = None
    new.created_by = actor
    new.save()
    _sync_parties(new)
    SiteTariff.objects.bulk_create(
        [
            SiteTariff(
                covenant=new,
                care_site_id=t.care_site_id,
                unit=t.unit,
                price=t.price,
                payment=t.payment,
                short_notice_unit=t.short_notice_unit,
                short_notice_price=t.short_notice_price,
            )
            for t in covenant.site_tariffs.all()
        ]
    )
    ContributionYear.objects.bulk_create(
        [replace_pk(y, covenant=new) for y in covenant.contribution_years.all()]
    )
    for key in covenant.allocation_keys.prefetch_related("shares"):
        if key.valid_until is not None and key.valid_until < valid_from:
            continue
        copy = AllocationKey.objects.create(
            covenant=new,
            basis=key.basis,
            valid_from=max(key.valid_from, valid_from),
            valid_until=key.valid_until,
            note=key.note,
        )
        AllocationShare.objects.bulk_create(
            [
                AllocationShare(key=copy, match=s.match, partner_id=s.partner_id, percent=s.percent)
                for s in key.shares.all()
            ]
        )
    # The old version's keys end with it.
    AllocationKey.objects.filter(covenant=covenant, valid_from__gte=valid_from).delete()
    AllocationKey.objects.filter(covenant=covenant).filter(
        Q(valid_until__isnull=True) | Q(valid_until__gte=valid_from)
    ).update(valid_until=covenant.valid_until)
    audit.record(
        actor=actor,
        action="create",
        obj=new,
        detail={"version": new.version, "follows": covenant.version},
    )
    return new


def replace_pk(obj: Any, **changes: Any) -> Any:
    """An unsaved copy of a model instance with some fields changed."""
    copy = type(obj).objects.get(pk=obj.pk)
    copy.pk = None
    for name, value in changes.items():
        setattr(copy, name, value)
    return copy


@transaction.atomic
def covenant_parties_sync(*, actor: Any, covenant: Covenant) -> Covenant:
    _require_manage(actor, covenant.network)
    _require_editable(covenant)
    _sync_parties(covenant)
    audit.record(actor=actor, action="update", obj=covenant, detail={"parties": "synced"})
    return covenant


# --- Tariffs, parent contribution amounts ----------------------------------------------


@transaction.atomic
def site_tariff_save(
    *,
    actor: Any,
    covenant: Covenant,
    care_site: CareSite,
    unit: str,
    price: Decimal,
    payment: str,
    short_notice_unit: str = "",
    short_notice_price: Decimal | None = None,
) -> SiteTariff:
    _require_manage(actor, covenant.network)
    _require_editable(covenant)
    if care_site.network_id != covenant.network_id:
        raise ValidationError({"care_site": _("This site belongs to another network.")})
    if not Partner.objects.filter(
        network_id=covenant.network_id,
        organisation_id=care_site.site.organisation_id,
        is_care_provider=True,
    ).exists():
        raise ValidationError({"care_site": _("Only a care provider's site has a tariff.")})
    tariff = SiteTariff.objects.filter(
        covenant=covenant, care_site=care_site
    ).first() or SiteTariff(covenant=covenant, care_site=care_site)
    tariff.unit, tariff.price, tariff.payment = unit, price, payment
    tariff.short_notice_unit, tariff.short_notice_price = short_notice_unit, short_notice_price
    tariff.full_clean(exclude=["covenant", "care_site"], validate_constraints=False)
    if payment == PaymentChoice.ALWAYS and unit == UnitChoice.DAY:
        raise ValidationError(
            {
                "unit": _(
                    "Places paid whether used or not are priced per day-part or per hour: a "
                    "day is counted from the hours of care given."
                )
            }
        )
    if short_notice_unit and short_notice_price is None:
        raise ValidationError({"short_notice_price": _("Give the short-notice price too.")})
    tariff.save()
    audit.record(
        actor=actor,
        action="update",
        obj=covenant,
        detail={"site_tariff": care_site.pk, "price": str(price), "unit": unit},
    )
    return tariff


CONTRIBUTION_FIELDS = (
    "flat_day_amount",
    "min_day_price",
    "max_day_price",
    "income_floor",
    "income_ceiling",
    "sibling_discount_percent",
    "reduced_percent",
    "lowest_day_price",
)


@transaction.atomic
def contribution_year_save(
    *, actor: Any, covenant: Covenant, year: int, **amounts: Decimal
) -> ContributionYear:
    _require_manage(actor, covenant.network)
    _require_editable(covenant)
    unknown = set(amounts) - set(CONTRIBUTION_FIELDS)
    if unknown:
        raise ValueError(f"unknown amounts {sorted(unknown)}")
    row = ContributionYear.objects.filter(covenant=covenant, year=year).first() or ContributionYear(
        covenant=covenant, year=year
    )
    for name, value in amounts.items():
        setattr(row, name, value)
    row.full_clean(exclude=["covenant"], validate_constraints=False)
    messages = {
        "negative": _("Amounts cannot be negative."),
        "min_above_max": _("The minimum day price is above the maximum."),
        "floor_not_below_ceiling": _(
            "The income for the minimum price must lie below the income for the maximum."
        ),
        "lowest_above_min": _("The lowest tariff lies above the minimum day price."),
        "percent_above_100": _("A percentage cannot exceed 100."),
    }
    problems = money.contribution_problems(
        money.ContributionAmounts(**{f: getattr(row, f) for f in CONTRIBUTION_FIELDS})
    )
    if problems:
        raise ValidationError([messages[p] for p in problems])
    row.save()
    audit.record(actor=actor, action="update", obj=covenant, detail={"contribution_year": year})
    return row


# --- Allocation keys -------------------------------------------------------------------


@dataclass(frozen=True)
class ShareInput:
    match: str
    partner: Partner
    percent: Decimal


def _check_shares(
    covenant: Covenant, basis: str, shares: Sequence[ShareInput]
) -> dict[str, dict[int, Decimal]]:
    groups: dict[str, dict[int, Decimal]] = {}
    errors: list[str] = []
    for s in shares:
        match = s.match.strip()
        if basis == Basis.MUNICIPALITY:
            match = match.lower()
        if basis == Basis.FIXED and match:
            errors.append(_("Fixed shares apply to everything: leave 'applies to' empty."))
            continue
        if s.partner.network_id != covenant.network_id:
            errors.append(
                _("%(partner)s is not a partner of this network.") % {"partner": s.partner}
            )
            continue
        if s.percent is None or s.percent <= 0 or s.percent > 100:
            errors.append(_("A share lies above 0% and at most 100%."))
            continue
        group = groups.setdefault(match, {})
        if s.partner.pk in group:
            errors.append(
                _("%(partner)s appears twice for the same lines.") % {"partner": s.partner}
            )
            continue
        group[s.partner.pk] = s.percent
    if basis == Basis.ACTIVITY_KIND:
        unknown = [m for m in groups if m and m not in ActivityKind.values]
        if unknown:
            errors.append(_("Unknown kind of activity: %(kind)s") % {"kind": ", ".join(unknown)})
    if basis == Basis.REFERRER:
        partner_orgs = {
            str(o)
            for o in Partner.objects.filter(network_id=covenant.network_id).values_list(
                "organisation_id", flat=True
            )
        }
        unknown = [m for m in groups if m and m not in partner_orgs]
        if unknown:
            errors.append(_("Lines are matched by the referring partner organisation."))
    if FALLBACK not in groups:
        errors.append(
            _(
                "Every key needs fallback shares (leave 'applies to' empty) for the lines it "
                "does not match."
            )
        )
    for match, group in groups.items():
        total = sum(group.values(), Decimal(0))
        if total != 100:
            errors.append(
                _("The shares for %(match)s add up to %(total)s%%, not 100%%.")
                % {"match": match or _("the fallback"), "total": total}
            )
    if errors:
        raise ValidationError({"shares": errors})
    return groups


@transaction.atomic
def allocation_key_save(
    *,
    actor: Any,
    covenant: Covenant,
    basis: str,
    valid_from: dt.date,
    valid_until: dt.date | None,
    shares: Sequence[ShareInput],
    key: AllocationKey | None = None,
    note: str = "",
) -> AllocationKey:
    """Save a key with all its shares at once: shares sum to 100% for each match and for the
    fallback; the key lies within the covenant version and overlaps no other key."""
    _require_manage(actor, covenant.network)
    _require_editable(covenant)
    if basis not in BasisChoice.values:
        raise ValidationError({"basis": _("Choose how the key splits the costs.")})
    if key is not None and key.covenant_id != covenant.pk:
        raise PermissionDenied
    groups = _check_shares(covenant, basis, shares)
    existing = covenant.allocation_keys.all()
    if key is not None:
        existing = existing.exclude(pk=key.pk)
    others = [(k.valid_from, k.valid_until) for k in existing]
    problems = [
        p
        for p in period_problems(
            [*others, (valid_from, valid_until)],
            within=(covenant.valid_from, covenant.valid_until),
        )
        if p.code != "gap"
    ]
    if problems:
        raise ValidationError({"valid_from": _period_messages(problems, _("Allocation keys"))})
    key = key or AllocationKey(covenant=covenant)
    key.basis, key.valid_from, key.valid_until, key.note = basis, valid_from, valid_until, note
    key.full_clean(exclude=["covenant"])
    key.save()
    key.shares.all().delete()
    AllocationShare.objects.bulk_create(
        [
            AllocationShare(key=key, match=match, partner_id=partner_id, percent=pct)
            for match, group in groups.items()
            for partner_id, pct in group.items()
        ]
    )
    audit.record(
        actor=actor,
        action="update",
        obj=covenant,
        detail={"allocation_key": key.pk, "basis": basis, "from": valid_from.isoformat()},
    )
    return key


@transaction.atomic
def allocation_key_delete(*, actor: Any, key: AllocationKey) -> None:
    covenant = key.covenant
    _require_manage(actor, covenant.network)
    _require_editable(covenant)
    if covenant.allocation_keys.count() <= 1:
        raise ValidationError(_("A covenant keeps at least one allocation key."))
    key.delete()
    audit.record(actor=actor, action="delete", obj=covenant, detail={"allocation_key": key.pk})


def covenant_problems(covenant: Covenant) -> list[str]:
    """What would stop a month under this version from being settled."""
    keys = [(k.valid_from, k.valid_until) for k in covenant.allocation_keys.all()]
    out = _period_messages(
        period_problems(keys, within=(covenant.valid_from, covenant.valid_until)),
        _("Allocation keys"),
    )
    if covenant.contribution_mode != ContributionChoice.FREE:
        years = set(covenant.contribution_years.values_list("year", flat=True))
        last = covenant.valid_until or max(covenant.valid_from, timezone.localdate())
        missing = [y for y in range(covenant.valid_from.year, last.year + 1) if y not in years]
        if missing:
            out.append(
                _("Parent-contribution amounts are missing for %(years)s.")
                % {"years": ", ".join(str(y) for y in missing)}
            )
    return out


# --- Income attests --------------------------------------------------------------------


@transaction.atomic
def parent_tariff_set(
    *,
    actor: Any,
    client: Client,
    valid_from: dt.date,
    valid_until: dt.date | None = None,
    annual_income: Decimal | None = None,
    dependent_children: int = 1,
    reduction: str = "",
) -> ParentTariff:
    """Record a family's income attest; an earlier open-ended one ends the day before."""
    if not access.clients(actor).filter(pk=client.pk).exists():
        raise PermissionDenied
    if reduction not in ReductionChoice.values:
        raise ValidationError({"reduction": _("Choose a reduced tariff from the list.")})
    tariff = ParentTariff(
        client=client,
        valid_from=valid_from,
        valid_until=valid_until,
        annual_income=annual_income,
        dependent_children=dependent_children,
        reduction=reduction,
        recorded_by=actor,
    )
    tariff.full_clean(exclude=["client", "recorded_by"])
    if dependent_children < 1:
        raise ValidationError({"dependent_children": _("At least the child in care.")})
    ParentTariff.objects.filter(
        client=client, valid_from__lt=valid_from, valid_until__isnull=True
    ).update(valid_until=valid_from - ONE_DAY)
    overlapping = ParentTariff.objects.filter(client=client, valid_from__gte=valid_from)
    if valid_until is not None:
        overlapping = overlapping.filter(valid_from__lte=valid_until)
    if overlapping.exists():
        raise ValidationError(
            {"valid_from": _("Another attest of this family starts within this period.")}
        )
    tariff.save()
    audit.record(actor=actor, action="create", obj=client, detail={"parent_tariff": tariff.pk})
    return tariff


# --- Monthly calculation and settlement ------------------------------------------------


def first_of_month(day: dt.date) -> dt.date:
    return day.replace(day=1)


def add_months(month: dt.date, n: int) -> dt.date:
    index = month.year * 12 + month.month - 1 + n
    return dt.date(index // 12, index % 12 + 1, 1)


def _problem_messages(problems: Iterable[engine.Problem]) -> list[str]:
    sites = {}
    out = []
    for p in problems:
        params = dict(p.params)
        if "care_site_id" in params:
            site_id = params["care_site_id"]
            if site_id not in sites:
                found = CareSite.objects.select_related("site").filter(pk=site_id).first()
                sites[site_id] = found.site.name if found else str(site_id)
            params["site"] = sites[site_id]
        if "date" in params:
            params["date"] = _d(params["date"])
        text = {
            "no_covenant": _("No covenant version is in force on %(date)s."),
            "no_tariff": _("The covenant has no tariff for %(site)s."),
            "no_short_notice_tariff": _("The covenant has no short-notice tariff for %(site)s."),
            "no_amounts": _("The covenant has no parent-contribution amounts for %(year)s."),
            "no_key": _("No allocation key covers %(date)s."),
            "day_tariff_always": _(
                "%(site)s: places paid whether used or not cannot be priced per day."
            ),
        }.get(p.code, p.code)
        out.append(text % params)
    return sorted(set(out))


@dataclass
class Outcome:
    rows: list[engine.CostRow]
    result: engine.SettlementResult


def _corrections_for(settlement: Settlement) -> list[engine.CostRow]:
    """Adjustment lines for the closed months before `settlement` — only when it is the
    earliest open month, so that a correction lands in exactly one month."""
    network = settlement.network
    if Settlement.objects.filter(
        network=network, month__lt=settlement.month, status=SettlementStatus.OPEN
    ).exists():
        return []
    closed = Settlement.objects.filter(
        network=network,
        status=SettlementStatus.CLOSED,
        month__lt=settlement.month,
        month__gte=add_months(settlement.month, -CORRECTION_WINDOW_MONTHS),
    ).order_by("month")
    out: list[engine.CostRow] = []
    for c in closed:
        data = calculation.load_month(network, c.month)
        fresh = calculation.compute(data)
        if fresh.problems:
            raise ValidationError(
                [
                    _("Checking %(month)s for corrections:") % {"month": c.month.strftime("%m/%Y")},
                    *_problem_messages(fresh.problems),
                ]
            )
        booked = calculation.stored_rows(
            CostLine.objects.filter(
                Q(settlement=c, corrects__isnull=True)
                | Q(corrects=c, settlement__status=SettlementStatus.CLOSED)
            )
        )
        label = _("Correction of %(month)s") % {"month": c.month.strftime("%m/%Y")}
        out.extend(
            row._replace(description=label)
            for row in engine.corrections(fresh=fresh.rows, booked=booked, corrects_id=c.pk)
        )
    return out


def _outcome(settlement: Settlement) -> Outcome:
    """What the month costs now and how it splits — computed, not written."""
    with calculation.paused_gc():
        return _compute_outcome(settlement)


def _compute_outcome(settlement: Settlement) -> Outcome:
    network = settlement.network
    data = calculation.load_month(network, settlement.month)
    costs = calculation.compute(data)
    if costs.problems:
        raise ValidationError(_problem_messages(costs.problems))
    rows = costs.rows + _corrections_for(settlement)
    manual = calculation.stored_rows(settlement.lines.filter(kind=engine.CostKind.MANUAL))
    everything = rows + manual
    first = min((r.date for r in everything), default=data.first)
    versions = (
        data.versions
        if first >= data.first
        else calculation.load_rules(network, min(first, data.first), data.last)
    )
    result = engine.settle(everything, versions=versions, partner_by_org=data.partner_by_org)
    if result.problems:
        raise ValidationError(_problem_messages(result.problems))
    return Outcome(rows=rows, result=result)


def _write(settlement: Settlement, outcome: Outcome, actor: Any) -> None:
    user_id = actor.pk if getattr(actor, "pk", None) else None
    CostLine.objects.filter(settlement=settlement).exclude(kind=engine.CostKind.MANUAL).delete()
    Statement.objects.filter(settlement=settlement).delete()
    calculation.insert_lines(settlement, outcome.rows, user_id=user_id)
    calculation.write_statements(settlement, outcome.result)
    r = outcome.result
    updated = Settlement.objects.filter(pk=settlement.pk, status=SettlementStatus.OPEN).update(
        total=r.total,
        gross_total=r.gross_total,
        parent_total=r.parent_total,
        exact_total=str(r.exact_total)[:60],
        line_count=r.lines,
        calculated_at=timezone.now(),
        calculated_by_id=user_id,
    )
    if updated != 1:  # closed meanwhile: roll everything back
        raise ClosedPeriod


def _lock_open(settlement: Settlement) -> Settlement:
    locked = Settlement.objects.select_for_update().select_related("network").get(pk=settlement.pk)
    if locked.is_closed:
        raise ClosedPeriod
    return locked


def settlement_calculate(*, actor: Any, network: Network, month: dt.date) -> Settlement:
    """Calculate a month's cost lines and split them: all of it, or (on any error) nothing."""
    _require_manage(actor, network)
    month = first_of_month(month)
    last_closed = (
        Settlement.objects.filter(network=network, status=SettlementStatus.CLOSED)
        .order_by("-month")
        .first()
    )
    if last_closed is not None and month <= last_closed.month:
        if month == last_closed.month:
            raise ClosedPeriod
        raise ValidationError(
            _(
                "%(month)s comes before a closed month: it can no longer be settled. Changes "
                "go into the next open month as corrections."
            )
            % {"month": month.strftime("%m/%Y")}
        )
    with transaction.atomic():
        settlement, _created = Settlement.objects.get_or_create(network=network, month=month)
        settlement = _lock_open(settlement)
        outcome = _outcome(settlement)
        _write(settlement, outcome, actor)
        audit.record(
            actor=actor,
            action="update",
            obj=settlement,
            network_id=network.pk,
            detail={"calculated": settlement.slug, "total": str(outcome.result.total)},
        )
    settlement.refresh_from_db()
    return settlement


def _stored_totals(settlement: Settlement) -> dict[tuple[int, str], Decimal]:
    return {
        (partner, side): total
        for partner, side, total in Statement.objects.filter(settlement=settlement).values_list(
            "partner_id", "side", "total"
        )
    }


def _outcome_totals(result: engine.SettlementResult) -> dict[tuple[int, str], Decimal]:
    out = {(p, str(StatementSide.PROVIDER)): t for p, t in result.provider_totals.items()}
    out.update({(p, str(StatementSide.PAYER)): t for p, t in result.payer_totals.items()})
    return out


def settlement_close(*, actor: Any, settlement: Settlement) -> Settlement:
    """Close a month for good, once it is over, the months before it are closed, and its
    calculation is still what the data say."""
    _require_manage(actor, settlement.network)
    with transaction.atomic():
        settlement = _lock_open(settlement)
        if Settlement.objects.filter(
            network_id=settlement.network_id,
            month__lt=settlement.month,
            status=SettlementStatus.OPEN,
        ).exists():
            raise ValidationError(_("Close the earlier months first."))
        if calculation.month_bounds(settlement.month)[1] >= timezone.localdate():
            raise ValidationError(_("A month can be closed once it is over."))
        if settlement.calculated_at is None:
            raise ValidationError(_("Calculate the month before closing it."))
        outcome = _outcome(settlement)
        if outcome.result.total != settlement.total or _outcome_totals(
            outcome.result
        ) != _stored_totals(settlement):
            raise ValidationError(
                _(
                    "The costs changed since the last calculation (care registered meanwhile). "
                    "Calculate again and check before closing."
                ),
                code="stale",
            )
        updated = Settlement.objects.filter(pk=settlement.pk, status=SettlementStatus.OPEN).update(
            status=SettlementStatus.CLOSED, closed_at=timezone.now(), closed_by=actor
        )
        if updated != 1:
            raise ClosedPeriod
        audit.record(
            actor=actor,
            action="update",
            obj=settlement,
            network_id=settlement.network_id,
            detail={"closed": settlement.slug, "total": str(settlement.total)},
        )
    settlement.refresh_from_db()
    return settlement


def adjustment_add(
    *,
    actor: Any,
    settlement: Settlement,
    provider: Partner,
    amount: Decimal,
    description: str,
    date: dt.date | None = None,
) -> CostLine:
    """A manual correction (positive or negative) of what a provider is owed, split like
    lines without a booking (the fallback shares of the key in force on `date`)."""
    _require_manage(actor, settlement.network)
    description = description.strip()
    errors: dict[str, list[str]] = {}
    if provider.network_id != settlement.network_id or not provider.is_care_provider:
        errors.setdefault("provider", []).append(_("Choose a care provider of this network."))
    if not description:
        errors.setdefault("description", []).append(_("Say what the adjustment is for."))
    if amount is None or amount == 0:
        errors.setdefault("amount", []).append(_("Give an amount other than zero."))
    elif amount != amount.quantize(money.CENT) or abs(amount) >= Decimal("100000000"):
        errors.setdefault("amount", []).append(_("Give an amount in euros and cents."))
    first, last = calculation.month_bounds(settlement.month)
    date = date or first
    if not first <= date <= last:
        errors.setdefault("date", []).append(_("The date lies within the month."))
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        settlement = _lock_open(settlement)
        line = CostLine(
            settlement=settlement,
            kind=engine.CostKind.MANUAL,
            date=date,
            provider=provider,
            gross=amount,
            parent=Decimal(0),
            amount=amount,
            quantity=Decimal(1),
            unit_price=amount,
            description=description[:300],
            created_by=actor,
        )
        line.save()
        _write(settlement, _outcome(settlement), actor)
        audit.record(
            actor=actor,
            action="create",
            obj=settlement,
            network_id=settlement.network_id,
            detail={"adjustment": line.pk, "amount": str(amount)},
        )
    return line


def adjustment_delete(*, actor: Any, line: CostLine) -> None:
    settlement = line.settlement
    _require_manage(actor, settlement.network)
    if line.kind != engine.CostKind.MANUAL:
        raise ValidationError(_("Only a manual adjustment can be removed."))
    with transaction.atomic():
        settlement = _lock_open(settlement)
        CostLine.objects.filter(pk=line.pk, settlement=settlement).delete()
        _write(settlement, _outcome(settlement), actor)
        audit.record(
            actor=actor,
            action="delete",
            obj=settlement,
            network_id=settlement.network_id,
            detail={"adjustment": line.pk},
        )


# --- Preview of a rule change ----------------------------------------------------------


@dataclass(frozen=True)
class RuleChange:
    """A proposed change to the rules, for the preview. None: as in the covenant."""

    day_count: tuple[money.DayCountBand, ...] | None = None
    free_cancellation_hours: int | None = None
    late_cancellation_percent: Decimal | None = None
    no_show_percent: Decimal | None = None
    contribution_mode: str | None = None
    flat_day_amount: Decimal | None = None
    tariff_change_percent: Decimal | None = None  # e.g. 2.5: every site price +2.5%
    payment: str | None = None  # every site paid "always" or "used"

    def apply(self, rules: CovenantRules) -> CovenantRules:
        changes: dict[str, Any] = {}
        if self.day_count is not None:
            changes["day_count"] = self.day_count
        if self.free_cancellation_hours is not None:
            changes["free_cancellation_hours"] = self.free_cancellation_hours
        if self.late_cancellation_percent is not None:
            changes["late_cancellation_percent"] = self.late_cancellation_percent
        if self.no_show_percent is not None:
            changes["no_show_percent"] = self.no_show_percent
        if self.contribution_mode:
            changes["contribution_mode"] = money.ContributionMode(self.contribution_mode)
        if self.flat_day_amount is not None:
            changes["contribution_by_year"] = {
                year: replace(amounts, flat_day_amount=self.flat_day_amount)
                for year, amounts in rules.contribution_by_year.items()
            } or {
                rules.valid_from.year + i: money.ContributionAmounts(
                    flat_day_amount=self.flat_day_amount, income_ceiling=Decimal(1)
                )
                for i in range(0, 30)
            }
        if self.tariff_change_percent is not None or self.payment:
            factor = 1 + (self.tariff_change_percent or 0) / Decimal(100)
            sites = {}
            for site_id, terms in rules.sites.items():
                tariff = replace(terms.tariff, price=money.to_cents(terms.tariff.price * factor))
                payment = money.Payment(self.payment) if self.payment else terms.payment
                if payment == money.Payment.ALWAYS and tariff.unit == money.Unit.DAY:
                    payment = terms.payment  # a day tariff stays paid per use
                short = terms.short_notice
                if short is not None:
                    short = replace(short, price=money.to_cents(short.price * factor))
                sites[site_id] = replace(terms, tariff=tariff, payment=payment, short_notice=short)
            changes["sites"] = sites
            if rules.short_notice is not None:
                changes["short_notice"] = replace(
                    rules.short_notice, price=money.to_cents(rules.short_notice.price * factor)
                )
        return replace(rules, **changes)


@dataclass
class Preview:
    month: dt.date
    current: engine.SettlementResult
    proposed: engine.SettlementResult
    current_lines: int
    proposed_lines: int


def settlement_preview(
    *, actor: Any, network: Network, month: dt.date, change: RuleChange
) -> Preview:
    """What a month would have cost under changed rules — computed in memory, never saved.
    Both sides are computed the same way (the month's own care, without corrections of
    earlier months or manual adjustments), so that the difference is the rule change's."""
    _require_manage(actor, network)
    month = first_of_month(month)
    with calculation.paused_gc():
        return _preview(network, month, change)


def _preview(network: Network, month: dt.date, change: RuleChange) -> Preview:
    data = calculation.load_month(network, month)
    current = calculation.compute(data)
    reclassify = change.free_cancellation_hours is not None
    versions = [change.apply(v) for v in data.versions]
    proposed = calculation.compute(data, versions=versions, reclassify_cancellations=reclassify)
    problems = current.problems + proposed.problems
    if problems:
        raise ValidationError(_problem_messages(problems))
    now = engine.settle(current.rows, versions=data.versions, partner_by_org=data.partner_by_org)
    then = engine.settle(proposed.rows, versions=versions, partner_by_org=data.partner_by_org)
    if now.problems or then.problems:
        raise ValidationError(_problem_messages(now.problems + then.problems))
    return Preview(
        month=month,
        current=now,
        proposed=then,
        current_lines=len(current.rows),
        proposed_lines=len(proposed.rows),
    )
