"""REST API for pathways — /api/v1/pathways/: activities, follow-ups and outcomes.

For those who follow the client (referrers, coordinators), in the house style of
`zorgbrug.clients.api`: scoped querysets, writes through `zorgbrug.pathways.services`, a
service's ValidationError is a 400 with the translated messages of the pages. A client named
in a body goes through `clients.selectors.client_for_view`, so the read (or the refusal) is
audited; out of scope it is "unknown".
"""

from __future__ import annotations

from typing import Any

from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import exceptions, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from zorgbrug.access import scoping as access
from zorgbrug.clients import selectors as client_selectors
from zorgbrug.clients.models import Arrangement, MainBarrier, RefusalReason, WouldAccept
from zorgbrug.core.api import ErrorOutput, Pagination, validated
from zorgbrug.pathways import services
from zorgbrug.pathways.models import (
    ContractType,
    FollowUpStatus,
    OutcomeStatus,
    PathwayActivityKind,
    Sector,
)

TAGS = ["pathways"]


def _enum(values: list[str], name: str, *, blank: bool = False) -> Any:
    schema = {"type": "string", "enum": ([""] if blank else []) + values}
    return extend_schema_field(schema, component_name=name)


@_enum(list(PathwayActivityKind.values), "PathwayActivityKindEnum")
class PathwayActivityKindField(serializers.ChoiceField):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(choices=PathwayActivityKind.choices, **kwargs)


@_enum(list(ContractType.values), "ContractTypeEnum", blank=True)
class ContractTypeField(serializers.ChoiceField):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(choices=[("", "—"), *ContractType.choices], **kwargs)


@_enum(list(Sector.values), "SectorEnum", blank=True)
class SectorField(serializers.ChoiceField):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(choices=[("", "—"), *Sector.choices], **kwargs)


@_enum(list(OutcomeStatus.values), "OutcomeStatusEnum")
class OutcomeStatusField(serializers.ChoiceField):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(choices=OutcomeStatus.choices, **kwargs)


@_enum(list(FollowUpStatus.values), "FollowUpStatusEnum")
class FollowUpStatusField(serializers.ChoiceField):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(choices=FollowUpStatus.choices, **kwargs)


def _client(request: Request, client_id: int) -> Any:
    try:
        return client_selectors.client_for_view(user=request.user, pk=client_id)
    except Http404:
        raise exceptions.ValidationError({"client": [_("Unknown client.")]}) from None


class ClientFilterQuery(serializers.Serializer):
    client = serializers.IntegerField(required=False)


# --- Activities -------------------------------------------------------------------------


class PathwayActivityOutput(serializers.Serializer):
    id = serializers.IntegerField()
    client = serializers.IntegerField(source="client_id")
    kind = PathwayActivityKindField()
    title = serializers.CharField()
    date = serializers.DateField()
    end_date = serializers.DateField(allow_null=True)
    employer = serializers.CharField()
    sector = SectorField()
    contract_type = ContractTypeField()
    hours_per_week = serializers.DecimalField(max_digits=4, decimal_places=1, allow_null=True)
    first_period_end = serializers.DateField(allow_null=True)
    care_until = serializers.DateField(
        allow_null=True, help_text="After a job start: the last day of care the covenant pays."
    )
    note = serializers.CharField()
    organisation = serializers.IntegerField(source="organisation_id")
    created_at = serializers.DateTimeField()


class PathwayActivityInput(serializers.Serializer):
    client = serializers.IntegerField()
    kind = PathwayActivityKindField()
    title = serializers.CharField(max_length=200, required=False, allow_blank=True)
    date = serializers.DateField()
    end_date = serializers.DateField(required=False, allow_null=True)
    employer = serializers.CharField(max_length=200, required=False, allow_blank=True)
    sector = SectorField(required=False, help_text="Needed for a job start.")
    contract_type = ContractTypeField(required=False, help_text="Needed for a job start.")
    hours_per_week = serializers.DecimalField(
        max_digits=4,
        decimal_places=1,
        required=False,
        allow_null=True,
        help_text="Needed for a job start.",
    )
    first_period_end = serializers.DateField(required=False, allow_null=True)
    note = serializers.CharField(max_length=300, required=False, allow_blank=True)


