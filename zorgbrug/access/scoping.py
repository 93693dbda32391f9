"""The one place that decides which rows a user may see or change.

Every view, API endpoint, export and background task that returns organisation data or
personal data asks this module for its queryset. Nothing else filters by organisation.

Rules (issue 2; later domains add their own functions here):
- a user acts through active memberships (user × organisation × role);
- a *coordinator* membership at an organisation that is the coordinator partner of a
  network makes the user a coordinator of that network: they see and manage every
  partner organisation of it, with its sites, contacts, staff and invitations;
- every member sees their own organisations, their sites, contacts and colleagues;
- researchers see networks (for aggregated figures), never staff or personal data of
  other organisations;
- superusers use the Django admin; in the application they are treated like anyone else,
  so that a leak cannot hide behind a superuser account.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from django.core.exceptions import ObjectDoesNotExist, PermissionDenied
from django.db import connection
from django.db.models import Exists, Model, OuterRef, Q, QuerySet
from django.http import Http404

from zorgbrug.network.models import (
    Contact,
    Membership,
    Network,
    Organisation,
    Partner,
    Site,
    StaffRole,
)

if TYPE_CHECKING:
    from zorgbrug.access.models import AuditEvent, Invitation
    from zorgbrug.clients.models import CareRecipient, Client, Consent, Screening

M = TypeVar("M", bound=Model)

_CACHE_ATTR = "_zorgbrug_actor"


@dataclass(frozen=True)
class Actor:
    """What a user may act as: computed once per request from their memberships."""

    user_id: int | None
    roles_by_org: dict[int, frozenset[str]] = field(default_factory=dict)
    network_ids: frozenset[int] = frozenset()
    coordinated_network_ids: frozenset[int] = frozenset()

    @property
    def is_authenticated(self) -> bool:
        return self.user_id is not None

    @property
    def organisation_ids(self) -> frozenset[int]:
        return frozenset(self.roles_by_org)

    def organisation_ids_with(self, *roles: str) -> frozenset[int]:
        return frozenset(org for org, r in self.roles_by_org.items() if r & set(roles))

    @property
    def roles(self) -> frozenset[str]:
        out: set[str] = set()
        for r in self.roles_by_org.values():
            out |= r
        return frozenset(out)

    def has_role(self, role: str) -> bool:
        return role in self.roles

    def coordinates(self, network_id: int) -> bool:
        return network_id in self.coordinated_network_ids


ANONYMOUS = Actor(user_id=None)


def actor_for(user: Any) -> Actor:
    """The user's Actor, cached on the user object for the rest of the request."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return ANONYMOUS
    cached = getattr(user, _CACHE_ATTR, None)
    if cached is not None:
        return cached
    # Every API call and page asks this first: one plain query, not two ORM ones.
    # Active memberships, each with the networks its organisation is a partner of.
    sql = (
        f"SELECT m.organisation_id, m.role, p.network_id, p.is_coordinator "  # noqa: S608
        f"FROM {Membership._meta.db_table} m "
        f"LEFT JOIN {Partner._meta.db_table} p ON p.organisation_id = m.organisation_id "
        f"WHERE m.user_id = %s AND m.is_active"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [user.pk])
        rows = cursor.fetchall()
    roles: dict[int, set[str]] = {}
    network_ids: set[int] = set()
    coordinated: set[int] = set()
    for org_id, role, network_id, is_coordinator in rows:
        roles.setdefault(org_id, set()).add(role)
        if network_id is not None:
            network_ids.add(network_id)
            if is_coordinator and role == StaffRole.COORDINATOR:
                coordinated.add(network_id)
    actor = Actor(
        user_id=user.pk,
        roles_by_org={k: frozenset(v) for k, v in roles.items()},
        network_ids=frozenset(network_ids),
        coordinated_network_ids=frozenset(coordinated),
    )
    setattr(user, _CACHE_ATTR, actor)
    return actor


def forget(user: Any) -> None:
    """Drop the cached Actor (after memberships changed within the same request)."""
    if hasattr(user, _CACHE_ATTR):
        delattr(user, _CACHE_ATTR)


# --- Networks and partners ------------------------------------------------------------


