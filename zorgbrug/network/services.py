"""Writes for networks, partner organisations, sites, contacts and memberships.

Each function is the one entry point for its mutation: it checks permission through
`zorgbrug.access.scoping`, validates, writes in one transaction and records an audit event.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from zorgbrug.access import audit
from zorgbrug.access import scoping as access
from zorgbrug.network.models import (
    Contact,
    Membership,
    Network,
    Organisation,
    Partner,
    PartnerRole,
    Postcode,
    Site,
    StaffRole,
)
from zorgbrug.network.postcodes import PostcodeRow, parse_postcodes
from zorgbrug.network.validators import normalise_kbo

ProgressFn = Callable[[int, int, str], None]


def _clean(instance: Any, exclude: Iterable[str] = ()) -> None:
    instance.full_clean(exclude=list(exclude))


# --- Postcodes ------------------------------------------------------------------------


def postcode_lookup(*, code: str, name: str = "") -> Postcode | None:
    """The postcode row for a code (and, when given, the place name)."""
    qs = Postcode.objects.filter(code=code.strip())
    if name:
        exact = qs.filter(name__iexact=name.strip()).first()
        if exact:
            return exact
    return qs.first()


def postcodes_import(*, data: bytes | str, progress: ProgressFn | None = None) -> dict[str, int]:
    """Load a postcode file all-or-nothing: any bad row and nothing changes.

    Existing (code, name) pairs get their coordinates updated; new ones are added.
    """
    rows: list[PostcodeRow] = parse_postcodes(data)
    existing = {(p.code, p.name.lower()): p for p in Postcode.objects.all()}
    created: list[Postcode] = []
    updated: list[Postcode] = []
    for row in rows:
        current = existing.get((row.code, row.name.lower()))
        if current is None:
            created.append(
                Postcode(
                    code=row.code,
                    name=row.name,
                    latitude=row.latitude,
                    longitude=row.longitude,
                    province=row.province,
                )
            )
        elif (current.latitude, current.longitude, current.province) != (
            row.latitude,
            row.longitude,
            row.province,
        ):
            current.latitude, current.longitude = row.latitude, row.longitude
            current.province = row.province
            updated.append(current)
    total = len(created) + len(updated)
    with transaction.atomic():
        for start in range(0, len(created), 500):
            Postcode.objects.bulk_create(created[start : start + 500])
            if progress:
                progress(min(start + 500, len(created)), total, _("Adding postcodes"))
        for start in range(0, len(updated), 500):
            Postcode.objects.bulk_update(
                updated[start : start + 500], ["latitude", "longitude", "province"]
            )
            if progress:
                progress(
                    len(created) + min(start + 500, len(updated)), total, _("Updating postcodes")
                )
    return {"created": len(created), "updated": len(updated), "rows": len(rows)}


def _locate_site(site: Site) -> None:
    """Fill municipality and coordinates from the postcode table; refuse unknown codes."""
    code = (site.postcode or "").strip()
    match = postcode_lookup(code=code, name=site.municipality)
    if match is None:
        raise ValidationError(
            {
                "postcode": _("Unknown postcode %(code)s: enter a Belgian postcode, e.g. 9900.")
                % {"code": code}
            }
        )
    site.postcode = code
    if not site.municipality:
        site.municipality = match.name
    if site.latitude is None or site.longitude is None:
        site.latitude, site.longitude = match.latitude, match.longitude


# --- Networks -------------------------------------------------------------------------


@transaction.atomic
def network_update(*, actor: Any, network: Network, **fields: Any) -> Network:
    access.require(access.can_manage_network(actor, network))
    for name, value in fields.items():
        setattr(network, name, value)
    _clean(network)
    network.save()
    audit.record(
        actor=actor,
        action="update",
        obj=network,
        network_id=network.pk,
        detail={"fields": sorted(fields)},
    )
    return network


@transaction.atomic
def network_create(
    *,
    name: str,
    slug: str,
    region: str = "",
    description: str = "",
    coordinator: Organisation | None = None,
    actor: Any = None,
) -> Network:
    """Create a network (superusers, the set-up wizard, the demo loader).

    The coordinator organisation, if given, becomes its coordinating partner.
    """
    if actor is not None:
        access.require(bool(getattr(actor, "is_superuser", False)))
    network = Network(name=name, slug=slug, region=region, description=description)
    _clean(network)
    network.save()
    if coordinator is not None:
        Partner.objects.create(network=network, organisation=coordinator, is_coordinator=True)
    if actor is not None:
        audit.record(actor=actor, action="create", obj=network, network_id=network.pk)
    return network


# --- Organisations and partner roles --------------------------------------------------


def _kbo_or_none(value: str | None) -> str | None:
    if value is None or not str(value).strip():
        return None
    try:
        return normalise_kbo(str(value))
    except ValidationError as exc:
        raise ValidationError({"kbo_number": exc.error_list}) from exc


def _set_roles(partner: Partner, roles: Iterable[str]) -> None:
    roles = set(roles)
    unknown = roles - set(PartnerRole.values)
    if unknown:
        raise ValidationError(_("Unknown role(s): %(roles)s") % {"roles": ", ".join(unknown)})
    for role, field in Partner.ROLE_FIELDS.items():
        setattr(partner, field, role in roles)


@transaction.atomic
def organisation_create(
    *,
    actor: Any,
    network: Network,
    name: str,
    kind: str,
    roles: Iterable[str],
    kbo_number: str | None = None,
    provider_kind: str = "",
    email: str = "",
    phone: str = "",
    website: str = "",
) -> Organisation:
    """Register a partner organisation in a network the actor coordinates."""
    if actor is not None:
        access.require(access.can_manage_network(actor, network))
    kbo = _kbo_or_none(kbo_number)
    if kbo and Organisation.objects.filter(kbo_number=kbo).exists():
        raise ValidationError(
            {
                "kbo_number": _(
                    "An organisation with enterprise number %(kbo)s is already registered; "
                    "add it to this network from its page instead."
                )
                % {"kbo": kbo}
            }
        )
    org = Organisation(
        name=name,
        kind=kind,
        kbo_number=kbo,
        provider_kind=provider_kind,
        email=email,
        phone=phone,
        website=website,
    )
    _clean(org)
    org.save()
    partner = Partner(network=network, organisation=org)
    _set_roles(partner, roles)
    partner.save()
    if actor is not None:
        audit.record(
            actor=actor,
            action="create",
            obj=org,
            network_id=network.pk,
            detail={"roles": sorted(roles)},
        )
    return org


@transaction.atomic
def organisation_update(*, actor: Any, organisation: Organisation, **fields: Any) -> Organisation:
    access.require(access.can_manage_organisation(actor, organisation))
    if "kbo_number" in fields:
        fields["kbo_number"] = _kbo_or_none(fields["kbo_number"])
        kbo = fields["kbo_number"]
        if kbo and Organisation.objects.filter(kbo_number=kbo).exclude(pk=organisation.pk).exists():
            raise ValidationError(
                {
                    "kbo_number": _("Another organisation already has enterprise number %(kbo)s.")
                    % {"kbo": kbo}
                }
            )
    for name, value in fields.items():
        setattr(organisation, name, value)
    _clean(organisation)
    organisation.save()
    audit.record(actor=actor, action="update", obj=organisation, detail={"fields": sorted(fields)})
    return organisation


@transaction.atomic
def partner_set_roles(
    *, actor: Any, network: Network, organisation: Organisation, roles: Iterable[str]
) -> Partner:
    """Add an organisation to a network, or change its roles there."""
    access.require(access.can_manage_network(actor, network))
    partner, _created = Partner.objects.select_for_update().get_or_create(
        network=network, organisation=organisation
    )
    roles = set(roles)
    other_coordinators = Partner.objects.filter(network=network, is_coordinator=True).exclude(
        pk=partner.pk
    )
    if (
        partner.is_coordinator
        and PartnerRole.COORDINATOR not in roles
        and not other_coordinators.exists()
    ):
        raise ValidationError(_("A network needs at least one coordinating organisation."))
    _set_roles(partner, roles)
    partner.save()
    audit.record(
        actor=actor,
        action="update",
        obj=partner,
        network_id=network.pk,
        detail={"roles": sorted(roles)},
    )
    return partner


# --- Sites and contacts ---------------------------------------------------------------


@transaction.atomic
def site_create(
    *,
    actor: Any,
    organisation: Organisation,
    name: str,
    street: str,
    postcode: str,
    municipality: str = "",
    phone: str = "",
    latitude: Any = None,
    longitude: Any = None,
) -> Site:
    if actor is not None:
        access.require(access.can_manage_organisation(actor, organisation))
    site = Site(
        organisation=organisation,
        name=name,
        street=street,
        postcode=postcode,
        municipality=municipality,
        phone=phone,
        latitude=latitude,
        longitude=longitude,
    )
    _locate_site(site)
    _clean(site)
    site.save()
    if actor is not None:
        audit.record(actor=actor, action="create", obj=site)
    return site


@transaction.atomic
def site_update(*, actor: Any, site: Site, **fields: Any) -> Site:
    access.require(access.can_manage_organisation(actor, site.organisation))
    relocate = {"postcode", "municipality"} & set(fields)
    for name, value in fields.items():
        setattr(site, name, value)
    if relocate and not {"latitude", "longitude"} & set(fields):
        site.latitude = site.longitude = None
    _locate_site(site)
    _clean(site)
    site.save()
    audit.record(actor=actor, action="update", obj=site, detail={"fields": sorted(fields)})
    return site


@transaction.atomic
def contact_save(
    *, actor: Any, organisation: Organisation, contact: Contact | None = None, **fields: Any
) -> Contact:
    access.require(access.can_manage_organisation(actor, organisation))
    contact = contact or Contact(organisation=organisation)
    if contact.organisation_id != organisation.pk:
        raise ValidationError(_("This contact belongs to another organisation."))
    created = contact.pk is None
    for name, value in fields.items():
        setattr(contact, name, value)
    _clean(contact)
    contact.save()
    audit.record(actor=actor, action="create" if created else "update", obj=contact)
    return contact


@transaction.atomic
def contact_delete(*, actor: Any, contact: Contact) -> None:
    access.require(access.can_manage_organisation(actor, contact.organisation))
    audit.record(actor=actor, action="delete", obj=contact)
    contact.delete()


# --- Memberships ----------------------------------------------------------------------


def membership_grant(*, actor: Any, user: Any, organisation: Organisation, role: str) -> Membership:
    """Give a user a role at an organisation (reactivating a former one)."""
    if role not in StaffRole.values:
        raise ValidationError(_("Unknown role %(role)s") % {"role": role})
    if actor is not None:
        access.require(access.can_manage_organisation(actor, organisation))
    with transaction.atomic():
        membership, created = Membership.objects.get_or_create(
            user=user, organisation=organisation, role=role
        )
        if not created and not membership.is_active:
            membership.is_active = True
            membership.save(update_fields=["is_active"])
        if actor is not None:
            audit.record(actor=actor, action="create", obj=membership)
    access.forget(user)
    return membership


@transaction.atomic
def membership_set_active(*, actor: Any, membership: Membership, active: bool) -> Membership:
    access.require(access.can_manage_organisation(actor, membership.organisation))
    if (
        not active
        and membership.user_id == getattr(actor, "pk", None)
        and (membership.role == StaffRole.COORDINATOR)
    ):
        raise ValidationError(_("You cannot take away your own coordinator role."))
    membership.is_active = active
    membership.save(update_fields=["is_active"])
    audit.record(actor=actor, action="update", obj=membership, detail={"active": active})
    return membership