class PathwayActivityListApi(APIView):
    @extend_schema(
        operation_id="pathway_activities_list",
        tags=TAGS,
        parameters=[ClientFilterQuery],
        responses={200: PathwayActivityOutput(many=True)},
        description="Steps on the pathways of the clients you follow, newest first.",
    )
    def get(self, request: Request) -> Response:
        query = validated(ClientFilterQuery, request.query_params)
        rows = access.pathway_activities(request.user).order_by("-date", "-pk")
        if query.get("client"):
            rows = rows.filter(client_id=query["client"])
        paginator = Pagination()
        page = paginator.paginate_queryset(rows, request, view=self)
        return paginator.get_paginated_response(PathwayActivityOutput(page, many=True).data)

    @extend_schema(
        operation_id="pathway_activities_create",
        tags=TAGS,
        request=PathwayActivityInput,
        responses={201: PathwayActivityOutput, 400: ErrorOutput, 403: ErrorOutput},
        description=(
            "Record a step: a course, a job interview, a work trial or a job start (with the "
            "employer's sector, contract type and hours; it gets the last day of care)."
        ),
    )
    def post(self, request: Request) -> Response:
        values = validated(PathwayActivityInput, request.data)
        client = _client(request, values.pop("client"))
        activity = services.pathway_activity_create(actor=request.user, client=client, **values)
        return Response(PathwayActivityOutput(activity).data, status=status.HTTP_201_CREATED)


# --- Follow-ups -------------------------------------------------------------------------


class FollowUpOutput(serializers.Serializer):
    id = serializers.IntegerField()
    client = serializers.IntegerField(source="client_id")
    job_start = serializers.IntegerField(source="job_start_id", allow_null=True)
    exit = serializers.IntegerField(source="exit_id", allow_null=True)
    anchor_date = serializers.DateField()
    months = serializers.IntegerField()
    due_on = serializers.DateField()
    status = FollowUpStatusField()
    responsible_organisation = serializers.IntegerField(source="responsible_organisation_id")
    responsible_user = serializers.IntegerField(source="responsible_user_id", allow_null=True)


class FollowUpListQuery(ClientFilterQuery):
    status = FollowUpStatusField(required=False)


class FollowUpListApi(APIView):
    @extend_schema(
        operation_id="follow_ups_list",
        tags=TAGS,
        parameters=[FollowUpListQuery],
        responses={200: FollowUpOutput(many=True)},
        description="Follow-ups of the clients you follow, by due date.",
    )
    def get(self, request: Request) -> Response:
        query = validated(FollowUpListQuery, request.query_params)
        rows = access.follow_ups(request.user).order_by("due_on", "pk")
        if query.get("client"):
            rows = rows.filter(client_id=query["client"])
        if query.get("status"):
            rows = rows.filter(status=query["status"])
        paginator = Pagination()
        page = paginator.paginate_queryset(rows, request, view=self)
        return paginator.get_paginated_response(FollowUpOutput(page, many=True).data)


# --- Outcomes ---------------------------------------------------------------------------


class OutcomeOutput(serializers.Serializer):
    id = serializers.IntegerField()
    client = serializers.IntegerField(source="client_id")
    follow_up = serializers.IntegerField(source="follow_up_id", allow_null=True)
    observed_on = serializers.DateField()
    status = OutcomeStatusField()
    contract_type = ContractTypeField()
    hours_per_week = serializers.DecimalField(max_digits=4, decimal_places=1, allow_null=True)
    sector = SectorField()
    same_job = serializers.BooleanField(allow_null=True)
    screening = serializers.IntegerField(source="screening_id", allow_null=True)
    note = serializers.CharField()
    organisation = serializers.IntegerField(source="organisation_id")
    created_at = serializers.DateTimeField()


@_enum(list(WouldAccept.values), "FollowUpWouldAcceptEnum")
class WouldAcceptField(serializers.ChoiceField):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(choices=WouldAccept.choices, **kwargs)


@_enum(list(MainBarrier.values), "FollowUpMainBarrierEnum")
class MainBarrierField(serializers.ChoiceField):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(choices=MainBarrier.choices, **kwargs)