def networks(user: Any, *, manage: bool = False) -> QuerySet[Network]:
    actor = actor_for(user)
    ids = actor.coordinated_network_ids if manage else actor.network_ids
    return Network.objects.filter(pk__in=ids)


def _managed_org_ids_q(actor: Actor) -> Q:
    return Q(partnerships__network_id__in=actor.coordinated_network_ids)


def organisations(user: Any, *, manage: bool = False) -> QuerySet[Organisation]:
    """Organisations the user may see (their own, and every partner of a network they
    coordinate) or, with manage=True, change (partners of networks they coordinate)."""
    actor = actor_for(user)
    if not actor.is_authenticated:
        return Organisation.objects.none()
    q = _managed_org_ids_q(actor)
    if not manage:
        q |= Q(pk__in=actor.organisation_ids)
    return Organisation.objects.filter(q).distinct()


def partners(user: Any, *, manage: bool = False) -> QuerySet[Partner]:
    """Partner rows: a network's partner list is visible to everyone in that network
    (organisation names and roles are not personal data), changeable by its coordinators."""
    actor = actor_for(user)
    ids = actor.coordinated_network_ids if manage else actor.network_ids
    return Partner.objects.filter(network_id__in=ids)


def sites(user: Any, *, manage: bool = False) -> QuerySet[Site]:
    return Site.objects.filter(organisation__in=organisations(user, manage=manage).values("pk"))


def contacts(user: Any, *, manage: bool = False) -> QuerySet[Contact]:
    return Contact.objects.filter(organisation__in=organisations(user, manage=manage).values("pk"))


def memberships(user: Any, *, manage: bool = False) -> QuerySet[Membership]:
    """Staff lists: colleagues of one's own organisations; all staff for coordinators."""
    return Membership.objects.filter(
        organisation__in=organisations(user, manage=manage).values("pk")
    )


def invitations(user: Any) -> QuerySet[Invitation]:
    from zorgbrug.access.models import Invitation

    return Invitation.objects.filter(organisation__in=organisations(user, manage=True).values("pk"))


def audit_events(user: Any) -> QuerySet[AuditEvent]:
    """Coordinators read the audit log of the networks they coordinate."""
    from zorgbrug.access.models import AuditEvent

    actor = actor_for(user)
    if not actor.coordinated_network_ids:
        return AuditEvent.objects.none()
    return AuditEvent.objects.filter(
        Q(network_id__in=actor.coordinated_network_ids)
        | Q(organisation__partnerships__network_id__in=actor.coordinated_network_ids)
    ).distinct()


# --- Clients (personal data) ----------------------------------------------------------
# Referrers — and coordinators, whose organisation refers too — see the clients that one of
# their organisations follows. Provider staff, trainers and researchers never read a client
# record: they get their own narrow views (a booked child's first name and needs, an
# enrolment list, pseudonymised research data) in the domains that need them.

CLIENT_ROLES = (StaffRole.REFERRER, StaffRole.COORDINATOR)


def client_organisation_ids(user: Any) -> frozenset[int]:
    """Organisations through which the user may read and change client records."""
    return actor_for(user).organisation_ids_with(*CLIENT_ROLES)


def clients(user: Any) -> QuerySet[Client]:
    from zorgbrug.clients.models import Client, FollowingOrganisation

    org_ids = client_organisation_ids(user)
    if not org_ids:
        return Client.objects.none()
    # EXISTS rather than a join + DISTINCT: it keeps the caseload's ORDER BY/LIMIT cheap.
    follows = FollowingOrganisation.objects.filter(
        client=OuterRef("pk"), organisation_id__in=org_ids, until__isnull=True
    )
    return Client.objects.filter(Exists(follows))


