"""REST API for client records: clients, care recipients, consents, screenings — /api/v1/.

One view per resource and input/output serializers per operation (the HackSoft style): input
serializers only check shapes and types, the services (`zorgbrug.clients.services`) validate
the record itself and write it, so the API answers with the same translated messages as the
pages (a service's ValidationError becomes a 400 in `zorgbrug.core.api`).

Reads: every endpoint that names a client goes through `selectors.client_for_view`, which
audits the read ("view") or the refusal ("denied") — a client outside the user's scope is a
404, as on the pages. The caseload list writes one "view" event *per client on the page*, in
one INSERT: a client's own audit trail (``object_id``) then shows every list that revealed
them, which a per-page event with the ids in its detail would hide from that trail, and the
query count still does not grow with the page size. Every queryset comes from
`zorgbrug.access.scoping`.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import exceptions, serializers, status
from rest_framework.pagination import PageNumberPagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from zorgbrug.access import audit
from zorgbrug.access import scoping as access
from zorgbrug.access.models import AuditEvent
from zorgbrug.clients import selectors, services
from zorgbrug.clients.models import (
    AdultCareKind,
    Arrangement,
    CareRecipient,
    Client,
    ClientStatus,
    Consent,
    Gender,
    IncomeSource,
    Isced,
    LabourStatus,
    MainBarrier,
    RecipientKind,
    RefusalReason,
    Screening,
    ScreeningNeed,
    ScreeningOccasion,
    WouldAccept,
)
from zorgbrug.clients.screening import days_from_mask, days_mask
from zorgbrug.core.api import RefOutput
from zorgbrug.network.models import Network, Organisation

TAGS = ["clients"]

# --- Shared pieces --------------------------------------------------------------------


@extend_schema_field(
    {"type": "string", "enum": list(RecipientKind.values), "description": "`child` or `adult`"},
    component_name="RecipientKindEnum",
)
class RecipientKindField(serializers.ChoiceField):
    """The kind of care recipient, as its own schema component: left to the enum naming it
    would collide with the organisations' "kind" and rename that existing KindEnum."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(choices=RecipientKind.choices, **kwargs)


class ClientPagination(PageNumberPagination):
    page_size = 25
    page_size_query_param = "page_size"
    max_page_size = 100


class ActingOrganisationInput(serializers.Serializer):
    organisation = serializers.IntegerField(
        required=False,
        help_text=(
            "Id of the organisation you act for. Needed only when you refer through more "
            "than one organisation."
        ),
    )


def _acting_organisation(user: Any, organisation_id: int | None) -> Organisation:
    """The organisation the user acts for: the one named, or their only client organisation."""
    ids = access.client_organisation_ids(user)
    if not ids:
        raise exceptions.PermissionDenied(
            _("Only referrers and coordinators work with client records.")
        )
    if organisation_id is None:
        if len(ids) > 1:
            raise exceptions.ValidationError(
                {"organisation": [_("Say which of your organisations you act for.")]}
            )
        (organisation_id,) = ids
    if organisation_id not in ids:
        raise exceptions.ValidationError(
            {"organisation": [_("You cannot act for this organisation.")]}
        )
    return access.organisations(user).get(pk=organisation_id)


def _client(request: Request, pk: int) -> Client:
    """A client in the user's scope; the read is audited, and so is a refusal (404)."""
    return selectors.client_for_view(user=request.user, pk=pk)


def _nest_errors(exc: ValidationError) -> exceptions.ValidationError:
    """A service's flat field errors, nested like the intake's input (client.insz, …)."""
    if not hasattr(exc, "error_dict"):
        return exceptions.ValidationError({"non_field_errors": exc.messages})
    nested: dict[str, Any] = {}
    for field, messages in exc.message_dict.items():
        if field in services.CLIENT_FIELDS:
            nested.setdefault("client", {})[field] = messages
        elif field in services.SCREENING_FIELDS:
            nested.setdefault("screening", {})[field] = messages
        elif field in {"care_support", "given_at", "share_with_partners", "research_use"}:
            nested.setdefault("consent", {})[field] = messages
        elif field in {"care_recipients", "needs"}:
            nested[field] = messages
        else:
            nested.setdefault("non_field_errors", []).extend(messages)
    return exceptions.ValidationError(nested)


