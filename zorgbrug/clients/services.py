"""Writes for client records: intake, consent, screening, sharing between referrers.

Every function checks that the actor may act for the client through `access.scoping`,
validates everything before writing, writes in one transaction and audits what it did.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from zorgbrug.access import audit
from zorgbrug.access import scoping as access
from zorgbrug.clients import identifiers
from zorgbrug.clients.models import (
    CareRecipient,
    Client,
    ClientStatus,
    Consent,
    ConsentText,
    FollowingOrganisation,
    RecipientKind,
    Screening,
    ScreeningNeed,
)
from zorgbrug.clients.screening import QUESTIONNAIRE_VERSION, NeedAnswer, barrier_score
from zorgbrug.network.models import Network, Organisation, Partner
from zorgbrug.network.services import postcode_lookup

CLIENT_FIELDS = {
    "first_name",
    "last_name",
    "birth_date",
    "gender",
    "insz",
    "phone",
    "email",
    "street",
    "postcode",
    "municipality",
    "languages",
    "needs_interpreter",
    "labour_status",
    "months_unemployed",
    "income_source",
    "education_level",
    "single_adult_household",
    "adults_in_household",
    "children_in_household",
    "migration_background",
}
RECIPIENT_FIELDS = {
    "kind",
    "first_name",
    "birth_date",
    "special_needs",
    "allergies",
    "languages",
    "pickup_persons",
    "adult_care_kind",
}
SCREENING_FIELDS = {
    "taken_on",
    "occasion",
    "stopped_job",
    "stopped_course",
    "stopped_interview",
    "would_accept",
    "refusal_reason",
    "main_barrier",
}


def normalise_name(*parts: str) -> str:
    """Lower case, accents and punctuation removed: "Ayşe Yılmaz-Öz" -> "ayse yilmaz oz"."""
    text = " ".join(parts).replace("ı", "i")
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c))
    text = "".join(c if c.isalnum() else " " for c in text.lower())
    return " ".join(text.split())


# --- Permission helpers ---------------------------------------------------------------


def _acting_organisation(actor: Any, organisation: Organisation) -> None:
    if organisation.pk not in access.client_organisation_ids(actor):
        raise PermissionDenied


def _require_client(actor: Any, client: Client) -> None:
    if not access.clients(actor).filter(pk=client.pk).exists():
        raise PermissionDenied


def referral_networks(organisation: Organisation) -> list[Network]:
    return list(
        Network.objects.filter(
            partners__organisation=organisation, partners__is_referrer=True
        ).order_by("name")
    )


# --- Validation of the record ---------------------------------------------------------


def _clean_client(client: Client, *, consent_special: bool) -> None:
    errors: dict[str, list[Any]] = {}

    def check(field: str, func: Any) -> None:
        try:
            func()
        except ValidationError as exc:
            errors.setdefault(field, []).extend(exc.error_list)

    check("birth_date", lambda: identifiers.validate_birth_date(client.birth_date, min_age=14))

    def insz() -> None:
        client.insz = identifiers.normalise_insz(client.insz, birth_date=client.birth_date)

    def phone() -> None:
        client.phone = identifiers.normalise_phone(client.phone)

    def locate() -> None:
        match = postcode_lookup(code=client.postcode, name=client.municipality)
        if match is None:
            raise ValidationError(
                _("Unknown postcode %(code)s: enter a Belgian postcode, e.g. 9900.")
                % {"code": client.postcode}
            )
        client.municipality = client.municipality or match.name
        client.latitude, client.longitude = match.latitude, match.longitude

    check("insz", insz)
    check("phone", phone)
    check("postcode", locate)
    if client.migration_background is not None and not consent_special:
        errors.setdefault("migration_background", []).append(
            ValidationError(
                _("Migration background may only be recorded with the client's explicit consent.")
            )
        )
    if client.single_adult_household and client.adults_in_household > 1:
        errors.setdefault("single_adult_household", []).append(
            ValidationError(_("A single-adult household has one adult."))
        )
    client.languages = [str(x).strip().lower() for x in (client.languages or []) if str(x).strip()]
    bad_languages = [x for x in client.languages if not (len(x) == 2 and x.isalpha())]
    if bad_languages:
        errors.setdefault("languages", []).append(
            ValidationError(
                _("Use two-letter language codes (ISO 639-1), e.g. nl, fr, ar: %(codes)s")
                % {"codes": ", ".join(bad_languages)}
            )
        )
    try:
        client.full_clean(
            exclude=[
                "network",
                "intake_organisation",
                "created_by",
                "insz",
                "phone",
                "postcode",
                "birth_date",
            ]
        )
    except ValidationError as exc:
        for field, messages in exc.message_dict.items():
            errors.setdefault(field, []).extend(ValidationError(m) for m in messages)
    if errors:
        raise ValidationError(errors)
    client.search_name = normalise_name(client.first_name, client.last_name)


def _clean_recipient(recipient: CareRecipient, index: int | None = None) -> None:
    try:
        identifiers.validate_birth_date(recipient.birth_date)
        recipient.full_clean(exclude=["client"])
    except ValidationError as exc:
        if index is None:
            raise
        messages = exc.messages
        raise ValidationError(
            {
                "care_recipients": [
                    _("Person %(n)s: %(message)s") % {"n": index + 1, "message": m}
                    for m in messages
                ]
            }
        ) from exc
    if recipient.kind == RecipientKind.ADULT and not recipient.adult_care_kind:
        raise ValidationError(
            {
                "care_recipients": [
                    _("Say what kind of care %(name)s needs.") % {"name": recipient.first_name}
                ]
            }
        )


# --- Duplicates and sharing -----------------------------------------------------------


@dataclass(frozen=True)
class PossibleDuplicate:
    """What another referrer may learn of an existing record: enough to link, no more."""

    client_id: int
    matched_on: str  # "insz" | "name_and_birth_date"
    followed_by: tuple[str, ...]
    can_link: bool
    already_following: bool


def duplicates_find(
    *,
    network: Network,
    organisation: Organisation,
    insz: str = "",
    first_name: str = "",
    last_name: str = "",
    birth_date: dt.date | None = None,
) -> list[PossibleDuplicate]:
    q = Q()
    insz_clean = ""
    if insz:
        try:
            insz_clean = identifiers.normalise_insz(insz)
        except ValidationError:
            insz_clean = ""
        if insz_clean:
            q |= Q(insz=insz_clean)
    if first_name and last_name and birth_date:
        q |= Q(search_name=normalise_name(first_name, last_name), birth_date=birth_date)
    if not q:
        return []
    found = []
    candidates = Client.objects.filter(q, network=network).prefetch_related(
        "followers__organisation", "consents__shared_with"
    )
    for client in candidates:
        active = [f for f in client.followers.all() if f.until is None]
        consent = _current_consent(client)
        found.append(
            PossibleDuplicate(
                client_id=client.pk,
                matched_on="insz"
                if insz_clean and client.insz == insz_clean
                else "name_and_birth_date",
                followed_by=tuple(sorted(f.organisation.name for f in active)),
                can_link=_sharing_allows(consent, organisation),
                already_following=any(f.organisation_id == organisation.pk for f in active),
            )
        )
    return found


def _current_consent(client: Client) -> Consent | None:
    active = [c for c in client.consents.all() if c.withdrawn_at is None]
    return max(active, key=lambda c: (c.given_at, c.pk), default=None)


def _sharing_allows(consent: Consent | None, organisation: Organisation) -> bool:
    if consent is None or not consent.share_with_partners:
        return False
    named = {o.pk for o in consent.shared_with.all()}
    # No named partners means: any partner organisation of the network.
    return not named or organisation.pk in named


def client_follow(*, actor: Any, organisation: Organisation, client_id: int) -> Client:
    """Link an existing record to another referrer organisation, if the client consented."""
    _acting_organisation(actor, organisation)
    client = Client.objects.prefetch_related("consents__shared_with").get(pk=client_id)
    if not Partner.objects.filter(
        network=client.network, organisation=organisation, is_referrer=True
    ).exists():
        raise PermissionDenied
    if not _sharing_allows(_current_consent(client), organisation):
        # Recorded outside any transaction: a refusal must stay in the log.
        audit.record(
            actor=actor,
            action="denied",
            obj=client,
            detail={"attempt": "follow", "organisation": organisation.pk},
        )
        raise ValidationError(
            _(
                "This client has not agreed to share their record with your organisation. Ask "
                "the organisation that follows them to refer the client, or record a new consent "
                "together with the client."
            )
        )
    with transaction.atomic():
        # Lock the client so that a withdrawal of consent cannot slip in between.
        Client.objects.select_for_update().filter(pk=client.pk).first()
        if not _sharing_allows(
            _current_consent(
                Client.objects.prefetch_related("consents__shared_with").get(pk=client.pk)
            ),
            organisation,
        ):
            raise ValidationError(_("The client's consent changed meanwhile; try again."))
        if not client.followers.filter(organisation=organisation, until__isnull=True).exists():
            FollowingOrganisation.objects.create(
                client=client, organisation=organisation, added_by=actor, reason="linked duplicate"
            )
        audit.record(
            actor=actor, action="update", obj=client, detail={"followed_by": organisation.pk}
        )
    access.forget(actor)
    return client


# --- Intake ---------------------------------------------------------------------------


def current_consent_text(language: str) -> ConsentText | None:
    return (
        ConsentText.objects.filter(is_current=True, language=language)
        .order_by("-valid_from")
        .first()
        or ConsentText.objects.filter(is_current=True, language="nl")
        .order_by("-valid_from")
        .first()
    )


def _build_screening(
    client: Client,
    data: dict[str, Any],
    needs: list[dict[str, Any]],
    recipients: list[CareRecipient],
) -> tuple[Screening, list[ScreeningNeed]]:
    unknown = set(data) - SCREENING_FIELDS
    if unknown:
        raise ValueError(f"unknown screening fields {sorted(unknown)}")
    screening = Screening(client=client, questionnaire_version=QUESTIONNAIRE_VERSION, **data)
    screening.taken_on = screening.taken_on or timezone.localdate()
    if screening.taken_on > timezone.localdate():
        raise ValidationError({"taken_on": _("A screening cannot be dated in the future.")})
    if screening.would_accept == "no" and not screening.refusal_reason:
        raise ValidationError(
            {
                "refusal_reason": _(
                    "Say why the client would not accept a job or course even with care arranged."
                )
            }
        )
    need_rows = []
    for need in needs:
        index = need["recipient_index"]
        if not 0 <= index < len(recipients):
            raise ValidationError({"needs": _("A care need refers to an unknown person.")})
        need_rows.append(
            ScreeningNeed(
                screening=screening,
                care_recipient=recipients[index],
                arrangement=need["arrangement"],
                days_needed=need.get("days_needed", "0000000"),
                hours_per_week=need.get("hours_per_week", 0),
            )
        )
    screening.barrier_score = barrier_score(
        stopped_job=screening.stopped_job,
        stopped_course=screening.stopped_course,
        stopped_interview=screening.stopped_interview,
        would_accept=screening.would_accept,
        single_adult_household=client.single_adult_household,
        main_barrier=screening.main_barrier,
        needs=[
            NeedAnswer(n.arrangement, n.days_needed != "0000000" or n.hours_per_week > 0)
            for n in need_rows
        ],
    )
    screening.full_clean(exclude=["client", "taken_by", "organisation", "barrier_score"])
    for n in need_rows:
        n.full_clean(exclude=["screening", "care_recipient"])
    return screening, need_rows


@dataclass
class IntakePlan:
    """A checked intake, ready to be written: nothing of it is in the database yet."""

    record: Client
    recipients: list[CareRecipient]
    consent: Consent
    shared_with: list[Any]
    screening: Screening | None
    needs: list[ScreeningNeed]


def client_register(
    *,
    actor: Any,
    organisation: Organisation,
    network: Network,
    client: dict[str, Any],
    consent: dict[str, Any],
    recipients: list[dict[str, Any]] | None = None,
    screening: dict[str, Any] | None = None,
    needs: list[dict[str, Any]] | None = None,
    allow_duplicate: bool = False,
) -> Client:
    """The intake: a client record with the client's consent, their care recipients and,
    usually, the care-barrier screening — all or nothing.

    Refuses a probable duplicate (same INSZ, or same name and date of birth in the network)
    unless `allow_duplicate`; the caller offers to link to it with `client_follow` instead.
    """
    plan = client_intake_check(
        actor=actor,
        organisation=organisation,
        network=network,
        client=client,
        consent=consent,
        recipients=recipients,
        screening=screening,
        needs=needs,
        allow_duplicate=allow_duplicate,
    )
    try:
        record = client_intake_write(actor=actor, organisation=organisation, plan=plan)
    except IntegrityError as exc:
        # Two referrers registering the same INSZ at the same moment: the constraint wins.
        raise DuplicateClient(
            duplicates_find(network=network, organisation=organisation, insz=plan.record.insz)
        ) from exc
    access.forget(actor)
    return record


def client_intake_check(
    *,
    actor: Any,
    organisation: Organisation,
    network: Network,
    client: dict[str, Any],
    consent: dict[str, Any],
    recipients: list[dict[str, Any]] | None = None,
    screening: dict[str, Any] | None = None,
    needs: list[dict[str, Any]] | None = None,
    allow_duplicate: bool = False,
) -> IntakePlan:
    """Every check of `client_register`, without writing: the plan to give to
    `client_intake_write`, or PermissionDenied, ValidationError or DuplicateClient."""
    _acting_organisation(actor, organisation)
    if network not in referral_networks(organisation):
        raise PermissionDenied
    unknown = set(client) - CLIENT_FIELDS
    if unknown:
        raise ValueError(f"unknown client fields {sorted(unknown)}")
    if not consent.get("care_support"):
        raise ValidationError(
            {
                "care_support": _(
                    "Without the client's consent to process their data for care support, "
                    "no record can be made."
                )
            }
        )
    record = Client(network=network, intake_organisation=organisation, created_by=actor, **client)
    _clean_client(record, consent_special=bool(consent.get("special_category")))
    if not allow_duplicate:
        duplicates = duplicates_find(
            network=network,
            organisation=organisation,
            insz=record.insz,
            first_name=record.first_name,
            last_name=record.last_name,
            birth_date=record.birth_date,
        )
        if duplicates:
            raise DuplicateClient(duplicates)
    elif record.insz and Client.objects.filter(network=network, insz=record.insz).exists():
        raise DuplicateClient(
            duplicates_find(network=network, organisation=organisation, insz=record.insz)
        )
    recipient_rows = []
    for index, data in enumerate(recipients or []):
        extra = set(data) - RECIPIENT_FIELDS
        if extra:
            raise ValueError(f"unknown care-recipient fields {sorted(extra)}")
        row = CareRecipient(client=record, **data)
        _clean_recipient(row, index)
        recipient_rows.append(row)
    consent_row = Consent(
        client=record,
        text_version=consent["text_version"],
        language=consent["language"],
        care_support=True,
        share_with_partners=bool(consent.get("share_with_partners")),
        research_use=bool(consent.get("research_use")),
        special_category=bool(consent.get("special_category")),
        given_at=consent.get("given_at") or timezone.now(),
        recorded_by=actor,
        recorded_by_organisation=organisation,
    )
    if consent_row.given_at > timezone.now():
        raise ValidationError({"given_at": _("Consent cannot be dated in the future.")})
    screening_row: Screening | None = None
    need_rows: list[ScreeningNeed] = []
    if screening is not None:
        screening_row, need_rows = _build_screening(record, screening, needs or [], recipient_rows)
    return IntakePlan(
        record=record,
        recipients=recipient_rows,
        consent=consent_row,
        shared_with=list(consent.get("shared_with") or []),
        screening=screening_row,
        needs=need_rows,
    )


def client_intake_write(
    *,
    actor: Any,
    organisation: Organisation,
    plan: IntakePlan,
    audit_detail: dict[str, Any] | None = None,
) -> Client:
    """Write a plan made by `client_intake_check` (in the same request or job), in one
    transaction (a savepoint inside the caller's), and audit it. An IntegrityError means
    that someone registered the same INSZ in between."""
    record = plan.record
    with transaction.atomic():
        record.save()
        for row in plan.recipients:
            row.client = record
            row.save()
        plan.consent.client = record
        plan.consent.save()
        if plan.shared_with:
            plan.consent.shared_with.set(plan.shared_with)
        FollowingOrganisation.objects.create(
            client=record, organisation=organisation, added_by=actor, reason="intake"
        )
        if plan.screening is not None:
            plan.screening.client = record
            plan.screening.taken_by = actor
            plan.screening.organisation = organisation
            plan.screening.save()
            for need in plan.needs:
                need.screening = plan.screening
                need.care_recipient = need.care_recipient  # saved above
                need.save()
        audit.record(
            actor=actor,
            action="create",
            obj=record,
            detail={
                "care_recipients": len(plan.recipients),
                "screening": plan.screening is not None,
                **(audit_detail or {}),
            },
        )
    return record


class DuplicateClient(ValidationError):
    def __init__(self, duplicates: list[PossibleDuplicate]) -> None:
        super().__init__(
            _("This client may already be registered in the network."), code="duplicate"
        )
        self.duplicates = duplicates


# --- Changes after intake -------------------------------------------------------------


@transaction.atomic
def client_update(*, actor: Any, client: Client, **fields: Any) -> Client:
    _require_client(actor, client)
    unknown = set(fields) - CLIENT_FIELDS
    if unknown:
        raise ValueError(f"unknown client fields {sorted(unknown)}")
    client = Client.objects.select_for_update().get(pk=client.pk)
    if "postcode" in fields or "municipality" in fields:
        client.municipality = ""
    for name, value in fields.items():
        setattr(client, name, value)
    consent = _current_consent(client)
    _clean_client(client, consent_special=bool(consent and consent.special_category))
    if (
        client.insz
        and Client.objects.filter(network=client.network, insz=client.insz)
        .exclude(pk=client.pk)
        .exists()
    ):
        raise ValidationError({"insz": _("Another client in this network has this number.")})
    client.save()
    audit.record(actor=actor, action="update", obj=client, detail={"fields": sorted(fields)})
    return client


@transaction.atomic
def care_recipient_save(
    *, actor: Any, client: Client, recipient: CareRecipient | None = None, **fields: Any
) -> CareRecipient:
    _require_client(actor, client)
    unknown = set(fields) - RECIPIENT_FIELDS
    if unknown:
        raise ValueError(f"unknown care-recipient fields {sorted(unknown)}")
    recipient = recipient or CareRecipient(client=client)
    if recipient.client_id != client.pk:
        raise PermissionDenied
    created = recipient.pk is None
    for name, value in fields.items():
        setattr(recipient, name, value)
    _clean_recipient(recipient)
    recipient.save()
    audit.record(
        actor=actor,
        action="create" if created else "update",
        obj=client,
        detail={"care_recipient": recipient.pk},
    )
    return recipient


@transaction.atomic
def screening_record(
    *,
    actor: Any,
    client: Client,
    organisation: Organisation,
    screening: dict[str, Any],
    needs: list[dict[str, Any]],
) -> Screening:
    """A new screening (at intake, or repeated at a follow-up); needs refer to recipients by
    their index in the client's active care recipients, ordered by date of birth."""
    _require_client(actor, client)
    _acting_organisation(actor, organisation)
    recipients = list(client.care_recipients.filter(is_active=True).order_by("birth_date", "pk"))
    row, need_rows = _build_screening(client, screening, needs, recipients)
    row.taken_by = actor
    row.organisation = organisation
    row.save()
    for need in need_rows:
        need.screening = row
        need.save()
    audit.record(actor=actor, action="create", obj=client, detail={"screening": row.pk})
    return row


@transaction.atomic
def consent_withdraw(
    *,
    actor: Any,
    client: Client,
    organisation: Organisation,
    sharing: bool = False,
    research: bool = False,
    everything: bool = False,
) -> Consent | None:
    """Record a withdrawal. Sharing: other organisations stop following the client.
    Research: the client leaves future research data. Everything: the record is closed
    for further processing (erasure follows the retention rules)."""
    _require_client(actor, client)
    _acting_organisation(actor, organisation)
    current = (
        Consent.objects.select_for_update()
        .filter(client=client, withdrawn_at__isnull=True)
        .order_by("-given_at", "-pk")
        .first()
    )
    if current is None:
        raise ValidationError(_("There is no active consent to withdraw."))
    now = timezone.now()
    current.withdrawn_at, current.withdrawn_by = now, actor
    current.save(update_fields=["withdrawn_at", "withdrawn_by"])
    new: Consent | None = None
    if not everything:
        new = Consent.objects.create(
            client=client,
            text_version=current.text_version,
            language=current.language,
            care_support=True,
            share_with_partners=current.share_with_partners and not sharing,
            research_use=current.research_use and not research,
            special_category=current.special_category,
            given_at=now,
            recorded_by=actor,
            recorded_by_organisation=organisation,
        )
        if new.share_with_partners:
            new.shared_with.set(current.shared_with.all())
    keep = {client.intake_organisation_id, organisation.pk}
    if sharing or everything:
        FollowingOrganisation.objects.filter(client=client, until__isnull=True).exclude(
            organisation_id__in=keep
        ).update(until=now)
    if everything:
        Client.objects.filter(pk=client.pk).update(status=ClientStatus.EXITED)
    audit.record(
        actor=actor,
        action="update",
        obj=client,
        detail={
            "consent_withdrawn": {
                "sharing": sharing,
                "research": research,
                "everything": everything,
            }
        },
    )
    return new


@transaction.atomic
def consent_record(
    *,
    actor: Any,
    client: Client,
    organisation: Organisation,
    text_version: str,
    language: str,
    share_with_partners: bool,
    research_use: bool,
    special_category: bool,
    shared_with: list[Organisation] | None = None,
) -> Consent:
    """A new consent replaces the current one (e.g. the client now agrees to sharing)."""
    _require_client(actor, client)
    _acting_organisation(actor, organisation)
    now = timezone.now()
    Consent.objects.filter(client=client, withdrawn_at__isnull=True).update(
        withdrawn_at=now, withdrawn_by=actor
    )
    consent = Consent.objects.create(
        client=client,
        text_version=text_version,
        language=language,
        care_support=True,
        share_with_partners=share_with_partners,
        research_use=research_use,
        special_category=special_category,
        given_at=now,
        recorded_by=actor,
        recorded_by_organisation=organisation,
    )
    if shared_with:
        consent.shared_with.set(shared_with)
    if not special_category and client.migration_background is not None:
        Client.objects.filter(pk=client.pk).update(migration_background=None)
    audit.record(actor=actor, action="update", obj=client, detail={"consent": consent.pk})
    return consent