def clients_sql(user: Any, client_column: str, *, array: bool = False) -> tuple[str, list[Any]]:
    """`clients(user)` as an SQL condition on `client_column`, for the hand-written queries
    of hot paths (booking). It must say exactly what `clients()` says; a test compares
    them. `client_column` is code, never user input. With `array` (PostgreSQL) the
    organisations are one array parameter, so that the statement's text — and a prepared
    plan — is the same for everyone."""
    from zorgbrug.clients.models import FollowingOrganisation

    org_ids = sorted(client_organisation_ids(user))
    if not org_ids:
        return "1 = 0", []
    table = FollowingOrganisation._meta.db_table
    params: list[Any]
    if array:
        among, params = "= ANY(%s)", [org_ids]
    else:
        among, params = "IN (" + ", ".join(["%s"] * len(org_ids)) + ")", list(org_ids)
    sql = (
        f"EXISTS (SELECT 1 FROM {table} f WHERE f.client_id = {client_column}"  # noqa: S608
        f" AND f.organisation_id {among} AND f.until IS NULL)"
    )
    return sql, params


def clients_sql_inline(user: Any, client_column: str) -> tuple[str, list[Any]]:
    """`clients(user)` as an SQL condition that reads the user's memberships itself, for a
    hot path that does all its work in one statement (the booking API): the same rule as
    `client_organisation_ids` — active memberships with a client role — without the query
    that reads them first. It must say exactly what `clients()` says; a test compares
    them. `client_column` is code, never user input."""
    from zorgbrug.clients.models import FollowingOrganisation

    # As `actor_for` decides, without reading the memberships here.
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return "1 = 0", []
    follows = FollowingOrganisation._meta.db_table
    members = Membership._meta.db_table
    roles = ", ".join(["%s"] * len(CLIENT_ROLES))
    sql = (
        f"EXISTS (SELECT 1 FROM {follows} f WHERE f.client_id = {client_column}"  # noqa: S608
        f" AND f.until IS NULL AND f.organisation_id IN (SELECT m.organisation_id"
        f" FROM {members} m WHERE m.user_id = %s AND m.is_active AND m.role IN ({roles})))"
    )
    return sql, [user.pk, *(str(r) for r in CLIENT_ROLES)]


def bookable_care_requests(user: Any) -> QuerySet[Any]:
    """Requests the user may search places for, book and cancel: those of the clients
    they follow. Providers who see a request through its bookings may not."""
    from zorgbrug.care.models import CareRequest

    return CareRequest.objects.filter(client__in=clients(user).values("pk"))


def care_recipients(user: Any) -> QuerySet[CareRecipient]:
    from zorgbrug.clients.models import CareRecipient

    return CareRecipient.objects.filter(client__in=clients(user).values("pk"))


def consents(user: Any) -> QuerySet[Consent]:
    from zorgbrug.clients.models import Consent

    return Consent.objects.filter(client__in=clients(user).values("pk"))


def screenings(user: Any) -> QuerySet[Screening]:
    from zorgbrug.clients.models import Screening

    return Screening.objects.filter(client__in=clients(user).values("pk"))


def client_audit_events(user: Any, client: Client) -> QuerySet[AuditEvent]:
    """The audit trail of one client, for the coordinators of the client's network."""
    from zorgbrug.access.models import AuditEvent

    if not actor_for(user).coordinates(client.network_id):
        return AuditEvent.objects.none()
    return AuditEvent.objects.filter(object_type="clients.client", object_id=str(client.pk))


# --- Care capacity and bookings -------------------------------------------------------
# Care sites are not personal data: everyone in a network sees its sites to search them.
# Provider staff manage their own organisation's sites (capacity, day list, attendance);
# coordinators manage every site of their networks. Care requests are personal data:
# referrers see those of the clients they follow; providers see the requests booked or
# asked at their sites, through the minimum a day list needs (first name, age, needs).


def care_sites(user: Any, *, manage: bool = False) -> QuerySet[Any]:
    from zorgbrug.care.models import CareSite

    actor = actor_for(user)
    if not actor.is_authenticated:
        return CareSite.objects.none()
    if not manage:
        return CareSite.objects.filter(network_id__in=actor.network_ids)
    provider_orgs = actor.organisation_ids_with(StaffRole.PROVIDER)
    return CareSite.objects.filter(
        Q(site__organisation_id__in=provider_orgs, network_id__in=actor.network_ids)
        | Q(network_id__in=actor.coordinated_network_ids)
    )