# --- Output ---------------------------------------------------------------------------


class ClientListOutput(serializers.ModelSerializer):
    intake_organisation = RefOutput()
    care_recipients_count = serializers.SerializerMethodField()

    class Meta:
        model = Client
        fields = [
            "id",
            "first_name",
            "last_name",
            "birth_date",
            "municipality",
            "status",
            "care_recipients_count",
            "intake_organisation",
        ]
        read_only_fields = fields

    @extend_schema_field(OpenApiTypes.INT)
    def get_care_recipients_count(self, client: Client) -> int:
        return getattr(client, "n_recipients", None) or 0


class CareRecipientOutput(serializers.ModelSerializer):
    kind = RecipientKindField(read_only=True)

    class Meta:
        model = CareRecipient
        fields = [
            "id",
            "kind",
            "first_name",
            "birth_date",
            "special_needs",
            "allergies",
            "languages",
            "pickup_persons",
            "adult_care_kind",
            "is_active",
        ]
        read_only_fields = fields


class ConsentOutput(serializers.ModelSerializer):
    shared_with = RefOutput(many=True)
    recorded_by = serializers.SerializerMethodField()
    recorded_by_organisation = RefOutput(allow_null=True)
    is_active = serializers.BooleanField()

    class Meta:
        model = Consent
        fields = [
            "id",
            "text_version",
            "language",
            "care_support",
            "share_with_partners",
            "shared_with",
            "research_use",
            "special_category",
            "given_at",
            "recorded_by",
            "recorded_by_organisation",
            "withdrawn_at",
            "is_active",
        ]
        read_only_fields = fields

    @extend_schema_field(OpenApiTypes.STR)
    def get_recorded_by(self, consent: Consent) -> str:
        user: Any = consent.recorded_by
        return user.full_name if user else ""


class ScreeningNeedOutput(serializers.ModelSerializer):
    care_recipient = serializers.IntegerField(source="care_recipient_id")
    days = serializers.SerializerMethodField(help_text="Weekdays, 0 = Monday.")

    class Meta:
        model = ScreeningNeed
        fields = ["care_recipient", "arrangement", "days", "hours_per_week"]
        read_only_fields = fields

    @extend_schema_field(serializers.ListField(child=serializers.IntegerField()))
    def get_days(self, need: ScreeningNeed) -> list[int]:
        return days_from_mask(need.days_needed)


class ScreeningOutput(serializers.ModelSerializer):
    organisation = RefOutput(allow_null=True)
    needs = ScreeningNeedOutput(many=True)

    class Meta:
        model = Screening
        fields = [
            "id",
            "questionnaire_version",
            "occasion",
            "taken_on",
            "organisation",
            "stopped_job",
            "stopped_course",
            "stopped_interview",
            "would_accept",
            "refusal_reason",
            "main_barrier",
            "barrier_score",
            "needs",
        ]
        read_only_fields = fields


