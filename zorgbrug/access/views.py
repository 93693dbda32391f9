"""Log-in, log-out, invitations, the account page with personal API tokens."""

from __future__ import annotations

from typing import Any, cast

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from zorgbrug.access import audit, services
from zorgbrug.access import scoping as access
from zorgbrug.access.forms import (
    ApiTokenForm,
    EmailAuthenticationForm,
    InvitationAcceptForm,
    ProfileForm,
)
from zorgbrug.access.models import ApiToken, User
from zorgbrug.core.forms import apply_errors, post_data


def _activate_user_language(request: HttpRequest, response: HttpResponse) -> HttpResponse:
    """After log-in, switch to the language the user chose in their profile."""
    from django.conf import settings

    language = getattr(request.user, "language", None)
    if language:
        translation.activate(language)
        response.set_cookie(settings.LANGUAGE_COOKIE_NAME, language, samesite="Lax")
    return response


class LoginView(auth_views.LoginView):
    template_name = "access/login.html"
    authentication_form = EmailAuthenticationForm
    redirect_authenticated_user = True

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        user = cast(User, self.request.user)
        audit.record(actor=user, action="login", obj=user)
        return _activate_user_language(self.request, response)

    def form_invalid(self, form: Any) -> HttpResponse:
        email = str(form.data.get("username", ""))[:200]
        audit.record(
            actor=None, action="login_failed", object_type="access.user", object_label=email
        )
        return super().form_invalid(form)


class LogoutView(auth_views.LogoutView):
    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if isinstance(request.user, User):
            audit.record(actor=request.user, action="logout", obj=request.user)
        return super().post(request, *args, **kwargs)


class PasswordResetView(auth_views.PasswordResetView):
    template_name = "access/password_reset.html"
    email_template_name = "access/email/password_reset.txt"
    subject_template_name = "access/email/password_reset_subject.txt"
    success_url = reverse_lazy("access:password_reset_done")


class PasswordResetDoneView(auth_views.PasswordResetDoneView):
    template_name = "access/password_reset_done.html"


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "access/password_reset_confirm.html"
    success_url = reverse_lazy("access:password_reset_complete")


class PasswordResetCompleteView(auth_views.PasswordResetCompleteView):
    template_name = "access/password_reset_complete.html"


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "access/password_change.html"
    success_url = reverse_lazy("access:account")

    def form_valid(self, form: Any) -> HttpResponse:
        messages.success(self.request, _("Your password has been changed."))
        return super().form_valid(form)


def invitation_accept(request: HttpRequest, token: str) -> HttpResponse:
    invitation = services.invitation_for_token(token)
    if invitation is None:
        return render(request, "access/invitation_invalid.html", status=404)
    has_account = User.objects.filter(email=invitation.email).exists()
    needs_password = not has_account
    if has_account and (
        not request.user.is_authenticated or request.user.email != invitation.email
    ):
        messages.info(
            request, _("You already have an account: log in, then open the invitation link again.")
        )
        return redirect(f"{reverse_lazy('access:login')}?next={request.path}")
    form = InvitationAcceptForm(
        post_data(request),
        needs_password=needs_password,
        initial={"full_name": invitation.full_name},
    )
    if request.method == "POST" and form.is_valid():
        try:
            user = services.invitation_accept(
                token=token,
                full_name=form.cleaned_data.get("full_name", ""),
                password=form.cleaned_data.get("password1"),
                current_user=request.user if request.user.is_authenticated else None,
            )
        except ValidationError as exc:
            apply_errors(form, exc, password_field="password1")  # noqa: S106 (a field name)
        else:
            if not request.user.is_authenticated:
                login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(
                request,
                _("Welcome! You now work in Zorgbrug for %(org)s.")
                % {"org": invitation.organisation.name},
            )
            return redirect("core:home")
    return render(
        request, "access/invitation_accept.html", {"form": form, "invitation": invitation}
    )


@login_required
def account(request: HttpRequest) -> HttpResponse:
    user = cast(User, request.user)
    profile_form = ProfileForm(
        request.POST if "save_profile" in request.POST else None, instance=user, prefix="profile"
    )
    token_form = ApiTokenForm(
        request.POST if "create_token" in request.POST else None, prefix="token"
    )
    new_key = None
    if request.method == "POST":
        if "save_profile" in request.POST and profile_form.is_valid():
            profile_form.save()
            audit.record(actor=user, action="update", obj=user, detail={"fields": ["profile"]})
            messages.success(request, _("Your profile has been saved."))
            response = redirect("access:account")
            return _activate_user_language(request, response)
        if "create_token" in request.POST and token_form.is_valid():
            _token, new_key = services.api_token_issue(
                user=user,
                name=token_form.cleaned_data["name"],
            )
            token_form = ApiTokenForm(prefix="token")
    memberships = access.memberships(user).filter(user=user).select_related("organisation")
    tokens = ApiToken.objects.filter(user=user).order_by("-created_at")
    return render(
        request,
        "access/account.html",
        {
            "profile_form": profile_form,
            "token_form": token_form,
            "new_key": new_key,
            "tokens": tokens,
            "memberships": memberships,
        },
    )


@login_required
@require_POST
def token_revoke(request: HttpRequest, pk: int) -> HttpResponseRedirect:
    user = cast(User, request.user)
    token = access.get_or_404(ApiToken.objects.filter(user=user), pk=pk)
    services.api_token_revoke(user=user, token=token)
    messages.success(request, _("The token has been revoked."))
    return redirect("access:account")