def care_requests(user: Any) -> QuerySet[Any]:
    from zorgbrug.care.models import Booking, CareRequest

    actor = actor_for(user)
    if not actor.is_authenticated:
        return CareRequest.objects.none()
    at_my_sites = Booking.objects.filter(
        request=OuterRef("pk"), care_site__in=care_sites(user, manage=True)
    )
    return CareRequest.objects.filter(
        Q(client__in=clients(user).values("pk")) | Q(Exists(at_my_sites))
    )


def site_bookings(user: Any) -> QuerySet[Any]:
    """Bookings at the sites the user manages (the provider's day list)."""
    from zorgbrug.care.models import Booking

    return Booking.objects.filter(care_site__in=care_sites(user, manage=True).values("pk"))


def client_bookings(user: Any) -> QuerySet[Any]:
    """Bookings of the clients the user follows (the referrer's view)."""
    from zorgbrug.care.models import Booking

    return Booking.objects.filter(request__client__in=clients(user).values("pk"))


# --- Training (issue 5) ---------------------------------------------------------------
# The module catalogue and its sessions are not personal data: everyone in a network sees
# them. Trainers manage the modules of their own organisations (coordinators: of their
# networks). Enrolments are personal data: trainers see those of their organisations'
# sessions — a name on a list, never a screening or an income —, referrers and coordinators
# those of the clients they follow; researchers and providers see none.


def training_organisation_ids(user: Any) -> frozenset[int]:
    """Organisations whose training the user runs (trainer role)."""
    return actor_for(user).organisation_ids_with(StaffRole.TRAINER)


def training_modules(user: Any, *, manage: bool = False) -> QuerySet[Any]:
    from zorgbrug.training.models import Module

    actor = actor_for(user)
    if not actor.is_authenticated:
        return Module.objects.none()
    if not manage:
        return Module.objects.filter(network_id__in=actor.network_ids)
    return Module.objects.filter(
        Q(organisation_id__in=training_organisation_ids(user), network_id__in=actor.network_ids)
        | Q(network_id__in=actor.coordinated_network_ids)
    )


def training_sessions(user: Any, *, manage: bool = False) -> QuerySet[Any]:
    from zorgbrug.training.models import Session

    return Session.objects.filter(module__in=training_modules(user, manage=manage).values("pk"))


def training_enrolments(user: Any) -> QuerySet[Any]:
    from zorgbrug.training.models import Enrolment

    actor = actor_for(user)
    if not actor.is_authenticated:
        return Enrolment.objects.none()
    q = Q(client__in=clients(user).values("pk"))
    trainer_orgs = training_organisation_ids(user)
    if trainer_orgs:
        q |= Q(session__module__organisation_id__in=trainer_orgs)
    return Enrolment.objects.filter(q)


def trainee_clients(user: Any) -> QuerySet[Client]:
    """Clients a trainer may enrol: those their organisation follows, and those already
    enrolled in its sessions. Only for a name on an enrolment form — callers take
    `id`, `first_name` and `last_name`, nothing else of the record."""
    from zorgbrug.clients.models import Client, FollowingOrganisation
    from zorgbrug.training.models import Enrolment

    org_ids = training_organisation_ids(user)
    if not org_ids:
        return Client.objects.none()
    follows = FollowingOrganisation.objects.filter(
        client=OuterRef("pk"), organisation_id__in=org_ids, until__isnull=True
    )
    enrolled = Enrolment.objects.filter(
        client=OuterRef("pk"), session__module__organisation_id__in=org_ids
    )
    return Client.objects.filter(Q(Exists(follows)) | Q(Exists(enrolled)))


# --- Pathways and follow-ups (issue 5) ------------------------------------------------
# A client's pathway, follow-ups and outcomes are read and written by those who follow the
# client (referrers, coordinators). Trainers, providers and researchers see none of it.


def pathway_activities(user: Any) -> QuerySet[Any]:
    from zorgbrug.pathways.models import PathwayActivity

    return PathwayActivity.objects.filter(client__in=clients(user).values("pk"))


def follow_ups(user: Any) -> QuerySet[Any]:
    from zorgbrug.pathways.models import FollowUp

    return FollowUp.objects.filter(client__in=clients(user).values("pk"))


def outcomes(user: Any) -> QuerySet[Any]:
    from zorgbrug.pathways.models import Outcome

    return Outcome.objects.filter(client__in=clients(user).values("pk"))


