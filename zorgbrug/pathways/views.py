"""Pathway pages: the referrer's worklist, a client's pathway (steps, regular childcare,
exit) and the outcome of a follow-up with the repeated screening. Thin views."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from zorgbrug.access import scoping as access
from zorgbrug.clients.forms import ScreeningForm
from zorgbrug.clients.selectors import client_for_view
from zorgbrug.core.forms import apply_errors, post_data
from zorgbrug.network.models import Organisation
from zorgbrug.pathways import selectors, services
from zorgbrug.pathways.forms import (
    ExitForm,
    NeedForm,
    OutcomeForm,
    PathwayActivityForm,
    RegularCareForm,
)
from zorgbrug.pathways.models import FollowUp, FollowUpStatus


@login_required
def worklist(request: HttpRequest) -> HttpResponse:
    if not access.client_organisation_ids(request.user):
        raise PermissionDenied
    return render(request, "pathways/worklist.html", selectors.worklist(user=request.user))


def _providers(client: Any) -> list[Organisation]:
    return list(
        Organisation.objects.filter(
            partnerships__network_id=client.network_id, partnerships__is_care_provider=True
        ).order_by("name")
    )


@login_required
def client_pathway(request: HttpRequest, client_pk: int) -> HttpResponse:
    client = client_for_view(user=request.user, pk=client_pk)
    which = request.POST.get("form") if request.method == "POST" else None
    data = post_data(request)
    recipients = list(client.care_recipients.filter(is_active=True).order_by("birth_date", "pk"))
    activity_form = PathwayActivityForm(data if which == "activity" else None, prefix="act")
    regular_form = RegularCareForm(
        data if which == "regular" else None,
        prefix="reg",
        recipients=recipients,
        providers=_providers(client),
    )
    exit_form = ExitForm(data if which == "exit" else None, prefix="exit")
    status = 200
    if which is not None:
        form: Any = {"activity": activity_form, "regular": regular_form, "exit": exit_form}.get(
            which
        )
        if form is None:
            raise Http404
        status = 400
        if form.is_valid():
            try:
                _save(request, which, form, client, recipients)
            except ValidationError as exc:
                apply_errors(form, exc)
            else:
                messages.success(request, _("Saved."))
                return redirect("pathways:client_pathway", client_pk=client.pk)
    context = selectors.pathway(user=request.user, client=client)
    context.update(
        {
            "activity_form": activity_form,
            "regular_form": regular_form,
            "exit_form": exit_form,
            "open_form": which,
        }
    )
    return render(request, "pathways/client_pathway.html", context, status=status)


def _save(request: HttpRequest, which: str, form: Any, client: Any, recipients: list[Any]) -> None:
    data = dict(form.cleaned_data)
    if which == "activity":
        services.pathway_activity_create(actor=request.user, client=client, **data)
    elif which == "regular":
        recipient = next((r for r in recipients if r.pk == data.pop("care_recipient")), None)
        provider_id = data.pop("provider")
        provider = next((o for o in _providers(client) if o.pk == provider_id), None)
        services.regular_care_record(
            actor=request.user,
            client=client,
            care_recipient=recipient,
            provider=provider,
            **data,
        )
    else:
        services.exit_record(actor=request.user, client=client, **data)


@login_required
def outcome_new(request: HttpRequest, client_pk: int) -> HttpResponse:
    client = client_for_view(user=request.user, pk=client_pk)
    follow_up: FollowUp | None = None
    raw = request.POST.get("follow_up") or request.GET.get("follow_up") or ""
    if raw:
        if not raw.isdigit():
            raise Http404
        follow_up = selectors.follow_up_for_view(user=request.user, pk=int(raw))
        if follow_up.client_id != client.pk:
            raise Http404
    data = post_data(request)
    form = OutcomeForm(data, prefix="out")
    screening_form = ScreeningForm(
        data, prefix="scr", initial={"taken_on": timezone.localdate(), "occasion": "follow_up"}
    )
    recipients = list(client.care_recipients.filter(is_active=True).order_by("birth_date", "pk"))
    need_forms = [NeedForm(data, prefix=f"need-{i}") for i in range(len(recipients))]
    status = 200
    if request.method == "POST":
        status = 400
        repeat = request.POST.get("out-repeat_screening") == "on"
        valid = form.is_valid()
        if repeat:
            valid = screening_form.is_valid() and all(f.is_valid() for f in need_forms) and valid
        if valid:
            screening = None
            needs: list[dict[str, Any]] = []
            if repeat:
                screening = {
                    k: v for k, v in screening_form.cleaned_data.items() if k != "occasion"
                }
                for i, nf in enumerate(need_forms):
                    needs.append(
                        {
                            "recipient_index": i,
                            "arrangement": nf.cleaned_data["arrangement"],
                            "hours_per_week": nf.cleaned_data["hours_per_week"],
                        }
                    )
            d = form.cleaned_data
            try:
                services.outcome_record(
                    actor=request.user,
                    client=client,
                    follow_up=follow_up,
                    observed_on=d["observed_on"],
                    status=d["status"],
                    contract_type=d.get("contract_type") or "",
                    hours_per_week=d.get("hours_per_week"),
                    sector=d.get("sector") or "",
                    same_job=form.same_job_value(),
                    note=d.get("note") or "",
                    screening=screening,
                    needs=needs,
                )
            except ValidationError as exc:
                apply_errors(form, exc)
            else:
                messages.success(request, _("The outcome has been recorded."))
                return redirect("pathways:client_pathway", client_pk=client.pk)
    return render(
        request,
        "pathways/outcome_form.html",
        {
            "client": client,
            "follow_up": follow_up
            if follow_up and follow_up.status == FollowUpStatus.OPEN
            else None,
            "form": form,
            "screening_form": screening_form,
            "need_forms": list(zip(recipients, need_forms, strict=True)),
        },
        status=status,
    )
