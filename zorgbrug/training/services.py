"""Writes of the training domain: the catalogue, sessions, enrolments, attendance and the
care that follows an enrolment.

Seats and the waiting list (docs/training.md has the long version):
- Every change to a session's enrolments first locks the session row (SELECT … FOR UPDATE,
  bounded by a lock timeout on PostgreSQL: a timeout becomes `Busy`). One queue per session:
  the waiting list is served in its order and nobody jumps it.
- A seat is taken with a conditional UPDATE, `taken = taken + 1 WHERE taken < seats`; a full
  session puts the client on the waiting list (or refuses, when the caller said so). The
  CHECK constraint `taken <= seats` backs it up, so a bug cannot overfill a session.
- Freeing a seat and promoting the first person waiting happen in the same transaction,
  under the same lock.

Care: a client enrolled in a session whose children need care gets one care request for
that session, asked through `zorgbrug.care.services` (activity kind `training_session`).
One request per session rather than one per module: sessions differ in date, hours and
place (an Activity has one of each), each session has its own seat and waiting list, and a
booking is all or nothing per request — so a full Tuesday at the daycare does not block the
care for the other sessions, and cancelling one session cancels exactly its care.

Care is asked, and cancelled, in the name of whoever acts — and only someone who follows the
client may do that (the care domain's rule). When a trainer enrols, moves a session or
cancels, or the waiting list promotes someone on a trainer's cancellation, the enrolment is
marked `to_ask`, `to_move` or `to_cancel` and appears on the referrer's worklist, who
settles it with one click (`enrolment_care_sync`).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import OperationalError, connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from zorgbrug.access import audit
from zorgbrug.access import scoping as access
from zorgbrug.care import calendar as cal
from zorgbrug.care import services as care_services
from zorgbrug.care.models import (
    ActivityKind,
    AgeBand,
    Booking,
    BookingStatus,
    CareRequest,
    RequestStatus,
)
from zorgbrug.care.services import Busy
from zorgbrug.clients.models import CareRecipient, Client, ClientStatus, RecipientKind
from zorgbrug.network.models import Membership, Network, Organisation, Partner, Site, StaffRole
from zorgbrug.network.services import postcode_lookup
from zorgbrug.training.models import (
    ACTIVE_STATUSES,
    FALLBACK_LANGUAGE,
    Attendance,
    CareStatus,
    Enrolment,
    EnrolmentStatus,
    Module,
    ModuleKind,
    Session,
)

__all__ = ["Busy"]

# Switched off only by the control test that shows the race the lock and the conditional
# update prevent.
SEAT_LOCKING = True
RACE_WINDOW_SECONDS = 0.0
LOCK_TIMEOUT_MS = 3000
TRAVEL_MINUTES = 30
MAX_SEATS = 500
MAX_NAME = 200
MAX_DESCRIPTION = 4000


def language_codes() -> list[str]:
    return [code for code, _name in settings.LANGUAGES]


# --- Permissions ----------------------------------------------------------------------


def _require_manage_module(actor: Any, module: Module) -> None:
    if not access.training_modules(actor, manage=True).filter(pk=module.pk).exists():
        raise PermissionDenied


def _follows(actor: Any, client: Client) -> bool:
    return access.clients(actor).filter(pk=client.pk).exists()


def _client_organisation(actor: Any, client: Client) -> Organisation | None:
    """The organisation through which the actor follows the client (the lowest id, so that
    the choice does not depend on the order of rows)."""
    return (
        Organisation.objects.filter(
            pk__in=access.client_organisation_ids(actor),
            followed_clients__client=client,
            followed_clients__until__isnull=True,
        )
        .order_by("pk")
        .first()
    )


# --- The catalogue --------------------------------------------------------------------


def _clean_texts(
    texts: dict[str, Any] | None, *, field: str, required: bool, max_length: int
) -> dict[str, str]:
    codes = language_codes()
    clean = {}
    for code, value in (texts or {}).items():
        if code not in codes:
            raise ValidationError(
                {field: _("Unknown language %(code)s.") % {"code": code}}, code="language"
            )
        text = str(value or "").strip()
        if len(text) > max_length:
            raise ValidationError(
                {
                    field: _("At most %(n)s characters (%(language)s).")
                    % {"n": max_length, "language": code}
                }
            )
        if text:
            clean[code] = text
    if required and FALLBACK_LANGUAGE not in clean:
        raise ValidationError({field: _("Give at least the Dutch name.")}, code="required")
    return clean


def _check_provider(network: Network, organisation: Organisation) -> None:
    if not Partner.objects.filter(
        network=network, organisation=organisation, is_training_provider=True
    ).exists():
        raise ValidationError(
            {
                "organisation": _("%(org)s is not a training provider of %(network)s.")
                % {"org": organisation.name, "network": network.name}
            }
        )


@transaction.atomic
def module_create(
    *,
    actor: Any,
    network: Network,
    organisation: Organisation,
    kind: str,
    names: dict[str, Any],
    descriptions: dict[str, Any] | None = None,
) -> Module:
    """A module in the network's catalogue, given by a training provider of the network.
    Trainers add modules of their own organisation; coordinators of any provider."""
    actor_info = access.actor_for(actor)
    if not (
        actor_info.coordinates(network.pk)
        or (
            organisation.pk in access.training_organisation_ids(actor)
            and network.pk in actor_info.network_ids
        )
    ):
        raise PermissionDenied
    if kind not in ModuleKind.values:
        raise ValidationError({"kind": _("Choose the kind of module.")})
    _check_provider(network, organisation)
    module = Module(
        network=network,
        organisation=organisation,
        kind=kind,
        names=_clean_texts(names, field="names", required=True, max_length=MAX_NAME),
        descriptions=_clean_texts(
            descriptions, field="descriptions", required=False, max_length=MAX_DESCRIPTION
        ),
        created_by=actor,
    )
    module.save()
    audit.record(
        actor=actor,
        action="create",
        obj=module,
        network_id=network.pk,
        organisation_id=organisation.pk,
    )
    return module


MODULE_FIELDS = {"kind", "names", "descriptions", "is_active"}


@transaction.atomic
def module_update(*, actor: Any, module: Module, **fields: Any) -> Module:
    _require_manage_module(actor, module)
    unknown = set(fields) - MODULE_FIELDS
    if unknown:
        raise ValueError(f"unknown module fields {sorted(unknown)}")
    module = Module.objects.select_for_update().get(pk=module.pk)
    if "kind" in fields:
        if fields["kind"] not in ModuleKind.values:
            raise ValidationError({"kind": _("Choose the kind of module.")})
        module.kind = fields["kind"]
    if "names" in fields:
        module.names = _clean_texts(
            fields["names"], field="names", required=True, max_length=MAX_NAME
        )
    if "descriptions" in fields:
        module.descriptions = _clean_texts(
            fields["descriptions"],
            field="descriptions",
            required=False,
            max_length=MAX_DESCRIPTION,
        )
    if "is_active" in fields:
        module.is_active = bool(fields["is_active"])
    module.save()
    audit.record(
        actor=actor,
        action="update",
        obj=module,
        network_id=module.network_id,
        organisation_id=module.organisation_id,
        detail={"fields": sorted(fields)},
    )
    return module


# --- Sessions -------------------------------------------------------------------------


def has_started(day: dt.date, start: dt.time, now: dt.datetime | None = None) -> bool:
    now = timezone.localtime(now or timezone.now())
    return dt.datetime.combine(day, start, tzinfo=now.tzinfo) <= now


def _is_trainer_of(user: Any, organisation: Organisation) -> bool:
    return Membership.objects.filter(
        user=user, organisation=organisation, role=StaffRole.TRAINER, is_active=True
    ).exists()


def _schedule_errors(
    date: dt.date | None, start_time: dt.time | None, end_time: dt.time | None
) -> dict[str, list[str]]:
    """What is wrong with a session's date and hours: not in the past, not on a public
    holiday (childcare is closed), ending after it starts."""
    errors: dict[str, list[str]] = {}
    if date and start_time and has_started(date, start_time):
        errors.setdefault("date", []).append(_("A session cannot be planned in the past."))
    elif date and cal.is_public_holiday(date):
        errors.setdefault("date", []).append(
            _("%(date)s is a public holiday: childcare is closed. Choose another day.")
            % {"date": date.strftime("%d/%m/%Y")}
        )
    if start_time and end_time and end_time <= start_time:
        errors.setdefault("end_time", []).append(_("The session must end after it starts."))
    return errors


def _place_errors(
    session: Session, network_id: int, site: Site | None, address: str, postcode: str
) -> dict[str, list[str]]:
    """Set the session's place — a site of a partner of the network, or an address with a
    Belgian postcode — and say what is wrong with it."""
    errors: dict[str, list[str]] = {}
    if site is not None:
        if not Partner.objects.filter(
            network_id=network_id, organisation_id=site.organisation_id
        ).exists():
            errors.setdefault("site", []).append(
                _("Choose a site of a partner organisation of this network.")
            )
        session.site = site
        session.address = session.postcode = session.municipality = ""
        return errors
    session.site = None
    session.address = (address or "").strip()
    session.postcode = (postcode or "").strip()
    if not session.address:
        errors.setdefault("address", []).append(
            _("Choose a site, or give the address of the place.")
        )
    match = postcode_lookup(code=session.postcode) if session.postcode else None
    if match is None:
        errors.setdefault("postcode", []).append(
            _("Unknown postcode %(code)s: enter a Belgian postcode, e.g. 9900.")
            % {"code": session.postcode}
            if session.postcode
            else _("Give the postcode of the place.")
        )
    else:
        session.municipality = match.name
    return errors


def _merge(*groups: dict[str, list[str]]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for group in groups:
        for field, messages in group.items():
            out.setdefault(field, []).extend(messages)
    return out


@transaction.atomic
def session_create(
    *,
    actor: Any,
    module: Module,
    date: dt.date,
    start_time: dt.time,
    end_time: dt.time,
    seats: int,
    site: Site | None = None,
    address: str = "",
    postcode: str = "",
    trainer: Any = None,
) -> Session:
    """Plan a session of a module: not in the past, at a partner's site or an address."""
    _require_manage_module(actor, module)
    errors: dict[str, list[str]] = {}
    if not module.is_active:
        errors.setdefault("module", []).append(_("This module is no longer offered."))
    errors = _merge(errors, _schedule_errors(date, start_time, end_time))
    if not 1 <= int(seats or 0) <= MAX_SEATS:
        errors.setdefault("seats", []).append(
            _("Give between 1 and %(n)s seats.") % {"n": MAX_SEATS}
        )
    session = Session(
        module=module,
        date=date,
        start_time=start_time,
        end_time=end_time,
        seats=seats,
        created_by=actor,
    )
    errors = _merge(errors, _place_errors(session, module.network_id, site, address, postcode))
    if trainer is not None:
        if not _is_trainer_of(trainer, module.organisation):
            errors.setdefault("trainer", []).append(
                _("The trainer must work for %(org)s.") % {"org": module.organisation.name}
            )
        session.trainer = trainer
    elif _is_trainer_of(actor, module.organisation):
        session.trainer = actor
    if errors:
        raise ValidationError(errors)
    session.save()
    _audit_session(
        actor,
        session,
        action="create",
        detail={"module": module.pk, "date": date.isoformat(), "seats": seats},
    )
    return session