def exits(user: Any) -> QuerySet[Any]:
    from zorgbrug.pathways.models import Exit

    return Exit.objects.filter(client__in=clients(user).values("pk"))


def regular_care(user: Any) -> QuerySet[Any]:
    from zorgbrug.pathways.models import RegularCare

    return RegularCare.objects.filter(client__in=clients(user).values("pk"))


# --- Helpers --------------------------------------------------------------------------


def get_or_404(queryset: QuerySet[M], **lookup: Any) -> M:
    """Fetch one row from an already scoped queryset; out of scope looks like not found."""
    try:
        return queryset.get(**lookup)
    except ObjectDoesNotExist as exc:
        raise Http404 from exc


def require(condition: bool) -> None:
    if not condition:
        raise PermissionDenied


def can_manage_network(user: Any, network: Network) -> bool:
    return actor_for(user).coordinates(network.pk)


def can_manage_organisation(user: Any, organisation: Organisation) -> bool:
    return organisations(user, manage=True).filter(pk=organisation.pk).exists()


# --- Research and evaluation (issue 7) ------------------------------------------------
# Coordinators and researchers read *aggregated* figures of the networks they coordinate or
# evaluate (a researcher role at an organisation that is a partner of the network) and,
# through an export project, pseudonymised data; never a client record. Only clients whose
# *current* consent (the latest one not withdrawn) allows research use enter research data
# at all — aggregates and exports alike. The public page shows suppressed aggregates.


def research_network_ids(user: Any) -> frozenset[int]:
    """Networks whose research figures the user may read."""
    actor = actor_for(user)
    if not actor.is_authenticated:
        return frozenset()
    research_orgs = actor.organisation_ids_with(StaffRole.RESEARCHER)
    evaluated: set[int] = set()
    if research_orgs:
        evaluated = set(
            Partner.objects.filter(organisation_id__in=research_orgs).values_list(
                "network_id", flat=True
            )
        )
    return frozenset(evaluated) | actor.coordinated_network_ids


def research_networks(user: Any) -> QuerySet[Network]:
    return Network.objects.filter(pk__in=research_network_ids(user))


def research_clients(network_ids: Any) -> QuerySet[Client]:
    """Clients of the networks whose current consent allows pseudonymised research use.

    "Current" is the latest consent not withdrawn (by given_at, then id), as the clients
    domain records it; a client without an active consent is never in research data.
    """
    from zorgbrug.clients.models import Client, Consent

    newer = Consent.objects.filter(client=OuterRef("client_id"), withdrawn_at__isnull=True).filter(
        Q(given_at__gt=OuterRef("given_at"))
        | Q(given_at=OuterRef("given_at"), pk__gt=OuterRef("pk"))
    )
    current_allows = Consent.objects.filter(
        client=OuterRef("pk"), withdrawn_at__isnull=True, research_use=True
    ).filter(~Exists(newer))
    return Client.objects.filter(network_id__in=network_ids).filter(Exists(current_allows))


def research_consent(client_ref: str = "pk") -> Any:
    """On any row with a client (`client_ref` names it, e.g. "pk" on clients, "client_id" on
    care requests): whether that client's current consent allows research use — the rule of
    `research_clients` (the latest consent not withdrawn, by given_at then id), for one row
    at a time, through the consent index (the research facts store it per client)."""
    from django.db.models import BooleanField, Subquery, Value
    from django.db.models.functions import Coalesce

    from zorgbrug.clients.models import Consent

    current = (
        Consent.objects.filter(client=OuterRef(client_ref), withdrawn_at__isnull=True)
        .order_by("-given_at", "-pk")
        .values("research_use")[:1]
    )
    return Coalesce(Subquery(current, output_field=BooleanField()), Value(False))


def export_projects(user: Any) -> QuerySet[Any]:
    """Research export projects of the networks the user evaluates or coordinates."""
    from zorgbrug.research.models import ExportProject

    return ExportProject.objects.filter(network_id__in=research_network_ids(user))


def research_exports(user: Any) -> QuerySet[Any]:
    from zorgbrug.research.models import ResearchExport

    return ResearchExport.objects.filter(project__in=export_projects(user).values("pk"))


