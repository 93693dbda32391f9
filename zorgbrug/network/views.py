"""Pages to manage a network: partner organisations, sites, contacts and staff."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from zorgbrug.access import scoping as access
from zorgbrug.access import services as access_services
from zorgbrug.core.forms import apply_errors, post_data
from zorgbrug.jobs.services import job_enqueue
from zorgbrug.network import selectors, services
from zorgbrug.network.forms import (
    ContactForm,
    InviteForm,
    NetworkForm,
    OrganisationForm,
    PartnerRolesForm,
    PostcodeUploadForm,
    SiteForm,
)


def _form_page(
    request: HttpRequest,
    form: Any,
    *,
    title: str,
    back_url: str,
    back_label: str,
    submit_label: str | None = None,
    intro: str = "",
    multipart: bool = False,
    status: int = 200,
) -> HttpResponse:
    return render(
        request,
        "core/form_page.html",
        {
            "form": form,
            "title": title,
            "back_url": back_url,
            "back_label": back_label,
            "submit_label": submit_label,
            "intro": intro,
            "multipart": multipart,
        },
        status=status,
    )


def _invalid_status(request: HttpRequest) -> int:
    return 400 if request.method == "POST" else 200


# --- Networks -------------------------------------------------------------------------


@login_required
def network_list(request: HttpRequest) -> HttpResponse:
    networks = access.networks(request.user).order_by("name")
    managed = set(access.networks(request.user, manage=True).values_list("pk", flat=True))
    return render(request, "network/network_list.html", {"networks": networks, "managed": managed})


@login_required
def network_detail(request: HttpRequest, slug: str) -> HttpResponse:
    network = access.get_or_404(access.networks(request.user), slug=slug)
    can_manage = access.can_manage_network(request.user, network)
    return render(
        request,
        "network/network_detail.html",
        {
            "network": network,
            "can_manage": can_manage,
            "partners": selectors.network_partners(user=request.user, network=network),
            "visible_orgs": set(access.organisations(request.user).values_list("pk", flat=True)),
        },
    )


@login_required
def network_edit(request: HttpRequest, slug: str) -> HttpResponse:
    network = access.get_or_404(access.networks(request.user, manage=True), slug=slug)
    form = NetworkForm(post_data(request), instance=network)
    if request.method == "POST" and form.is_valid():
        try:
            services.network_update(
                actor=request.user,
                network=network,
                **{f: form.cleaned_data[f] for f in form.Meta.fields},
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("The network has been saved."))
            return redirect("network:network_detail", slug=network.slug)
    network.refresh_from_db()
    return _form_page(
        request,
        form,
        title=_("Edit the network"),
        back_url=reverse("network:network_detail", args=[network.slug]),
        back_label=network.name,
        status=_invalid_status(request),
    )


@login_required
def network_audit(request: HttpRequest, slug: str) -> HttpResponse:
    network = access.get_or_404(access.networks(request.user, manage=True), slug=slug)
    events = (
        access.audit_events(request.user)
        .filter(Q(network=network) | Q(organisation__partnerships__network=network))
        .distinct()
    )
    page = Paginator(events, 50).get_page(request.GET.get("page"))
    return render(request, "network/audit.html", {"network": network, "page": page})


# --- Organisations --------------------------------------------------------------------


@login_required
def organisation_create(request: HttpRequest, slug: str) -> HttpResponse:
    network = access.get_or_404(access.networks(request.user, manage=True), slug=slug)
    form = OrganisationForm(post_data(request))
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        try:
            org = services.organisation_create(actor=request.user, network=network, **data)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(
                request,
                _("%(name)s has been added to the network. Add its sites and staff now.")
                % {"name": org.name},
            )
            return redirect("network:organisation_detail", pk=org.pk)
    return _form_page(
        request,
        form,
        title=_("Add a partner organisation"),
        back_url=reverse("network:network_detail", args=[network.slug]),
        back_label=network.name,
        status=_invalid_status(request),
    )


@login_required
def my_organisations(request: HttpRequest) -> HttpResponse:
    orgs = list(selectors.my_organisations(user=request.user))
    if len(orgs) == 1:
        return redirect("network:organisation_detail", pk=orgs[0].pk)
    return render(request, "network/my_organisations.html", {"organisations": orgs})


@login_required
def organisation_detail(request: HttpRequest, pk: int) -> HttpResponse:
    org = access.get_or_404(access.organisations(request.user), pk=pk)
    return render(
        request,
        "network/organisation_detail.html",
        selectors.organisation_detail(user=request.user, organisation=org),
    )


@login_required
def organisation_edit(request: HttpRequest, pk: int) -> HttpResponse:
    org = access.get_or_404(access.organisations(request.user, manage=True), pk=pk)
    form = OrganisationForm(post_data(request), instance=org, with_roles=False)
    if request.method == "POST" and form.is_valid():
        try:
            services.organisation_update(actor=request.user, organisation=org, **form.cleaned_data)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("The organisation has been saved."))
            return redirect("network:organisation_detail", pk=org.pk)
    org.refresh_from_db()
    return _form_page(
        request,
        form,
        title=_("Edit %(name)s") % {"name": org.name},
        back_url=reverse("network:organisation_detail", args=[org.pk]),
        back_label=org.name,
        status=_invalid_status(request),
    )


@login_required
def partner_roles(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    network = access.get_or_404(access.networks(request.user, manage=True), slug=slug)
    org = access.get_or_404(access.organisations(request.user, manage=True), pk=pk)
    partner = (
        access.partners(request.user, manage=True).filter(network=network, organisation=org).first()
    )
    form = PartnerRolesForm(
        post_data(request), initial={"roles": [r.value for r in partner.roles] if partner else []}
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.partner_set_roles(
                actor=request.user,
                network=network,
                organisation=org,
                roles=form.cleaned_data["roles"],
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("The roles have been saved."))
            return redirect("network:organisation_detail", pk=org.pk)
    return _form_page(
        request,
        form,
        title=_("Roles of %(org)s in %(network)s") % {"org": org.name, "network": network.name},
        back_url=reverse("network:organisation_detail", args=[org.pk]),
        back_label=org.name,
        status=_invalid_status(request),
    )


# --- Sites ----------------------------------------------------------------------------


@login_required
def site_create(request: HttpRequest, pk: int) -> HttpResponse:
    org = access.get_or_404(access.organisations(request.user, manage=True), pk=pk)
    form = SiteForm(post_data(request))
    if request.method == "POST" and form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if k != "is_active"}
        try:
            services.site_create(actor=request.user, organisation=org, **data)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("The site has been added."))
            return redirect("network:organisation_detail", pk=org.pk)
    return _form_page(
        request,
        form,
        title=_("Add a site"),
        back_url=reverse("network:organisation_detail", args=[org.pk]),
        back_label=org.name,
        status=_invalid_status(request),
    )


@login_required
def site_edit(request: HttpRequest, pk: int) -> HttpResponse:
    site = access.get_or_404(
        access.sites(request.user, manage=True).select_related("organisation"), pk=pk
    )
    form = SiteForm(post_data(request), instance=site)
    if request.method == "POST" and form.is_valid():
        changed = {k: form.cleaned_data[k] for k in form.changed_data}
        try:
            services.site_update(actor=request.user, site=site, **changed)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("The site has been saved."))
            return redirect("network:organisation_detail", pk=site.organisation_id)
    site.refresh_from_db()
    return _form_page(
        request,
        form,
        title=_("Edit %(name)s") % {"name": site.name},
        back_url=reverse("network:organisation_detail", args=[site.organisation_id]),
        back_label=site.organisation.name,
        status=_invalid_status(request),
    )


# --- Contacts -------------------------------------------------------------------------


@login_required
def contact_create(request: HttpRequest, pk: int) -> HttpResponse:
    org = access.get_or_404(access.organisations(request.user, manage=True), pk=pk)
    return _contact_form(request, org, None)


@login_required
def contact_edit(request: HttpRequest, pk: int) -> HttpResponse:
    contact = access.get_or_404(
        access.contacts(request.user, manage=True).select_related("organisation"), pk=pk
    )
    return _contact_form(request, contact.organisation, contact)


def _contact_form(request: HttpRequest, org: Any, contact: Any) -> HttpResponse:
    form = ContactForm(post_data(request), instance=contact)
    if request.method == "POST" and form.is_valid():
        try:
            services.contact_save(
                actor=request.user, organisation=org, contact=contact, **form.cleaned_data
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("The contact has been saved."))
            return redirect("network:organisation_detail", pk=org.pk)
    return _form_page(
        request,
        form,
        title=_("Add a contact") if contact is None else _("Edit the contact"),
        back_url=reverse("network:organisation_detail", args=[org.pk]),
        back_label=org.name,
        status=_invalid_status(request),
    )


@login_required
@require_POST
def contact_delete(request: HttpRequest, pk: int) -> HttpResponse:
    contact = access.get_or_404(access.contacts(request.user, manage=True), pk=pk)
    org_id = contact.organisation_id
    services.contact_delete(actor=request.user, contact=contact)
    messages.success(request, _("The contact has been removed."))
    return redirect("network:organisation_detail", pk=org_id)


# --- Staff ----------------------------------------------------------------------------


@login_required
def staff_invite(request: HttpRequest, pk: int) -> HttpResponse:
    org = access.get_or_404(access.organisations(request.user, manage=True), pk=pk)
    form = InviteForm(post_data(request), initial={"language": request.LANGUAGE_CODE})
    if request.method == "POST" and form.is_valid():
        try:
            access_services.invitation_create(
                actor=request.user, organisation=org, **form.cleaned_data
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(
                request,
                _("An invitation has been sent to %(email)s.")
                % {"email": form.cleaned_data["email"]},
            )
            return redirect("network:organisation_detail", pk=org.pk)
    return _form_page(
        request,
        form,
        title=_("Invite a staff member"),
        intro=_("They receive an e-mail with a link to choose a password."),
        back_url=reverse("network:organisation_detail", args=[org.pk]),
        back_label=org.name,
        submit_label=_("Send the invitation"),
        status=_invalid_status(request),
    )


@login_required
@require_POST
def membership_toggle(request: HttpRequest, pk: int) -> HttpResponse:
    membership = access.get_or_404(access.memberships(request.user, manage=True), pk=pk)
    try:
        services.membership_set_active(
            actor=request.user, membership=membership, active=not membership.is_active
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request,
            _("The role has been switched on.")
            if membership.is_active
            else _("The role has been switched off."),
        )
    return redirect("network:organisation_detail", pk=membership.organisation_id)


@login_required
@require_POST
def invitation_revoke(request: HttpRequest, pk: str) -> HttpResponse:
    invitation = access.get_or_404(access.invitations(request.user), pk=pk)
    access_services.invitation_revoke(actor=request.user, invitation=invitation)
    messages.success(request, _("The invitation has been withdrawn."))
    return redirect("network:organisation_detail", pk=invitation.organisation_id)


# --- Postcodes ------------------------------------------------------------------------


@login_required
def postcode_import(request: HttpRequest) -> HttpResponse:
    # Postcodes are shared reference data (not personal); any network coordinator may load them.
    access.require(bool(access.actor_for(request.user).coordinated_network_ids))
    form = PostcodeUploadForm(post_data(request), request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data: bytes = form.cleaned_data["file"]
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            form.add_error("file", _("The file is not UTF-8 text."))
        else:
            job = job_enqueue(
                kind="network.postcodes_import",
                title=_("Load postcodes"),
                params={"data": text},
                user=request.user,
            )
            return redirect("jobs:job_detail", pk=job.pk)
    return _form_page(
        request,
        form,
        title=_("Load postcodes"),
        intro=_(
            "All or nothing: if one row is wrong, nothing is loaded and "
            "you get the list of wrong rows."
        ),
        back_url=reverse("network:network_list"),
        back_label=_("Networks"),
        submit_label=_("Load"),
        multipart=True,
        status=_invalid_status(request),
    )