def _audit_session(actor: Any, session: Session, *, action: str, detail: dict[str, Any]) -> None:
    """Audit a change to a session, readable by its module's organisation and network."""
    audit.record(
        actor=actor,
        action=action,
        obj=session,
        network_id=session.module.network_id,
        organisation_id=session.module.organisation_id,
        detail=detail,
    )


def _lock_session(session: Session) -> Session:
    """The session row, locked until the end of the transaction: one queue per session."""
    if not SEAT_LOCKING:
        return Session.objects.select_related("module", "site").get(pk=session.pk)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"SET LOCAL lock_timeout = {int(LOCK_TIMEOUT_MS)}")
    try:
        return (
            Session.objects.select_for_update(of=("self",))
            .select_related("module", "site")
            .get(pk=session.pk)
        )
    except OperationalError as exc:
        if "lock timeout" in str(exc).lower() or "could not obtain lock" in str(exc).lower():
            raise Busy from exc
        raise


def _lock_to_come(actor: Any, session: Session, *, cancelled: str, started: str) -> Session:
    """The session locked for a manager's change that only a session still to come
    allows (moving, cancelling); `cancelled` and `started` say why not."""
    _require_manage_module(actor, session.module)
    session = _lock_session(session)
    if session.is_cancelled:
        raise ValidationError(cancelled)
    if has_started(session.date, session.start_time):
        raise ValidationError(started)
    return session