def research_reports(user: Any) -> QuerySet[Any]:
    """Evaluation reports of the networks the user evaluates or coordinates."""
    from zorgbrug.research.models import EvaluationReport

    return EvaluationReport.objects.filter(network_id__in=research_network_ids(user))


# --- Covenant, costs and settlements --------------------------------------------------
# The covenant (parties, tariffs, keys) is an agreement between partners, not personal
# data: the staff of every partner of a network read it, its coordinators change it.
# Settlements and cost lines name bookings, referrers and postcodes: coordinators only. A
# partner's statement is for that partner's own staff once the month is closed (and for
# the coordinators). Researchers see monthly totals of a network, nothing per partner.

STATEMENT_ROLES = (StaffRole.COORDINATOR, StaffRole.REFERRER, StaffRole.PROVIDER, StaffRole.TRAINER)


def _partner_network_ids(org_ids: frozenset[int]) -> QuerySet[Any]:
    return Partner.objects.filter(organisation_id__in=org_ids).values("network_id")


def covenants(user: Any, *, manage: bool = False) -> QuerySet[Any]:
    from zorgbrug.covenant.models import Covenant

    actor = actor_for(user)
    if not actor.is_authenticated:
        return Covenant.objects.none()
    coordinated = Q(network_id__in=actor.coordinated_network_ids)
    if manage:
        return Covenant.objects.filter(coordinated)
    staff_orgs = actor.organisation_ids_with(*STATEMENT_ROLES)
    return Covenant.objects.filter(coordinated | Q(network_id__in=_partner_network_ids(staff_orgs)))


def settlements(user: Any) -> QuerySet[Any]:
    """A network's monthly settlements, with their cost lines: its coordinators."""
    from zorgbrug.covenant.models import Settlement

    return Settlement.objects.filter(network_id__in=actor_for(user).coordinated_network_ids)


def cost_lines(user: Any) -> QuerySet[Any]:
    from zorgbrug.covenant.models import CostLine

    return CostLine.objects.filter(
        settlement__network_id__in=actor_for(user).coordinated_network_ids
    )


def statements(user: Any) -> QuerySet[Any]:
    """Partner statements: one's own organisation's, of closed months; all of a network
    for its coordinators."""
    from zorgbrug.covenant.models import SettlementStatus, Statement

    actor = actor_for(user)
    if not actor.is_authenticated:
        return Statement.objects.none()
    own = actor.organisation_ids_with(*STATEMENT_ROLES)
    return Statement.objects.filter(
        Q(settlement__network_id__in=actor.coordinated_network_ids)
        | Q(partner__organisation_id__in=own, settlement__status=SettlementStatus.CLOSED)
    )


def settlement_figures(user: Any) -> QuerySet[Any]:
    """Closed months' totals (no partner, no line): for researchers and coordinators."""
    from zorgbrug.covenant.models import Settlement, SettlementStatus

    actor = actor_for(user)
    research_orgs = actor.organisation_ids_with(StaffRole.RESEARCHER)
    return Settlement.objects.filter(
        Q(network_id__in=_partner_network_ids(research_orgs))
        | Q(network_id__in=actor.coordinated_network_ids),
        status=SettlementStatus.CLOSED,
    )


def parent_tariffs(user: Any) -> QuerySet[Any]:
    """Income attests are personal data: whoever may read the client's record."""
    from zorgbrug.covenant.models import ParentTariff

    return ParentTariff.objects.filter(client__in=clients(user).values("pk"))


# --- Allocation of scarce places (issue 8) --------------------------------------------
# An allocation run reads every pending request of a network (personal data of clients
# whom the coordinator's organisation may not follow) and books through the booking
# service on the network's behalf: only the coordinators of the network start, read and
# accept its runs. Referrers, providers, researchers and other networks see none of them.


def allocation_runs(user: Any) -> QuerySet[Any]:
    from zorgbrug.allocation.models import AllocationRun

    actor = actor_for(user)
    if not actor.coordinated_network_ids:
        return AllocationRun.objects.none()
    return AllocationRun.objects.filter(network_id__in=actor.coordinated_network_ids)


def can_allocate(user: Any, network: Network) -> bool:
    return actor_for(user).coordinates(network.pk)