@_enum(list(RefusalReason.values), "FollowUpRefusalReasonEnum", blank=True)
class RefusalReasonField(serializers.ChoiceField):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(choices=[("", "—"), *RefusalReason.choices], **kwargs)


@_enum(list(Arrangement.values), "FollowUpArrangementEnum")
class ArrangementField(serializers.ChoiceField):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(choices=Arrangement.choices, **kwargs)


class FollowUpScreeningInput(serializers.Serializer):
    taken_on = serializers.DateField(required=False)
    stopped_job = serializers.BooleanField(default=False)
    stopped_course = serializers.BooleanField(default=False)
    stopped_interview = serializers.BooleanField(default=False)
    would_accept = WouldAcceptField()
    refusal_reason = RefusalReasonField(required=False)
    main_barrier = MainBarrierField()


class FollowUpNeedInput(serializers.Serializer):
    recipient_index = serializers.IntegerField(
        min_value=0,
        help_text="The person's place among the client's active care recipients by birth date.",
    )
    arrangement = ArrangementField()
    days_needed = serializers.RegexField(r"^[01]{7}$", required=False)
    hours_per_week = serializers.DecimalField(
        max_digits=4, decimal_places=1, min_value=0, max_value=168, required=False
    )


class OutcomeInput(serializers.Serializer):
    client = serializers.IntegerField()
    follow_up = serializers.IntegerField(
        required=False, allow_null=True, help_text="The follow-up this answers (it closes it)."
    )
    observed_on = serializers.DateField()
    status = OutcomeStatusField()
    contract_type = ContractTypeField(required=False, help_text="Needed when employed.")
    hours_per_week = serializers.DecimalField(
        max_digits=4, decimal_places=1, required=False, allow_null=True
    )
    sector = SectorField(required=False, help_text="Needed when employed.")
    same_job = serializers.BooleanField(required=False, allow_null=True)
    note = serializers.CharField(max_length=300, required=False, allow_blank=True)
    screening = FollowUpScreeningInput(
        required=False, help_text="A repeated care-barrier screening, recorded with it."
    )
    needs = FollowUpNeedInput(many=True, required=False)


class OutcomeListApi(APIView):
    @extend_schema(
        operation_id="outcomes_list",
        tags=TAGS,
        parameters=[ClientFilterQuery],
        responses={200: OutcomeOutput(many=True)},
        description="Outcomes of the clients you follow, newest first.",
    )
    def get(self, request: Request) -> Response:
        query = validated(ClientFilterQuery, request.query_params)
        rows = access.outcomes(request.user).order_by("-observed_on", "-pk")
        if query.get("client"):
            rows = rows.filter(client_id=query["client"])
        paginator = Pagination()
        page = paginator.paginate_queryset(rows, request, view=self)
        return paginator.get_paginated_response(OutcomeOutput(page, many=True).data)

    @extend_schema(
        operation_id="outcomes_create",
        tags=TAGS,
        request=OutcomeInput,
        responses={201: OutcomeOutput, 400: ErrorOutput, 403: ErrorOutput},
        description=(
            "Record where a client stands (employed with contract type, hours and sector; in "
            "training; seeking work; inactive; unreachable), as the answer to a follow-up, "
            "with a repeated care-barrier screening when given. Not before the intake."
        ),
    )
    def post(self, request: Request) -> Response:
        values = validated(OutcomeInput, request.data)
        client = _client(request, values.pop("client"))
        follow_up = None
        follow_up_id = values.pop("follow_up", None)
        if follow_up_id is not None:
            follow_up = access.follow_ups(request.user).filter(pk=follow_up_id).first()
            if follow_up is None or follow_up.client_id != client.pk:
                raise exceptions.ValidationError({"follow_up": [_("Unknown follow-up.")]})
        screening = values.pop("screening", None)
        if screening is not None:
            screening = dict(screening)
            screening.setdefault("taken_on", values["observed_on"])
            screening.setdefault("refusal_reason", "")
        needs = [dict(n) for n in values.pop("needs", [])]
        outcome = services.outcome_record(
            actor=request.user,
            client=client,
            follow_up=follow_up,
            screening=screening,
            needs=needs,
            **values,
        )
        return Response(OutcomeOutput(outcome).data, status=status.HTTP_201_CREATED)