def _take_seat(session: Session) -> bool:
    if SEAT_LOCKING:
        return (
            Session.objects.filter(pk=session.pk, taken__lt=F("seats")).update(taken=F("taken") + 1)
            == 1
        )
    # The naive read-check-write the control test uses to show the race.
    current = Session.objects.get(pk=session.pk)
    time.sleep(RACE_WINDOW_SECONDS)
    if current.taken >= current.seats:
        return False
    Session.objects.filter(pk=session.pk).update(taken=current.taken + 1)
    return True


def _free_seat(session: Session) -> None:
    Session.objects.filter(pk=session.pk, taken__gt=0).update(taken=F("taken") - 1)


@transaction.atomic
def session_update(
    *, actor: Any, session: Session, seats: int | None = None, trainer: Any = ...
) -> Session:
    """Change the seats (never below the seats taken; more seats serve the waiting list)
    or the trainer."""
    _require_manage_module(actor, session.module)
    session = _lock_session(session)
    detail: dict[str, Any] = {}
    if trainer is not ...:
        if trainer is not None and not _is_trainer_of(trainer, session.module.organisation):
            raise ValidationError(
                {
                    "trainer": _("The trainer must work for %(org)s.")
                    % {"org": session.module.organisation.name}
                }
            )
        session.trainer = trainer
        Session.objects.filter(pk=session.pk).update(trainer=trainer)
        detail["trainer"] = getattr(trainer, "pk", None)
    promoted: list[Enrolment] = []
    if seats is not None:
        if not 1 <= seats <= MAX_SEATS:
            raise ValidationError(
                {"seats": _("Give between 1 and %(n)s seats.") % {"n": MAX_SEATS}}
            )
        if seats < session.taken:
            raise ValidationError(
                {
                    "seats": _(
                        "%(taken)s people are enrolled: the session cannot have fewer seats. "
                        "Cancel enrolments first."
                    )
                    % {"taken": session.taken}
                }
            )
        Session.objects.filter(pk=session.pk).update(seats=seats)
        session.seats = seats
        detail["seats"] = seats
        promoted = _promote(actor, session)
        detail["promoted"] = [e.pk for e in promoted]
    _audit_session(
        actor,
        session,
        action="update",
        detail=detail,
    )
    session.refresh_from_db()
    return session