class ClientOutput(serializers.ModelSerializer):
    """The whole record, with the people cared for and the consent in force."""

    network: serializers.SlugRelatedField[Network] = serializers.SlugRelatedField(
        slug_field="slug", read_only=True
    )
    intake_organisation = RefOutput()
    followed_by = serializers.SerializerMethodField()
    care_recipients = serializers.SerializerMethodField()
    current_consent = serializers.SerializerMethodField()

    class Meta:
        model = Client
        fields = [
            "id",
            "network",
            "status",
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
            "intake_organisation",
            "followed_by",
            "care_recipients",
            "current_consent",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    @extend_schema_field(RefOutput(many=True))
    def get_followed_by(self, client: Client) -> list[dict[str, Any]]:
        orgs = [
            f.organisation
            for f in client.followers.select_related("organisation").order_by("since", "pk")
            if f.until is None
        ]
        return [{"id": o.pk, "name": o.name} for o in orgs]

    @extend_schema_field(CareRecipientOutput(many=True))
    def get_care_recipients(self, client: Client) -> Any:
        rows = (
            access.care_recipients(self.context["user"])
            .filter(client=client, is_active=True)
            .order_by("birth_date", "pk")
        )
        return CareRecipientOutput(rows, many=True).data

    @extend_schema_field(ConsentOutput(allow_null=True))
    def get_current_consent(self, client: Client) -> Any:
        consent = (
            access.consents(self.context["user"])
            .filter(client=client, withdrawn_at__isnull=True)
            .select_related("recorded_by", "recorded_by_organisation")
            .prefetch_related("shared_with")
            .order_by("-given_at", "-pk")
            .first()
        )
        return ConsentOutput(consent).data if consent else None


def _client_output(request: Request, client: Client) -> Any:
    client = (
        access.clients(request.user)
        .select_related("network", "intake_organisation")
        .get(pk=client.pk)
    )
    return ClientOutput(client, context={"user": request.user}).data


# --- Input ----------------------------------------------------------------------------


class ClientInput(serializers.Serializer):
    """The client's identity and situation. INSZ, phone, postcode and the dates are checked
    by the service, with the same messages as the intake page."""

    first_name = serializers.CharField(max_length=100)
    last_name = serializers.CharField(max_length=100)
    birth_date = serializers.DateField()
    gender = serializers.ChoiceField(choices=Gender.choices)
    insz = serializers.CharField(
        max_length=20,
        required=False,
        allow_blank=True,
        help_text="National register or BIS number; dots and dashes allowed.",
    )
    phone = serializers.CharField(
        max_length=30,
        required=False,
        allow_blank=True,
        help_text="Belgian numbers may omit +32; stored in E.164.",
    )
    email = serializers.EmailField(required=False, allow_blank=True)
    street = serializers.CharField(max_length=200, required=False, allow_blank=True)
    postcode = serializers.CharField(max_length=10, help_text="Belgian postcode, e.g. 9900.")
    municipality = serializers.CharField(
        max_length=100,
        required=False,
        allow_blank=True,
        help_text="Needed only when a postcode covers several municipalities.",
    )
    languages = serializers.ListField(
        child=serializers.CharField(max_length=10),
        required=False,
        help_text="ISO 639-1 codes, most preferred first.",
    )
    needs_interpreter = serializers.BooleanField(required=False)
    labour_status = serializers.ChoiceField(choices=LabourStatus.choices)
    months_unemployed = serializers.IntegerField(
        min_value=0, max_value=600, required=False, allow_null=True
    )
    income_source = serializers.ChoiceField(choices=IncomeSource.choices)
    education_level = serializers.ChoiceField(
        choices=Isced.choices, required=False, allow_null=True, help_text="ISCED 2011 level."
    )
    single_adult_household = serializers.BooleanField(required=False)
    adults_in_household = serializers.IntegerField(min_value=1, max_value=20, required=False)
    children_in_household = serializers.IntegerField(min_value=0, max_value=30, required=False)
    migration_background = serializers.BooleanField(
        required=False,
        allow_null=True,
        help_text="Special-category data: only with the client's explicit consent to it.",
    )


class ClientUpdateInput(ClientInput):
    """Any of the client's fields; only those sent change."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs["partial"] = True
        super().__init__(*args, **kwargs)


class ConsentInput(serializers.Serializer):
    language = serializers.ChoiceField(
        choices=settings.LANGUAGES,
        help_text="Language of the consent text shown to the client; the current version of "
        "that text is recorded.",
    )
    share_with_partners = serializers.BooleanField(required=False, default=False)
    shared_with = serializers.ListField(
        child=serializers.IntegerField(),
        required=False,
        default=list,
        help_text="Ids of named partner organisations; none named means every partner of "
        "the network.",
    )
    research_use = serializers.BooleanField(required=False, default=False)
    special_category = serializers.BooleanField(
        required=False, default=False, help_text="Consent to record the migration background."
    )


class IntakeConsentInput(ConsentInput):
    care_support = serializers.BooleanField(
        help_text="Must be true: without it no record can be made."
    )
    given_at = serializers.DateTimeField(required=False, allow_null=True)


class CareRecipientInput(serializers.Serializer):
    kind = RecipientKindField(default=RecipientKind.CHILD)
    first_name = serializers.CharField(max_length=100)
    birth_date = serializers.DateField()
    special_needs = serializers.CharField(required=False, allow_blank=True, max_length=2000)
    allergies = serializers.CharField(required=False, allow_blank=True, max_length=300)
    languages = serializers.ListField(
        child=serializers.CharField(max_length=10), required=False, default=list
    )
    pickup_persons = serializers.CharField(required=False, allow_blank=True, max_length=300)
    adult_care_kind = serializers.ChoiceField(
        choices=AdultCareKind.choices, required=False, allow_blank=True
    )


class CareRecipientUpdateInput(CareRecipientInput):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs["partial"] = True
        super().__init__(*args, **kwargs)


class ScreeningAnswersInput(serializers.Serializer):
    taken_on = serializers.DateField(required=False, help_text="Defaults to today.")
    stopped_job = serializers.BooleanField(required=False, default=False)
    stopped_course = serializers.BooleanField(required=False, default=False)
    stopped_interview = serializers.BooleanField(required=False, default=False)
    would_accept = serializers.ChoiceField(choices=WouldAccept.choices)
    refusal_reason = serializers.ChoiceField(
        choices=RefusalReason.choices, required=False, allow_blank=True, default=""
    )
    main_barrier = serializers.ChoiceField(choices=MainBarrier.choices)


class NeedFieldsInput(serializers.Serializer):
    arrangement = serializers.ChoiceField(choices=Arrangement.choices)
    days = serializers.ListField(
        child=serializers.IntegerField(min_value=0, max_value=6),
        required=False,
        default=list,
        help_text="Weekdays care is needed, 0 = Monday.",
    )
    hours_per_week = serializers.DecimalField(
        max_digits=4,
        decimal_places=1,
        min_value=0,
        max_value=168,
        required=False,
        default=Decimal(0),
    )


class IntakeNeedInput(NeedFieldsInput):
    recipient_index = serializers.IntegerField(
        min_value=0, help_text="Position of the person in `care_recipients` (0 = first)."
    )


class ScreeningNeedInput(NeedFieldsInput):
    care_recipient = serializers.IntegerField(help_text="Id of one of the client's people.")


class IntakeInput(ActingOrganisationInput):
    network = serializers.SlugField(
        required=False,
        help_text="Slug of the network; needed only when your organisation refers in several.",
    )
    client = ClientInput()
    consent = IntakeConsentInput()
    care_recipients = CareRecipientInput(many=True, required=False, default=list)
    screening = ScreeningAnswersInput(required=False, allow_null=True, default=None)
    needs = IntakeNeedInput(many=True, required=False, default=list)
    not_a_duplicate = serializers.BooleanField(
        required=False,
        default=False,
        help_text="After a 409 that matched on name and date of birth only: this is another "
        "person. A matching INSZ is always refused.",
    )


class ScreeningInput(ActingOrganisationInput, ScreeningAnswersInput):
    occasion = serializers.ChoiceField(
        choices=ScreeningOccasion.choices, default=ScreeningOccasion.FOLLOW_UP
    )
    needs = ScreeningNeedInput(many=True, required=False, default=list)


class ConsentRecordInput(ActingOrganisationInput, ConsentInput):
    pass


class ConsentWithdrawInput(ActingOrganisationInput):
    what = serializers.ChoiceField(
        choices=[
            ("sharing", "sharing with partners"),
            ("research", "research use"),
            ("everything", "all consent: the record is closed"),
        ]
    )


class ConsentWithdrawOutput(serializers.Serializer):
    status = serializers.ChoiceField(choices=ClientStatus.choices)
    current_consent = ConsentOutput(allow_null=True)


class ClientFilterInput(serializers.Serializer):
    q = serializers.CharField(
        required=False, allow_blank=True, help_text="Name, INSZ or phone number."
    )
    status = serializers.ChoiceField(choices=ClientStatus.choices, required=False)
    organisation = serializers.IntegerField(
        required=False, help_text="Only clients followed by this one of your organisations."
    )


class DuplicateOutput(serializers.Serializer):
    id = serializers.IntegerField()
    matched_on = serializers.ChoiceField(choices=["insz", "name_and_birth_date"])
    followed_by = serializers.ListField(child=serializers.CharField())
    can_link = serializers.BooleanField(help_text="The client agreed to share with you.")
    already_following = serializers.BooleanField()
    hint = serializers.CharField()


class DuplicateResponse(serializers.Serializer):
    detail = serializers.CharField()
    code = serializers.CharField()
    duplicates = DuplicateOutput(many=True)


class ErrorResponse(serializers.Serializer):
    detail = serializers.CharField()


def _shared_with(user: Any, network: Network, ids: list[int]) -> list[Organisation]:
    if not ids:
        return []
    allowed = set(
        access.partners(user).filter(network=network).values_list("organisation_id", flat=True)
    )
    unknown = sorted(set(ids) - allowed)
    if unknown:
        raise exceptions.ValidationError(
            {
                "consent": {
                    "shared_with": [
                        _("Not a partner of the network: %(ids)s")
                        % {"ids": ", ".join(map(str, unknown))}
                    ]
                }
            }
        )
    return list(Organisation.objects.filter(pk__in=ids))


def _duplicate_hint(d: services.PossibleDuplicate) -> str:
    if d.already_following:
        return _("Your organisation already follows this client: GET %(url)s") % {
            "url": f"/api/v1/clients/{d.client_id}/"
        }
    if d.can_link:
        return _("Follow the existing record instead: POST %(url)s") % {
            "url": f"/api/v1/clients/{d.client_id}/follow/"
        }
    return _(
        "The client did not agree to share that record with your organisation: ask the "
        "organisation that follows them."
    )


def _audit_list(request: Request, clients: list[Client], *, page: int, search: bool) -> None:
    """One "view" event per client shown, written in one INSERT."""
    user: Any = request.user
    ip, path = audit.client_ip(request._request), request.path[:300]
    now = timezone.now()
    AuditEvent.objects.bulk_create(
        [
            AuditEvent(
                at=now,
                actor=user,
                actor_label=user.email,
                action=AuditEvent.Action.VIEW,
                object_type="clients.client",
                object_id=str(c.pk),
                object_label=str(c)[:200],
                network_id=c.network_id,
                ip_address=ip,
                path=path,
                detail={"read": "list", "page": page, "search": search},
            )
            for c in clients
        ]
    )


# --- Views ----------------------------------------------------------------------------


class ClientListApi(APIView):
    """The caseload (the clients your organisations follow) and the intake."""

    pagination_class = ClientPagination

    @extend_schema(
        operation_id="clients_list",
        tags=TAGS,
        parameters=[ClientFilterInput],
        responses=ClientListOutput(many=True),
        description="Every client on the page is recorded in the audit log as viewed.",
    )
    def get(self, request: Request) -> Response:
        filters = ClientFilterInput(data=request.query_params)
        filters.is_valid(raise_exception=True)
        values = filters.validated_data
        organisation_id = values.get("organisation")
        if organisation_id is not None and organisation_id not in access.client_organisation_ids(
            request.user
        ):
            raise exceptions.ValidationError(
                {"organisation": [_("You cannot act for this organisation.")]}
            )
        qs = selectors.caseload(
            user=request.user,
            query=values.get("q", ""),
            status=values.get("status", ""),
            organisation_id=organisation_id,
        )
        paginator = self.pagination_class()
        rows = list(paginator.paginate_queryset(qs, request, view=self) or [])
        if rows:
            _audit_list(
                request,
                rows,
                page=paginator.page.number if paginator.page else 1,
                search=bool(values.get("q")),
            )
        return paginator.get_paginated_response(ClientListOutput(rows, many=True).data)

    @extend_schema(
        operation_id="clients_create",
        tags=TAGS,
        request=IntakeInput,
        responses={
            201: ClientOutput,
            400: OpenApiResponse(description="Invalid input; nothing was written."),
            409: OpenApiResponse(
                DuplicateResponse,
                description="The client is probably registered already; nothing was written.",
            ),
        },
        description=(
            "The intake: the client, their consent, the people they care for and, "
            "usually, the care-barrier screening — all or nothing."
        ),
    )
    def post(self, request: Request) -> Response:
        data = IntakeInput(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        organisation = _acting_organisation(request.user, values.get("organisation"))
        network = self._network(organisation, values.get("network"))
        consent = dict(values["consent"])
        text = services.current_consent_text(consent["language"])
        consent["text_version"] = text.version if text else "unversioned"
        consent["shared_with"] = _shared_with(request.user, network, consent["shared_with"])
        screening = values["screening"]
        needs = []
        for need in values["needs"]:
            needs.append(
                {
                    "recipient_index": need["recipient_index"],
                    "arrangement": need["arrangement"],
                    "days_needed": days_mask(need["days"]),
                    "hours_per_week": need["hours_per_week"],
                }
            )
        if screening is not None:
            screening = {k: v for k, v in screening.items() if v is not None}
            screening["occasion"] = ScreeningOccasion.INTAKE
        elif needs:
            raise exceptions.ValidationError(
                {"needs": [_("Care needs are part of the screening: send the screening too.")]}
            )
        try:
            client = services.client_register(
                actor=request.user,
                organisation=organisation,
                network=network,
                client=dict(values["client"]),
                consent=consent,
                recipients=[dict(r) for r in values["care_recipients"]],
                screening=screening,
                needs=needs,
                allow_duplicate=values["not_a_duplicate"],
            )
        except services.DuplicateClient as exc:
            return Response(
                {
                    "detail": exc.messages[0],
                    "code": "duplicate",
                    "duplicates": [
                        {
                            "id": d.client_id,
                            "matched_on": d.matched_on,
                            "followed_by": list(d.followed_by),
                            "can_link": d.can_link,
                            "already_following": d.already_following,
                            "hint": _duplicate_hint(d),
                        }
                        for d in exc.duplicates
                    ],
                },
                status=status.HTTP_409_CONFLICT,
            )
        except ValidationError as exc:
            raise _nest_errors(exc) from exc
        return Response(_client_output(request, client), status=status.HTTP_201_CREATED)

    @staticmethod
    def _network(organisation: Organisation, slug: str | None) -> Network:
        networks = services.referral_networks(organisation)
        if slug:
            for network in networks:
                if network.slug == slug:
                    return network
            raise exceptions.ValidationError(
                {"network": [_("Your organisation does not refer clients in this network.")]}
            )
        if len(networks) == 1:
            return networks[0]
        if not networks:
            raise exceptions.PermissionDenied(
                _("%(org)s is not a referring partner of any network.") % {"org": organisation}
            )
        raise exceptions.ValidationError(
            {"network": [_("Say in which network you register the client.")]}
        )


class ClientDetailApi(APIView):
    @extend_schema(
        operation_id="clients_retrieve",
        tags=TAGS,
        responses={200: ClientOutput, 404: ErrorResponse},
        description="The read is recorded in the audit log; so is a refusal.",
    )
    def get(self, request: Request, pk: int) -> Response:
        client = _client(request, pk)
        return Response(_client_output(request, client))

    @extend_schema(
        operation_id="clients_partial_update",
        tags=TAGS,
        request=ClientUpdateInput,
        responses={200: ClientOutput, 400: ErrorResponse, 404: ErrorResponse},
    )
    def patch(self, request: Request, pk: int) -> Response:
        client = _client(request, pk)
        data = ClientUpdateInput(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        if fields:
            services.client_update(actor=request.user, client=client, **fields)
        return Response(_client_output(request, client))


class ClientFollowApi(APIView):
    @extend_schema(
        operation_id="clients_follow",
        tags=TAGS,
        request=ActingOrganisationInput,
        responses={200: ClientOutput, 403: ErrorResponse, 404: ErrorResponse},
        description=(
            "Follow an existing record (after a 409 on intake) — allowed only when the "
            "client agreed to share their record with your organisation."
        ),
    )
    def post(self, request: Request, pk: int) -> Response:
        data = ActingOrganisationInput(data=request.data)
        data.is_valid(raise_exception=True)
        organisation = _acting_organisation(request.user, data.validated_data.get("organisation"))
        try:
            services.client_follow(actor=request.user, organisation=organisation, client_id=pk)
        except (Client.DoesNotExist, PermissionDenied):
            # Not in a network the organisation refers in: it looks like it does not exist.
            audit.record(
                actor=request.user,
                action="denied",
                object_type="clients.client",
                object_id=str(pk),
                network_id=Client.objects.filter(pk=pk)
                .values_list("network_id", flat=True)
                .first(),
                detail={"attempt": "follow", "organisation": organisation.pk},
            )
            raise Http404 from None
        except ValidationError as exc:
            # The client did not consent to sharing with this organisation (audited there).
            raise exceptions.PermissionDenied(" ".join(exc.messages)) from exc
        return Response(_client_output(request, _client(request, pk)))


class CareRecipientListApi(APIView):
    @extend_schema(
        operation_id="clients_care_recipients_list",
        tags=TAGS,
        responses={200: CareRecipientOutput(many=True), 404: ErrorResponse},
        description="The client's children and dependent adults (also former ones).",
    )
    def get(self, request: Request, pk: int) -> Response:
        client = _client(request, pk)
        rows = (
            access.care_recipients(request.user)
            .filter(client=client)
            .order_by("-is_active", "birth_date", "pk")
        )
        return Response(CareRecipientOutput(rows, many=True).data)

    @extend_schema(
        operation_id="clients_care_recipients_create",
        tags=TAGS,
        request=CareRecipientInput,
        responses={201: CareRecipientOutput, 400: ErrorResponse, 404: ErrorResponse},
    )
    def post(self, request: Request, pk: int) -> Response:
        client = _client(request, pk)
        data = CareRecipientInput(data=request.data)
        data.is_valid(raise_exception=True)
        recipient = services.care_recipient_save(
            actor=request.user, client=client, **data.validated_data
        )
        return Response(CareRecipientOutput(recipient).data, status=status.HTTP_201_CREATED)


class CareRecipientDetailApi(APIView):
    def _recipient(self, request: Request, pk: int, recipient_id: int) -> CareRecipient:
        client = _client(request, pk)
        recipient = (
            access.care_recipients(request.user).filter(client=client, pk=recipient_id).first()
        )
        if recipient is None:
            raise Http404
        return recipient

    @extend_schema(
        operation_id="clients_care_recipients_retrieve",
        tags=TAGS,
        responses={200: CareRecipientOutput, 404: ErrorResponse},
    )
    def get(self, request: Request, pk: int, recipient_id: int) -> Response:
        return Response(CareRecipientOutput(self._recipient(request, pk, recipient_id)).data)

    @extend_schema(
        operation_id="clients_care_recipients_partial_update",
        tags=TAGS,
        request=CareRecipientUpdateInput,
        responses={200: CareRecipientOutput, 400: ErrorResponse, 404: ErrorResponse},
    )
    def patch(self, request: Request, pk: int, recipient_id: int) -> Response:
        recipient = self._recipient(request, pk, recipient_id)
        data = CareRecipientUpdateInput(data=request.data)
        data.is_valid(raise_exception=True)
        recipient = services.care_recipient_save(
            actor=request.user,
            client=recipient.client,
            recipient=recipient,
            **data.validated_data,
        )
        return Response(CareRecipientOutput(recipient).data)


class ConsentListApi(APIView):
    @extend_schema(
        operation_id="clients_consents_list",
        tags=TAGS,
        responses={200: ConsentOutput(many=True), 404: ErrorResponse},
        description="Every consent of the client, newest first; one at most is active.",
    )
    def get(self, request: Request, pk: int) -> Response:
        client = _client(request, pk)
        rows = (
            access.consents(request.user)
            .filter(client=client)
            .select_related("recorded_by", "recorded_by_organisation")
            .prefetch_related("shared_with")
            .order_by("-given_at", "-pk")
        )
        return Response(ConsentOutput(rows, many=True).data)

    @extend_schema(
        operation_id="clients_consents_create",
        tags=TAGS,
        request=ConsentRecordInput,
        responses={201: ConsentOutput, 400: ErrorResponse, 404: ErrorResponse},
        description="A new consent, given now, replaces the one in force.",
    )
    def post(self, request: Request, pk: int) -> Response:
        client = _client(request, pk)
        data = ConsentRecordInput(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        organisation = _acting_organisation(request.user, values.pop("organisation", None))
        shared_with = self._shared_with(request, client, values.pop("shared_with"))
        text = services.current_consent_text(values["language"])
        consent = services.consent_record(
            actor=request.user,
            client=client,
            organisation=organisation,
            text_version=text.version if text else "unversioned",
            shared_with=shared_with,
            **values,
        )
        return Response(ConsentOutput(consent).data, status=status.HTTP_201_CREATED)

    @staticmethod
    def _shared_with(request: Request, client: Client, ids: list[int]) -> list[Organisation]:
        try:
            return _shared_with(request.user, client.network, ids)
        except exceptions.ValidationError as exc:
            detail: Any = exc.detail
            raise exceptions.ValidationError(detail["consent"]) from exc


class ConsentWithdrawApi(APIView):
    @extend_schema(
        operation_id="clients_consents_withdraw",
        tags=TAGS,
        request=ConsentWithdrawInput,
        responses={200: ConsentWithdrawOutput, 400: ErrorResponse, 404: ErrorResponse},
        description=(
            "Withdrawing sharing stops other organisations following the client; withdrawing "
            "everything closes the record (status exited)."
        ),
    )
    def post(self, request: Request, pk: int) -> Response:
        client = _client(request, pk)
        data = ConsentWithdrawInput(data=request.data)
        data.is_valid(raise_exception=True)
        organisation = _acting_organisation(request.user, data.validated_data.get("organisation"))
        what = data.validated_data["what"]
        new = services.consent_withdraw(
            actor=request.user,
            client=client,
            organisation=organisation,
            sharing=what == "sharing",
            research=what == "research",
            everything=what == "everything",
        )
        client_status = Client.objects.filter(pk=client.pk).values_list("status", flat=True).get()
        return Response(
            {
                "status": client_status,
                "current_consent": ConsentOutput(new).data if new else None,
            }
        )


class ScreeningListApi(APIView):
    @extend_schema(
        operation_id="clients_screenings_list",
        tags=TAGS,
        responses={200: ScreeningOutput(many=True), 404: ErrorResponse},
        description="The client's care-barrier screenings, newest first.",
    )
    def get(self, request: Request, pk: int) -> Response:
        client = _client(request, pk)
        rows = (
            access.screenings(request.user)
            .filter(client=client)
            .select_related("organisation")
            .prefetch_related("needs")
            .order_by("-taken_on", "-pk")
        )
        return Response(ScreeningOutput(rows, many=True).data)

    @extend_schema(
        operation_id="clients_screenings_create",
        tags=TAGS,
        request=ScreeningInput,
        responses={201: ScreeningOutput, 400: ErrorResponse, 404: ErrorResponse},
        description="A new screening, e.g. at a follow-up. Care needs name the person by id.",
    )
    def post(self, request: Request, pk: int) -> Response:
        client = _client(request, pk)
        data = ScreeningInput(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        organisation = _acting_organisation(request.user, values.pop("organisation", None))
        recipients = list(
            access.care_recipients(request.user)
            .filter(client=client, is_active=True)
            .order_by("birth_date", "pk")
            .values_list("pk", flat=True)
        )
        needs = []
        for need in values.pop("needs"):
            if need["care_recipient"] not in recipients:
                raise exceptions.ValidationError(
                    {"needs": [_("A care need refers to an unknown person.")]}
                )
            needs.append(
                {
                    "recipient_index": recipients.index(need["care_recipient"]),
                    "arrangement": need["arrangement"],
                    "days_needed": days_mask(need["days"]),
                    "hours_per_week": need["hours_per_week"],
                }
            )
        screening = services.screening_record(
            actor=request.user,
            client=client,
            organisation=organisation,
            screening=values,
            needs=needs,
        )
        screening = (
            access.screenings(request.user)
            .select_related("organisation")
            .prefetch_related("needs")
            .get(pk=screening.pk)
        )
        return Response(ScreeningOutput(screening).data, status=status.HTTP_201_CREATED)
