"""Loading the demo region, idempotently: run it as often as you like.

Besides the networks, partners and log-ins, the demo has care capacity (age bands, a care
profile for every care-providing partner's site, reserved places, closures, short-notice
vacancies) and a handful of families with activities, care requests and bookings, among
them bookings on the demo day at 't Kriebeltje so that its staff see a day list.

Everything goes through the services, as a user would do it. Stable keys make a second
run change nothing: a client's INSZ (or name and date of birth), an activity's title, a
site's name. Dates are relative to today; only the day-list activities are keyed by their
date too, so that a run on a later day fills that day's list again.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import Any
from unittest import mock

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.db import transaction
from django.utils import timezone

from zorgbrug.access import audit
from zorgbrug.access.models import User
from zorgbrug.care import calendar as cal
from zorgbrug.care import selectors as care_selectors
from zorgbrug.care import services as care_services
from zorgbrug.care.capacity import capacity_rebuild
from zorgbrug.care.models import (
    HOLDING,
    Activity,
    AgeBand,
    Booking,
    CareRequest,
    CareSite,
    Closure,
    OpeningHours,
    ReservedCapacity,
    Vacancy,
)
from zorgbrug.clients import services as client_services
from zorgbrug.clients.consent_texts import TEXTS as CONSENT_TEXTS
from zorgbrug.clients.consent_texts import VERSION as CONSENT_VERSION
from zorgbrug.clients.models import CareRecipient, Client, FollowingOrganisation
from zorgbrug.demo import data
from zorgbrug.demo.schoolyear import school_holidays
from zorgbrug.network import services as network_services
from zorgbrug.network.models import (
    Contact,
    Membership,
    Network,
    Organisation,
    Partner,
    Postcode,
    Site,
    StaffRole,
)
from zorgbrug.training import services as training_services
from zorgbrug.training.models import Enrolment, Module, Session

# The site whose staff (provider@demo.zorgbrug.be) find children on their day list.
DAY_LIST_SITE = "'t Kriebeltje"


def require_debug() -> None:
    if not settings.DEBUG:
        raise ImproperlyConfigured(
            "Demo data is only for a development installation: run with DEBUG=1."
        )


@transaction.atomic
def load_demo(*, password: str | None = None) -> dict[str, Any]:
    require_debug()
    password = password or settings.DEMO_PASSWORD
    # Migrations load them, but a test database flushed between tests has lost them.
    from zorgbrug.clients.consent_texts import ensure_loaded
    from zorgbrug.clients.models import ConsentText

    ensure_loaded(ConsentText)
    for code, name, lat, lng, province in data.POSTCODES:
        Postcode.objects.update_or_create(
            code=code, name=name, defaults={"latitude": lat, "longitude": lng, "province": province}
        )

    networks: dict[str, Network] = {}
    for spec in data.NETWORKS:
        networks[spec["slug"]], _ = Network.objects.update_or_create(
            slug=spec["slug"], defaults={k: v for k, v in spec.items() if k != "slug"}
        )

    orgs: dict[str, Organisation] = {}
    for key, name, seed, kind, provider_kind, roles, sites in data.ORGANISATIONS:
        org, _ = Organisation.objects.update_or_create(
            kbo_number=data.kbo(seed),
            defaults={
                "name": name,
                "kind": kind,
                "provider_kind": provider_kind,
                "email": f"info@{key}.example",
            },
        )
        orgs[key] = org
        for slug, role_list in roles.items():
            defaults = {field: role in role_list for role, field in Partner.ROLE_FIELDS.items()}
            Partner.objects.update_or_create(
                network=networks[slug], organisation=org, defaults=defaults
            )
        for site_name, street, postcode, place in sites:
            if not Site.objects.filter(organisation=org, name=site_name).exists():
                network_services.site_create(
                    actor=None,
                    organisation=org,
                    name=site_name,
                    street=street,
                    postcode=postcode,
                    municipality=place,
                )

    for org_key, name, function, email, phone in data.CONTACTS:
        Contact.objects.update_or_create(
            organisation=orgs[org_key],
            name=name,
            defaults={"function": function, "email": email, "phone": phone},
        )

    # One argon2 hash for every demo account (same password): hashing is slow on purpose.
    hashed = ""

    def with_password(user: User) -> User:
        nonlocal hashed
        hashed = hashed or make_password(password)
        user.password = hashed
        user.save(update_fields=["password"])
        return user

    users = []
    for email, full_name, language, org_key, role in data.USERS:
        user = User.objects.filter(email=email).first()
        if user is None:
            user = with_password(
                User.objects.create_user(email, None, full_name=full_name, language=language)
            )
        network_services.membership_grant(
            actor=None, user=user, organisation=orgs[org_key], role=role
        )
        users.append(email)
    if not User.objects.filter(email="admin@demo.zorgbrug.be").exists():
        with_password(
            User.objects.create_superuser("admin@demo.zorgbrug.be", None, full_name="Demo Admin")
        )
    today = timezone.localdate()
    care = load_care(networks=networks, today=today)
    families = load_families(networks=networks, orgs=orgs, today=today)
    training = load_training(networks=networks, orgs=orgs, today=today)
    return {
        "networks": len(networks),
        "organisations": len(orgs),
        "users": users,
        **care,
        **families,
        **{f"training_{k}": v for k, v in training.items()},
    }


# --- Care capacity --------------------------------------------------------------------


def _site_manager(care_site: CareSite) -> User:
    """Who publishes the site's capacity: its own staff, or the network's coordinator."""
    staff = User.objects.filter(
        memberships__organisation_id=care_site.site.organisation_id,
        memberships__role=StaffRole.PROVIDER,
        memberships__is_active=True,
    ).first()
    if staff is not None:
        return staff
    membership = (
        Membership.objects.filter(
            role=StaffRole.COORDINATOR,
            is_active=True,
            organisation__partnerships__network_id=care_site.network_id,
            organisation__partnerships__is_coordinator=True,
        )
        .select_related("user")
        .order_by("pk")
        .first()
    )
    if membership is None:
        raise ImproperlyConfigured(f"nobody manages the care site {care_site}")
    return membership.user


def _time(text: str) -> dt.time:
    return dt.time.fromisoformat(text)


DEFAULT_PROFILE: dict[str, Any] = {
    "hours": "daycare",
    "bands": [data.BABY],
    "languages": ["nl"],
    "reserve": [(data.BABY, "am pm", "01234", 1, "15.00")],
}


def _reservations(
    profile: dict[str, Any], today: dt.date
) -> list[tuple[int, int, str, int, Decimal, dt.date, dt.date]]:
    """(band start, weekday, day-part, places, price, valid from, valid until) rows."""
    last = today + dt.timedelta(days=data.RESERVATION_DAYS - 1)
    rows = []
    periods = [(today, last)]
    for reserves, spans in (
        (profile.get("reserve", []), periods),
        (profile.get("holidays_only", []), [(a, b) for a, b, _n in school_holidays(today, last)]),
    ):
        for band, parts, days, places, price in reserves:
            for first, until in spans:
                present = {
                    (first + dt.timedelta(days=i)).weekday()
                    for i in range(min(7, (until - first).days + 1))
                }
                for weekday in (int(d) for d in days):
                    if weekday not in present:
                        continue
                    for part in parts.split():
                        rows.append((band, weekday, part, places, Decimal(price), first, until))
    return rows


def _reserve(
    care_site: CareSite,
    actor: User,
    rows: list[tuple[AgeBand, int, str, int, Decimal, dt.date, dt.date]],
) -> int:
    """Save a site's reserved places in one go, then build its slot counters once.

    `reservation_save` rebuilds the counters after every row; for the demo's 240 rows that
    takes some 15 seconds. The rows get the service's checks here (an age band the site
    takes, a day-part the site is open), the database's CHECKs do the rest, and
    `capacity_rebuild` materialises the counters exactly as the service would.
    """
    taken = set(care_site.age_bands.values_list("pk", flat=True))
    hours = list(care_site.opening_hours.all())
    objs = []
    for band, weekday, part, places, price, first, until in rows:
        window = cal.WINDOW_BY_PART[part]
        is_open = any(
            h.weekday == weekday and h.opens < window.end and h.closes > window.start for h in hours
        )
        if band.pk not in taken or not is_open:
            raise ImproperlyConfigured(
                f"demo data: {care_site} takes no {band} on weekday {weekday} ({part})"
            )
        objs.append(
            ReservedCapacity(
                care_site=care_site,
                age_band=band,
                weekday=weekday,
                day_part=part,
                places=places,
                price=price,
                valid_from=first,
                valid_until=until,
            )
        )
    if not objs:
        return 0
    ReservedCapacity.objects.bulk_create(objs)
    capacity_rebuild(
        care_site=care_site,
        first=min(r.valid_from for r in objs),
        last=max(r.valid_until for r in objs),
    )
    audit.record(actor=actor, action="update", obj=care_site, detail={"reservations": len(objs)})
    return len(objs)


def _next_weekday(after: dt.date, weekday: int, *, at_least: int = 1) -> dt.date:
    """The first `weekday` at least `at_least` days after `after` that is no public holiday."""
    day = after + dt.timedelta(days=at_least)
    while day.weekday() != weekday or cal.is_public_holiday(day):
        day += dt.timedelta(days=1)
    return day


def load_care(*, networks: dict[str, Network], today: dt.date) -> dict[str, int]:
    """Age bands, care sites with opening hours, reserved places, closures, vacancies."""
    bands: dict[tuple[int, int], AgeBand] = {}
    for network in networks.values():
        for name, low, high in data.AGE_BANDS:
            band, _ = AgeBand.objects.update_or_create(
                network=network, min_months=low, defaults={"name": name, "max_months": high}
            )
            bands[(network.pk, low)] = band
    sites: dict[str, CareSite] = {}
    reservations = 0
    partners = (
        Partner.objects.filter(network__in=networks.values(), is_care_provider=True)
        .select_related("organisation", "network")
        .order_by("network__slug", "organisation__kbo_number")
    )
    for partner in partners:
        for site in Site.objects.filter(organisation=partner.organisation).order_by("pk"):
            profile = data.CARE_SITES.get(site.name, DEFAULT_PROFILE)
            care_site, created = CareSite.objects.get_or_create(
                site=site,
                defaults={
                    "network": partner.network,
                    "languages": profile["languages"],
                    "wheelchair_accessible": profile.get("wheelchair_accessible", False),
                    "meals": profile.get("meals", True),
                    "notes": profile.get("notes", ""),
                    "needs_confirmation": profile.get("needs_confirmation", False),
                },
            )
            sites[site.name] = care_site
            if created:
                care_site.age_bands.set([bands[(partner.network_id, b)] for b in profile["bands"]])
            if not care_site.opening_hours.exists():
                OpeningHours.objects.bulk_create(
                    OpeningHours(
                        care_site=care_site,
                        weekday=weekday,
                        opens=_time(opens),
                        closes=_time(closes),
                    )
                    for weekday, spans in data.OPENING_HOURS[profile["hours"]].items()
                    for opens, closes in spans
                )
            if care_site.reservations.exists():
                continue  # loaded before: leave the provider's capacity as it is
            rows = _reservations(profile, today)
            reservations += _reserve(
                care_site,
                _site_manager(care_site),
                [(bands[(partner.network_id, r[0])], *r[1:]) for r in rows],
            )
    closures = _load_closures(sites, today)
    vacancies = _load_vacancies(sites, bands, today)
    return {
        "care_sites": len(sites),
        "reservations_added": reservations,
        "closures_added": closures,
        "vacancies_added": vacancies,
    }


def _load_closures(sites: dict[str, CareSite], today: dt.date) -> int:
    added = 0
    for site_name, reason, weekday, days_ahead, length in data.CLOSURES:
        care_site = sites.get(site_name)
        if care_site is None:
            continue
        if Closure.objects.filter(care_site=care_site, reason=reason, last_day__gte=today).exists():
            continue
        first = _next_weekday(today, weekday, at_least=days_ahead)
        try:
            care_services.closure_add(
                actor=_site_manager(care_site),
                care_site=care_site,
                first_day=first,
                last_day=first + dt.timedelta(days=length - 1),
                reason=reason,
            )
        except ValidationError:
            continue  # bookings made since an earlier run fall on it: leave it out
        added += 1
    return added


def _load_vacancies(
    sites: dict[str, CareSite], bands: dict[tuple[int, int], AgeBand], today: dt.date
) -> int:
    next_monday = today + dt.timedelta(days=7 - today.weekday())
    added = 0
    for site_name, weekday, part, band_start, places, price in data.VACANCIES:
        care_site = sites.get(site_name)
        if care_site is None:
            continue
        band = bands[(care_site.network_id, band_start)]
        day = next_monday + dt.timedelta(days=weekday)
        if Vacancy.objects.filter(
            care_site=care_site, age_band=band, date=day, day_part=part, withdrawn_at__isnull=True
        ).exists():
            continue
        try:
            care_services.vacancy_publish(
                actor=_site_manager(care_site),
                care_site=care_site,
                age_band=band,
                date=day,
                day_part=part,
                places=places,
                price=Decimal(price),
            )
        except ValidationError:
            continue  # closed that day (a public holiday, a closure)
        added += 1
    return added


# --- Families, activities and bookings ------------------------------------------------


def demo_day(today: dt.date | None = None) -> dt.date:
    """The day whose list 't Kriebeltje's staff see filled: today, or its next open day."""
    day = today or timezone.localdate()
    site = CareSite.objects.filter(site__name=DAY_LIST_SITE).first()
    while day.weekday() >= 5 or (
        cal.is_public_holiday(day) if site is None else care_services.is_closed(site, day)
    ):
        day += dt.timedelta(days=1)
    return day


@contextmanager
def _as_of(moment: dt.datetime) -> Iterator[None]:
    """Run the services as if it were `moment`.

    The demo day's bookings were made the evening before, as they would be in real life:
    loaded at 14:00, a morning booking for today would otherwise be refused as "in the
    past". Only the clock moves; every check of the services still applies.
    """
    with mock.patch.object(timezone, "now", return_value=moment):
        yield


def _arranged_before(day: dt.date) -> Any:
    """Run the services as of the evening before the demo day (or now, if earlier): what
    the demo shows was arranged before the day, as it would be in real life."""
    evening_before = dt.datetime.combine(
        day - dt.timedelta(days=1), dt.time(18), tzinfo=timezone.get_current_timezone()
    )
    return _as_of(min(timezone.now(), evening_before))


def _months_before(day: dt.date, months: int) -> dt.date:
    index = day.year * 12 + day.month - 1 - months
    year, month = divmod(index, 12)
    return dt.date(year, month + 1, min(day.day, 28))


def _find_client(network: Network, fields: dict[str, Any]) -> Client | None:
    if fields.get("insz"):
        return Client.objects.filter(network=network, insz=fields["insz"]).first()
    return Client.objects.filter(
        network=network,
        search_name=client_services.normalise_name(fields["first_name"], fields["last_name"]),
        birth_date=fields["birth_date"],
    ).first()


def _register(
    spec: dict[str, Any], network: Network, orgs: dict[str, Organisation], today: dt.date
) -> Client:
    email, org_key = spec["intake"]
    fields = dict(spec["client"])
    client = _find_client(network, fields)
    if client is None:
        children = [
            {
                "kind": "child",
                "first_name": child["first_name"],
                "birth_date": _months_before(today, child["age_months"]),
                **{k: v for k, v in child.items() if k not in {"first_name", "age_months"}},
            }
            for child in spec["children"]
        ]
        index = {c["first_name"]: i for i, c in enumerate(children)}
        client = client_services.client_register(
            actor=User.objects.get(email=email),
            organisation=orgs[org_key],
            network=network,
            client=fields,
            consent={
                "care_support": True,
                "share_with_partners": True,
                "research_use": True,
                "special_category": False,
                "language": next((x for x in fields["languages"] if x in CONSENT_TEXTS), "nl"),
                "text_version": CONSENT_VERSION,
            },
            recipients=children,
            screening={**spec["screening"], "taken_on": timezone.localdate()},
            needs=[
                {
                    "recipient_index": index[name],
                    "arrangement": arrangement,
                    "days_needed": days,
                    "hours_per_week": hours,
                }
                for name, arrangement, days, hours in spec["needs"]
            ],
        )
    for follower_email, follower_org in spec["follow"]:
        organisation = orgs[follower_org]
        if not FollowingOrganisation.objects.filter(
            client=client, organisation=organisation, until__isnull=True
        ).exists():
            client_services.client_follow(
                actor=User.objects.get(email=follower_email),
                organisation=organisation,
                client_id=client.pk,
            )
    return client


def _activity_dates(spec: dict[str, Any], day: dt.date) -> tuple[dt.date, dt.date | None]:
    when = spec["when"]
    first = day if when == "demo_day" else _next_weekday(day, when[1])
    last = first + dt.timedelta(days=7 * spec["weeks"] - 1) if spec.get("rule") else None
    return first, last


def _book_activity(
    spec: dict[str, Any],
    client: Client,
    actor: User,
    organisation: Organisation,
    day: dt.date,
) -> str:
    """Create the activity, ask care and book the proposal at the spec's site.

    Returns what happened: "exists", "skipped", "booked", "waitlisted", or "pending" for
    a spec marked so: asked, left for the coordinator's allocation run.
    """
    first, last = _activity_dates(spec, day)
    key = {"client": client, "title": spec["title"]}
    if spec["when"] == "demo_day":
        key["first_date"] = first
    if Activity.objects.filter(**key).exists():
        return "exists"
    recipients = list(
        CareRecipient.objects.filter(client=client, first_name__in=spec["children"]).order_by("pk")
    )
    start, end = (_time(t) for t in spec["hours"])
    travel = spec.get("travel", 30)
    dates = cal.occurrences(start=first, rule=spec.get("rule", ""), until=last)
    parts = cal.day_parts_for(start, end, travel_minutes=travel)
    taken = set(
        Booking.objects.filter(
            recipient__in=recipients, status__in=HOLDING, date__in=dates
        ).values_list("date", "day_part")
    )
    if not dates or taken & {(d, p) for d in dates for p in parts}:
        return "skipped"  # a child is booked elsewhere then already (a run on another day)
    location, postcode = spec["where"]
    activity = care_services.activity_create(
        actor=actor,
        client=client,
        organisation=organisation,
        kind=spec["kind"],
        title=spec["title"],
        location=location,
        postcode=postcode,
        first_date=first,
        last_date=last,
        recurrence=spec.get("rule", ""),
        start_time=start,
        end_time=end,
        travel_minutes=travel,
    )
    request = care_services.care_request_create(
        actor=actor,
        activity=activity,
        recipients=recipients,
        urgency=spec.get("urgency", "normal"),
        preference=spec.get("preference", "home"),
        language=spec.get("language", ""),
    )
    if spec.get("pending"):
        return "pending"
    return _place(actor, request, spec["site"])


def _place(actor: User, request: CareRequest, site: str | None = None) -> str:
    """Book the request's best proposal (at `site` when it is among them), as a referrer
    would, or put it on the waiting list: "booked" or "waitlisted"."""
    proposal = care_selectors.options_for_request(request)
    wanted = [o for o in proposal.options if [s.site.name for s in o.sites] == [site]]
    options = wanted or proposal.options
    if options:
        option = options[0]
        try:
            care_services.booking_create(actor=actor, request=request, plan=option.plan)
        except ValidationError:
            pass
        else:
            return "booked"
    care_services.request_waitlist(actor=actor, request=request)
    return "waitlisted"


# --- Training ---------------------------------------------------------------------------


def load_training(
    *, networks: dict[str, Network], orgs: dict[str, Organisation], today: dt.date
) -> dict[str, int]:
    """Each network's catalogue with sessions in the coming weeks, and a few demo parents
    enrolled by their referrer: care for their children is asked with the seat (and booked
    where the data says so). Idempotent: what exists is left as it is."""
    day = demo_day(today)
    with _arranged_before(day):
        return _load_training(networks, orgs, day)


def _load_training(
    networks: dict[str, Network], orgs: dict[str, Organisation], day: dt.date
) -> dict[str, int]:
    made = {"modules": 0, "sessions": 0, "enrolments": 0}
    for spec in data.TRAINING:
        network, provider = networks[spec["network"]], orgs[spec["provider"]]
        manager = User.objects.get(email=spec["by"])
        module = Module.objects.filter(
            network=network, organisation=provider, kind=spec["kind"]
        ).first()
        if module is None:
            module = training_services.module_create(
                actor=manager,
                network=network,
                organisation=provider,
                kind=spec["kind"],
                names=spec["names"],
                descriptions=spec["descriptions"],
            )
            made["modules"] += 1
        site = Site.objects.get(organisation=provider, name=spec["site"])
        for weeks, weekday, start, end, seats in spec["sessions"]:
            date = _next_weekday(day + dt.timedelta(weeks=weeks - 1), weekday)
            session = Session.objects.filter(module=module, date=date).first()
            if session is None:
                session = training_services.session_create(
                    actor=manager,
                    module=module,
                    date=date,
                    start_time=_time(start),
                    end_time=_time(end),
                    seats=seats,
                    site=site,
                )
                made["sessions"] += 1
            for (email, _org), first_name, last_name, book in spec["enrol"]:
                client = Client.objects.filter(
                    network=network, first_name=first_name, last_name=last_name
                ).first()
                if (
                    client is None
                    or Enrolment.objects.filter(session=session, client=client).exists()
                ):
                    continue
                referrer = User.objects.get(email=email)
                enrolment = training_services.enrolment_create(
                    actor=referrer, session=session, client=client
                )
                made["enrolments"] += 1
                if book and enrolment.care_request is not None:
                    _place(referrer, enrolment.care_request)
    return made


def load_families(
    *, networks: dict[str, Network], orgs: dict[str, Organisation], today: dt.date
) -> dict[str, Any]:
    """Demo clients with their activities, care requests and bookings."""
    day = demo_day(today)
    outcome: dict[str, int] = {
        "booked": 0,
        "waitlisted": 0,
        "pending": 0,
        "skipped": 0,
        "exists": 0,
    }
    clients = 0
    with _arranged_before(day):
        for spec in data.FAMILIES:
            network = networks[spec["network"]]
            client = _register(spec, network, orgs, today)
            clients += 1
            for activity in spec["activities"]:
                email, org_key = activity.get("by", spec["intake"])
                result = _book_activity(
                    activity, client, User.objects.get(email=email), orgs[org_key], day
                )
                outcome[result] += 1
    return {
        "demo_day": day.isoformat(),
        "clients": clients,
        "activities_booked": outcome["booked"],
        "activities_waitlisted": outcome["waitlisted"],
        "activities_pending": outcome["pending"],
    }