@transaction.atomic
def session_cancel(*, actor: Any, session: Session, reason: str = "") -> int:
    """Cancel a session: every enrolment and waiting place with it, and their care."""
    session = _lock_to_come(
        actor,
        session,
        cancelled=_("This session has already been cancelled."),
        started=_("This session has already started."),
    )
    now = timezone.now()
    running = list(
        Enrolment.objects.select_for_update(of=("self",))
        .filter(session=session, status__in=ACTIVE_STATUSES)
        .select_related("client", "care_request")
    )
    for enrolment in running:
        enrolment.status = EnrolmentStatus.CANCELLED
        enrolment.cancelled_at, enrolment.cancelled_by = now, actor
        enrolment.cancel_reason = (reason or _("The session was cancelled."))[:200]
        _cancel_care(actor, enrolment, reason=enrolment.cancel_reason)
        enrolment.save()
    Session.objects.filter(pk=session.pk).update(cancelled_at=now, taken=0)
    _audit_session(
        actor,
        session,
        action="update",
        detail={"cancelled": True, "enrolments": [e.pk for e in running]},
    )
    return len(running)


# A session's date, hours and place (the municipality follows from the postcode).
WHEN_WHERE = ["date", "start_time", "end_time", "site_id", "address", "postcode", "municipality"]


def _when_where(session: Session) -> tuple[Any, ...]:
    return tuple(getattr(session, name) for name in WHEN_WHERE)


@dataclass
class Moved:
    """What moving a session did: the session as it is now, and for how many participants
    the care moved with it or is left to their referrer (`to_move`)."""

    session: Session
    care_moved: int
    care_to_move: int


_UNCHANGED: Any = ...


