"""Personal API tokens: `Authorization: Token <key>`."""

from __future__ import annotations

from typing import Any

from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.request import Request

from zorgbrug.access.models import ApiToken, User
from zorgbrug.core.db import from_row


def _live_token(key_hash: str) -> ApiToken | None:
    """The unrevoked token with this hash and its user, in one plain query: every API call
    starts here, and the ORM's query building cost more than the query. The user comes
    whole (as select_related would give it); the token with the fields used here."""
    user_fields = list(User._meta.concrete_fields)
    token_table = ApiToken._meta.db_table
    user_table = User._meta.db_table
    columns = ", ".join(f'u."{f.column}"' for f in user_fields)
    sql = (
        f'SELECT t."id", t."last_used_at", {columns} FROM "{token_table}" t '  # noqa: S608
        f'JOIN "{user_table}" u ON u."id" = t."user_id" '
        f'WHERE t."key_hash" = %s AND t."revoked_at" IS NULL'
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [key_hash])
        row = cursor.fetchone()
    if row is None:
        return None
    user = from_row(User, [f.attname for f in user_fields], row[2:])
    token = from_row(ApiToken, ["id", "user_id", "last_used_at"], [row[0], user.pk, row[1]])
    token.user = user
    return token


class PersonalTokenAuthentication(BaseAuthentication):
    keyword = "Token"

    def authenticate(self, request: Request) -> tuple[Any, ApiToken] | None:
        auth = get_authorization_header(request).split()
        if not auth or auth[0].lower() != self.keyword.lower().encode():
            return None
        if len(auth) != 2:
            raise exceptions.AuthenticationFailed(
                _("Invalid token header: use 'Authorization: Token <key>'.")
            )
        try:
            key = auth[1].decode()
        except UnicodeError as exc:
            raise exceptions.AuthenticationFailed(_("Invalid token.")) from exc
        token = _live_token(ApiToken.hash_key(key))
        if token is None or not token.user.is_active:
            raise exceptions.AuthenticationFailed(_("Invalid or revoked token."))
        now = timezone.now()
        # Writing on every call would turn reads into writes; a minute's precision is enough.
        if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        return token.user, token

    def authenticate_header(self, request: Request) -> str:
        return self.keyword


class PersonalTokenScheme(OpenApiAuthenticationExtension):
    target_class = "zorgbrug.access.authentication.PersonalTokenAuthentication"
    name = "PersonalToken"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "Personal API token: `Token <key>`",
        }
