"""Loading the demo region, idempotently: run it as often as you like."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction

from zorgbrug.access.models import User
from zorgbrug.demo import data
from zorgbrug.network import services as network_services
from zorgbrug.network.models import Contact, Network, Organisation, Partner, Postcode, Site


def require_debug() -> None:
    if not settings.DEBUG:
        raise ImproperlyConfigured(
            "Demo data is only for a development installation: run with DEBUG=1."
        )


@transaction.atomic
def load_demo(*, password: str | None = None) -> dict[str, Any]:
    require_debug()
    password = password or settings.DEMO_PASSWORD
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

    users = []
    for email, full_name, language, org_key, role in data.USERS:
        user = User.objects.filter(email=email).first()
        if user is None:
            user = User.objects.create_user(email, password, full_name=full_name, language=language)
        network_services.membership_grant(
            actor=None, user=user, organisation=orgs[org_key], role=role
        )
        users.append(email)
    if not User.objects.filter(email="admin@demo.zorgbrug.be").exists():
        User.objects.create_superuser("admin@demo.zorgbrug.be", password, full_name="Demo Admin")
    return {"networks": len(networks), "organisations": len(orgs), "users": users}