@transaction.atomic
def session_move(
    *,
    actor: Any,
    session: Session,
    date: dt.date,
    start_time: dt.time,
    end_time: dt.time,
    site: Site | None = _UNCHANGED,
    address: str = "",
    postcode: str = "",
    reason: str = "",
) -> Moved:
    """Move a session that has not started to another date, other hours or (when `site`
    is given: a site, or None with an address) another place.

    The enrolments and the waiting list stay as they are. The care asked for the old
    date moves with the session: its request is withdrawn — bookings cancelled free of
    charge, as the change is not the family's doing — and asked again for the new date,
    for the same children. Only someone who follows the client may do that; when a
    trainer moves the session, each enrolment's care is marked `to_move` for the
    referrer's worklist (`enrolment_care_sync`). All of it, or nothing."""
    session = _lock_to_come(
        actor,
        session,
        cancelled=_("This session has been cancelled."),
        started=_("This session has already started: it can no longer be moved."),
    )
    before = _when_where(session)
    errors = _schedule_errors(date, start_time, end_time)
    if site is not _UNCHANGED:
        errors = _merge(
            errors, _place_errors(session, session.module.network_id, site, address, postcode)
        )
    session.date, session.start_time, session.end_time = date, start_time, end_time
    after = _when_where(session)
    if not errors and after == before:
        errors["date"] = [
            _("The session already takes place then and there: change the date, hours or place.")
        ]
    if errors:
        raise ValidationError(errors)
    session.save(update_fields=WHEN_WHERE)
    reason = (reason or "").strip()[:200] or _("The training session moved.")
    moved = to_move = 0
    for enrolment in (
        Enrolment.objects.select_for_update(of=("self",))
        .filter(
            session=session,
            status=EnrolmentStatus.ENROLLED,
            care_status__in=(CareStatus.ASKED, CareStatus.TO_MOVE),
        )
        .select_related("client", "care_request")
        .order_by("pk")
    ):
        enrolment.session = session
        _move_care(actor, enrolment, reason=reason)
        enrolment.save(update_fields=["care_status", "care_note", "care_request"])
        if enrolment.care_status == CareStatus.TO_MOVE:
            to_move += 1
        else:
            moved += 1
    _audit_session(
        actor,
        session,
        action="update",
        detail={
            "moved_from": f"{before[0].isoformat()} {before[1]:%H:%M}-{before[2]:%H:%M}",
            "moved_to": f"{date.isoformat()} {start_time:%H:%M}-{end_time:%H:%M}",
            "place_changed": after[3:] != before[3:],
            "care_moved": moved,
            "care_to_move": to_move,
        },
    )
    return Moved(session=session, care_moved=moved, care_to_move=to_move)


# --- Enrolment ------------------------------------------------------------------------


def _check_enrolable(session: Session, client: Client) -> None:
    if session.is_cancelled:
        raise ValidationError({"session": _("This session has been cancelled.")})
    if has_started(session.date, session.start_time):
        raise ValidationError(
            {"session": _("This session is in the past: choose a session to come.")}
        )
    if not session.module.is_active:
        raise ValidationError({"session": _("This module is no longer offered.")})
    if client.network_id != session.module.network_id:
        raise ValidationError({"client": _("The client belongs to another network.")})
    if client.status != ClientStatus.ACTIVE:
        raise ValidationError({"client": _("The client has left the pathway.")})


def enrolment_create(
    *,
    actor: Any,
    session: Session,
    client: Client,
    waitlist: bool = True,
    care_for: Iterable[CareRecipient] | None = None,
) -> Enrolment:
    """Enrol a client in a session: a seat when one is free, else the waiting list (or,
    with `waitlist=False`, a refusal that changes nothing).

    Referrers enrol the clients they follow; trainers the clients their organisation
    follows or already trains. With a seat, care is asked for the children who need it
    (`care_for`, by default every child the network's age bands take on that day).
    """
    follows = _follows(actor, client)
    trains = session.module.organisation_id in access.training_organisation_ids(actor)
    if not (follows or (trains and access.trainee_clients(actor).filter(pk=client.pk).exists())):
        raise PermissionDenied
    if not access.training_sessions(actor).filter(pk=session.pk).exists():
        raise PermissionDenied
    organisation = _client_organisation(actor, client) if follows else None
    if organisation is None:
        organisation = session.module.organisation
    chosen = list(care_for) if care_for is not None else None
    if chosen is not None and any(r.client_id != client.pk or not r.is_active for r in chosen):
        raise ValidationError({"care_for": _("A chosen person does not belong to this client.")})
    with transaction.atomic():
        session = _lock_session(session)
        _check_enrolable(session, client)
        if Enrolment.objects.filter(
            session=session, client=client, status__in=ACTIVE_STATUSES
        ).exists():
            raise ValidationError(
                {
                    "client": _(
                        "The client is already enrolled in this session or on its waiting list."
                    )
                }
            )
        now = timezone.now()
        enrolment = Enrolment(
            session=session, client=client, organisation=organisation, created_by=actor
        )
        if _take_seat(session):
            enrolment.status = EnrolmentStatus.ENROLLED
            enrolment.enrolled_at = now
        elif waitlist:
            enrolment.status = EnrolmentStatus.WAITLISTED
            enrolment.waitlisted_at = now
        else:
            raise ValidationError(
                {
                    "session": _(
                        "This session is full: all %(seats)s seats are taken. Put the client "
                        "on the waiting list or choose another session."
                    )
                    % {"seats": session.seats}
                },
                code="full",
            )
        enrolment.save()
        if enrolment.status == EnrolmentStatus.ENROLLED:
            _ask_care(actor, enrolment, chosen)
            enrolment.save()
        audit.record(
            actor=actor,
            action="create",
            obj=client,
            detail={
                "enrolment": enrolment.pk,
                "session": session.pk,
                "status": enrolment.status,
                "care": enrolment.care_status,
            },
        )
    return enrolment


