"""Navigation for the layout: what the logged-in user may open, by role."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import get_language_bidi
from django.utils.translation import gettext_lazy as _

from zorgbrug.access import scoping


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    items: list[dict[str, Any]] = []
    actor = scoping.actor_for(user)
    if actor.is_authenticated:
        items.append({"label": _("Home"), "url": reverse("core:home"), "key": "home"})
        if scoping.client_organisation_ids(user):
            items.append(
                {"label": _("Caseload"), "url": reverse("clients:caseload"), "key": "caseload"}
            )
            items.append(
                {"label": _("Worklist"), "url": reverse("pathways:worklist"), "key": "worklist"}
            )
        if scoping.client_organisation_ids(user) or actor.has_role("trainer"):
            items.append(
                {"label": _("Training"), "url": reverse("training:catalogue"), "key": "training"}
            )
        if actor.has_role("provider") or actor.coordinated_network_ids:
            items.append({"label": _("Care sites"), "url": reverse("care:my_sites"), "key": "care"})
        if actor.coordinated_network_ids:
            items.append(
                {"label": _("Network"), "url": reverse("network:network_list"), "key": "network"}
            )
        if actor.coordinated_network_ids:
            items.append(
                {"label": _("Allocation"), "url": reverse("allocation:index"), "key": "allocation"}
            )
        if actor.coordinated_network_ids:
            items.append(
                {"label": _("Covenant"), "url": reverse("covenant:index"), "key": "covenant"}
            )
        elif actor.organisation_ids_with(*scoping.STATEMENT_ROLES):
            items.append(
                {"label": _("Statements"), "url": reverse("covenant:index"), "key": "covenant"}
            )
        if actor.organisation_ids:
            items.append(
                {
                    "label": _("My organisation"),
                    "url": reverse("network:my_organisations"),
                    "key": "organisation",
                }
            )
        if scoping.research_network_ids(user):
            items.append(
                {"label": _("Evaluation"), "url": reverse("research:dashboard"), "key": "research"}
            )
        items.append({"label": _("Account"), "url": reverse("access:account"), "key": "account"})
    return {
        "nav_items": items,
        "is_rtl": get_language_bidi(),
        "staff_languages": settings.STAFF_LANGUAGES,
    }