def _require_enrolment(actor: Any, enrolment: Enrolment) -> None:
    if not access.training_enrolments(actor).filter(pk=enrolment.pk).exists():
        raise PermissionDenied


@transaction.atomic
def enrolment_cancel(*, actor: Any, enrolment: Enrolment, reason: str = "") -> list[Enrolment]:
    """Cancel an enrolment (or a place on the waiting list) with its care; a freed seat
    goes to the first person waiting. Returns the enrolments promoted."""
    _require_enrolment(actor, enrolment)
    session = _lock_session(enrolment.session)
    enrolment = (
        Enrolment.objects.select_for_update(of=("self",))
        .select_related("client", "care_request")
        .get(pk=enrolment.pk)
    )
    if enrolment.status == EnrolmentStatus.CANCELLED:
        raise ValidationError(_("This enrolment has already been cancelled."))
    if has_started(session.date, session.start_time):
        raise ValidationError(
            _("The session has started: register the attendance instead of cancelling.")
        )
    held_seat = enrolment.status == EnrolmentStatus.ENROLLED
    enrolment.status = EnrolmentStatus.CANCELLED
    enrolment.cancelled_at, enrolment.cancelled_by = timezone.now(), actor
    enrolment.cancel_reason = (reason or "")[:200]
    _cancel_care(actor, enrolment, reason=reason)
    enrolment.save()
    promoted: list[Enrolment] = []
    if held_seat:
        _free_seat(session)
        session.refresh_from_db(fields=["taken", "seats"])
        promoted = _promote(actor, session)
    audit.record(
        actor=actor,
        action="update",
        obj=enrolment.client,
        detail={
            "enrolment": enrolment.pk,
            "cancelled": True,
            "care": enrolment.care_status,
            "promoted": [e.pk for e in promoted],
        },
    )
    return promoted


def _promote(actor: Any, session: Session) -> list[Enrolment]:
    """Give free seats to the waiting list, first come first served (the caller holds the
    session's lock)."""
    if session.is_cancelled or has_started(session.date, session.start_time):
        return []
    promoted = []
    while True:
        waiting = (
            Enrolment.objects.select_for_update(of=("self",))
            .filter(session=session, status=EnrolmentStatus.WAITLISTED)
            .select_related("client")
            .order_by("waitlisted_at", "pk")
            .first()
        )
        if waiting is None or not _take_seat(session):
            break
        waiting.session = session
        waiting.status = EnrolmentStatus.ENROLLED
        waiting.enrolled_at = timezone.now()
        _ask_care(actor, waiting, None)
        waiting.save()
        audit.record(
            actor=actor,
            action="update",
            obj=waiting.client,
            detail={"enrolment": waiting.pk, "promoted": True, "care": waiting.care_status},
        )
        promoted.append(waiting)
    return promoted


# --- Care for the children during a session ---------------------------------------------


def children_needing_care(enrolment: Enrolment) -> list[CareRecipient]:
    """The client's children whom the network's age bands take on the session's day."""
    session = enrolment.session
    bands = list(AgeBand.objects.filter(network_id=session.module.network_id))
    children = CareRecipient.objects.filter(
        client_id=enrolment.client_id, is_active=True, kind=RecipientKind.CHILD
    ).order_by("birth_date", "pk")
    return [c for c in children if care_services.band_for(bands, c.birth_date, session.date)]


def _ask_care(actor: Any, enrolment: Enrolment, chosen: list[CareRecipient] | None) -> None:
    """Ask care for the session through the care services, or leave it to the referrer.
    Sets the enrolment's care fields; the caller saves it."""
    recipients = chosen if chosen is not None else children_needing_care(enrolment)
    if not recipients:
        enrolment.care_status, enrolment.care_note = CareStatus.NONE, ""
        return
    organisation = _client_organisation(actor, enrolment.client)
    if organisation is None:
        enrolment.care_status = CareStatus.TO_ASK
        enrolment.care_note = _("Enrolled by the training provider: the referrer asks care.")
        return
    session = enrolment.session
    module = session.module
    postcode = session.place_postcode
    if postcode and postcode_lookup(code=postcode) is None:
        postcode = ""
    try:
        # A savepoint: when the care domain refuses, the activity goes too and the
        # enrolment stands, marked for the referrer.
        with transaction.atomic():
            activity = care_services.activity_create(
                actor=actor,
                client=enrolment.client,
                organisation=organisation,
                kind=ActivityKind.TRAINING_SESSION,
                title=f"{module.name_in(FALLBACK_LANGUAGE)} ({session.date:%d/%m/%Y})"[:200],
                location=session.place[:200],
                postcode=postcode,
                first_date=session.date,
                last_date=session.date,
                recurrence="",
                start_time=session.start_time,
                end_time=session.end_time,
                travel_minutes=TRAVEL_MINUTES,
            )
            request = care_services.care_request_create(
                actor=actor, activity=activity, recipients=recipients
            )
    except ValidationError as exc:
        enrolment.care_status = CareStatus.TO_ASK
        enrolment.care_note = " ".join(exc.messages)[:300]
    else:
        enrolment.care_status, enrolment.care_note = CareStatus.ASKED, ""
        enrolment.care_request = request


def _arranges_care(actor: Any, client: Client, request: CareRequest) -> bool:
    """Whether the actor may change this care request: they follow the client."""
    return _follows(actor, client) and access.care_requests(actor).filter(pk=request.pk).exists()


def _move_care(actor: Any, enrolment: Enrolment, *, reason: str) -> None:
    """Move an enrolment's care to its session's (new) date and hours: withdraw the old
    request free of charge and ask a new one for the same children who still need care —
    or leave it to the referrer (`to_move`). The caller saves the enrolment."""
    request = enrolment.care_request
    if request is None:
        _ask_care(actor, enrolment, None)
        return
    if not _arranges_care(actor, enrolment.client, request):
        enrolment.care_status = CareStatus.TO_MOVE
        enrolment.care_note = _("The session moved to %(date)s: the referrer moves the care.") % {
            "date": enrolment.session.date.strftime("%d/%m/%Y")
        }
        return
    if request.status == RequestStatus.CANCELLED:
        # The referrer had already cancelled this care: nothing to move.
        enrolment.care_status, enrolment.care_note = CareStatus.CANCELLED, ""
        return
    before = set(request.recipients.values_list("pk", flat=True))
    children = [c for c in children_needing_care(enrolment) if c.pk in before]
    withdraw_care_request(actor=actor, request=request, reason=reason, free=True, notice="moved")
    enrolment.care_request = None
    _ask_care(actor, enrolment, children)


def _cancel_care(actor: Any, enrolment: Enrolment, *, reason: str) -> None:
    """Withdraw the enrolment's care, or leave it to the referrer. The caller saves."""
    request = enrolment.care_request
    if enrolment.care_status in (CareStatus.NONE, CareStatus.TO_ASK) or request is None:
        enrolment.care_status, enrolment.care_note = CareStatus.NONE, ""
        return
    if enrolment.care_status == CareStatus.CANCELLED:
        return
    if not _arranges_care(actor, enrolment.client, request):
        enrolment.care_status = CareStatus.TO_CANCEL
        enrolment.care_note = _("Cancelled by the training provider: the referrer cancels care.")
        return
    withdraw_care_request(
        actor=actor, request=request, reason=reason or _("Training enrolment cancelled")
    )
    enrolment.care_status, enrolment.care_note = CareStatus.CANCELLED, ""


def withdraw_care_request(
    *,
    actor: Any,
    request: CareRequest,
    reason: str,
    free: bool = False,
    notice: str = "cancellation",
) -> None:
    """Cancel a care request whatever its state: its future bookings through
    `care.services.booking_cancel`, and a request that never got a place (open, on the
    waiting list, refused) by marking it cancelled, so that the waiting list never books it
    later. `free`: the cancellation is not the family's doing, never late; `notice`: the
    parent's message when not the plain cancellation. The care domain has no service for
    the latter yet; this conditional update is the one write into its tables here, and
    should move there when it gets one."""
    request = CareRequest.objects.select_for_update().get(pk=request.pk)
    if Booking.objects.filter(
        request=request, status__in=(BookingStatus.PENDING, BookingStatus.CONFIRMED)
    ).exists():
        # Only day-parts that have started may be left: they stay as they were.
        with contextlib.suppress(ValidationError):
            care_services.booking_cancel(
                actor=actor,
                request=request,
                reason=reason,
                free=free,
                notice=notice,
            )
    withdrawn = CareRequest.objects.filter(
        pk=request.pk,
        status__in=(RequestStatus.OPEN, RequestStatus.WAITLISTED, RequestStatus.REFUSED),
    ).update(status=RequestStatus.CANCELLED, status_reason=reason[:300], updated_at=timezone.now())
    if withdrawn:
        audit.record(
            actor=actor,
            action="update",
            obj=request.client,
            detail={"care_request": request.pk, "withdrawn": True},
        )


@transaction.atomic
def enrolment_care_sync(*, actor: Any, enrolment: Enrolment) -> Enrolment:
    """The referrer settles what a trainer could not: ask the care of an enrolment
    (`to_ask`), move it with a moved session (`to_move`) or cancel the care of a
    cancelled one (`to_cancel`)."""
    if not _follows(actor, enrolment.client):
        raise PermissionDenied
    enrolment = (
        Enrolment.objects.select_for_update(of=("self",))
        .select_related("client", "session__module", "session__site", "care_request")
        .get(pk=enrolment.pk)
    )
    if enrolment.care_status == CareStatus.TO_ASK:
        if enrolment.status != EnrolmentStatus.ENROLLED:
            raise ValidationError(_("Care is asked only for an enrolled participant."))
        if has_started(enrolment.session.date, enrolment.session.start_time):
            raise ValidationError(_("The session has started: care can no longer be asked."))
        _ask_care(actor, enrolment, None)
        if enrolment.care_status == CareStatus.TO_ASK:
            raise ValidationError(enrolment.care_note or _("Care could not be asked."))
    elif enrolment.care_status == CareStatus.TO_MOVE:
        if enrolment.status != EnrolmentStatus.ENROLLED:
            raise ValidationError(_("Care is moved only for an enrolled participant."))
        if has_started(enrolment.session.date, enrolment.session.start_time):
            raise ValidationError(_("The session has started: care can no longer be moved."))
        _move_care(actor, enrolment, reason=_("The training session moved."))
        if enrolment.care_status == CareStatus.TO_MOVE:
            raise ValidationError(_("Care could not be moved."))
    elif enrolment.care_status == CareStatus.TO_CANCEL:
        _cancel_care(actor, enrolment, reason=enrolment.cancel_reason)
    else:
        raise ValidationError(_("Nothing is left to arrange for this enrolment's care."))
    enrolment.save()
    audit.record(
        actor=actor,
        action="update",
        obj=enrolment.client,
        detail={"enrolment": enrolment.pk, "care": enrolment.care_status},
    )
    return enrolment


# --- Attendance -----------------------------------------------------------------------


@transaction.atomic
def attendance_register(*, actor: Any, enrolment: Enrolment, attendance: str) -> Enrolment:
    """The trainer registers who came: present, absent or excused ("" clears it)."""
    if not access.training_sessions(actor, manage=True).filter(pk=enrolment.session_id).exists():
        raise PermissionDenied
    if attendance and attendance not in Attendance.values:
        raise ValidationError({"attendance": _("Choose present, absent or excused.")})
    enrolment = (
        Enrolment.objects.select_for_update(of=("self",))
        .select_related("session", "client")
        .get(pk=enrolment.pk)
    )
    session = enrolment.session
    if enrolment.status != EnrolmentStatus.ENROLLED:
        raise ValidationError(_("Only an enrolled participant gets an attendance."))
    if session.date > timezone.localdate():
        raise ValidationError(
            {"attendance": _("Attendance is registered on the day of the session, not before.")}
        )
    enrolment.attendance = attendance
    enrolment.attendance_by = actor
    enrolment.attendance_at = timezone.now()
    enrolment.save(update_fields=["attendance", "attendance_by", "attendance_at"])
    audit.record(
        actor=actor,
        action="update",
        obj=enrolment.client,
        detail={"enrolment": enrolment.pk, "attendance": attendance},
    )
    return enrolment
