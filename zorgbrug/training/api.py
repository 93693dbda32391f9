"""REST API for training — /api/v1/training/: modules, sessions, enrolments.

The house style of `zorgbrug.clients.api`: one view per resource, input and output
serializers per operation, every queryset from `zorgbrug.access.scoping`, every write
through `zorgbrug.training.services` (which check permission again, validate, write in one
transaction and audit). A service's ValidationError is a 400 with the same translated
messages as the pages; an object outside the user's scope is a 404.

An enrolment shows a client's id and name only — to trainers too, never more of the record;
its care request id only to those who follow the client.
"""

from __future__ import annotations

from typing import Any

from django.utils import translation
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import exceptions, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from zorgbrug.access import scoping as access
from zorgbrug.access.models import User
from zorgbrug.clients.models import Client
from zorgbrug.core.api import ErrorOutput, Pagination, RefOutput, validated
from zorgbrug.network.models import Organisation, Site
from zorgbrug.training import selectors, services
from zorgbrug.training.models import (
    Attendance,
    CareStatus,
    Enrolment,
    EnrolmentStatus,
    Module,
    ModuleKind,
    Session,
)

TAGS = ["training"]


@extend_schema_field(
    {"type": "string", "enum": list(ModuleKind.values)}, component_name="ModuleKindEnum"
)
class ModuleKindField(serializers.ChoiceField):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(choices=ModuleKind.choices, **kwargs)


@extend_schema_field(
    {"type": "string", "enum": list(EnrolmentStatus.values)},
    component_name="EnrolmentStatusEnum",
)
class EnrolmentStatusField(serializers.ChoiceField):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(choices=EnrolmentStatus.choices, **kwargs)


@extend_schema_field(
    {"type": "string", "enum": ["", *Attendance.values]},
    component_name="TrainingAttendanceEnum",
)
class TrainingAttendanceField(serializers.ChoiceField):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(choices=[("", "—"), *Attendance.choices], **kwargs)


@extend_schema_field(
    {"type": "string", "enum": list(CareStatus.values)}, component_name="TrainingCareStatusEnum"
)
class TrainingCareStatusField(serializers.ChoiceField):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(choices=CareStatus.choices, **kwargs)


def _busy() -> Response:
    return Response(
        {
            "detail": _("Someone else is enrolling right now. Try again in a moment."),
            "code": "busy",
        },
        status=status.HTTP_503_SERVICE_UNAVAILABLE,
        headers={"Retry-After": "1"},
    )


# --- Modules ----------------------------------------------------------------------------


class ModuleOutput(serializers.ModelSerializer):
    network = serializers.IntegerField(source="network_id")
    organisation = RefOutput()
    kind = ModuleKindField()
    names = serializers.DictField(child=serializers.CharField())
    descriptions = serializers.DictField(child=serializers.CharField())
    name = serializers.SerializerMethodField(help_text="The name in the request's language.")

    class Meta:
        model = Module
        fields = [
            "id",
            "network",
            "organisation",
            "kind",
            "name",
            "names",
            "descriptions",
            "is_active",
            "created_at",
        ]
        read_only_fields = fields

    @extend_schema_field(OpenApiTypes.STR)
    def get_name(self, module: Module) -> str:
        return module.name_in(translation.get_language())


class ModuleInput(serializers.Serializer):
    network = serializers.IntegerField()
    organisation = serializers.IntegerField(help_text="The training provider.")
    kind = ModuleKindField()
    names = serializers.DictField(
        child=serializers.CharField(allow_blank=True, max_length=200),
        help_text='Per language code, e.g. {"nl": "ONKI-dag", "fr": "Journée ONKI"}; nl needed.',
    )
    descriptions = serializers.DictField(
        child=serializers.CharField(allow_blank=True, max_length=4000), required=False
    )


class ModuleUpdateInput(serializers.Serializer):
    kind = ModuleKindField(required=False)
    names = serializers.DictField(
        child=serializers.CharField(allow_blank=True, max_length=200), required=False
    )
    descriptions = serializers.DictField(
        child=serializers.CharField(allow_blank=True, max_length=4000), required=False
    )
    is_active = serializers.BooleanField(required=False)


def _modules(request: Request) -> Any:
    return access.training_modules(request.user).select_related("organisation")


class ModuleListApi(APIView):
    @extend_schema(
        operation_id="training_modules_list",
        tags=TAGS,
        responses={200: ModuleOutput(many=True)},
        description="The training catalogue of the networks you take part in.",
    )
    def get(self, request: Request) -> Response:
        rows = _modules(request).order_by("network_id", "kind", "pk")
        paginator = Pagination()
        page: list[Module] = list(paginator.paginate_queryset(rows, request, view=self) or [])
        return paginator.get_paginated_response(ModuleOutput(page, many=True).data)

    @extend_schema(
        operation_id="training_modules_create",
        tags=TAGS,
        request=ModuleInput,
        responses={201: ModuleOutput, 400: ErrorOutput, 403: ErrorOutput},
        description="Add a module of a training provider to a network's catalogue.",
    )
    def post(self, request: Request) -> Response:
        values = validated(ModuleInput, request.data)
        network = access.networks(request.user).filter(pk=values["network"]).first()
        if network is None:
            raise exceptions.ValidationError({"network": [_("Unknown network.")]})
        organisation = Organisation.objects.filter(pk=values["organisation"]).first()
        if organisation is None:
            raise exceptions.ValidationError({"organisation": [_("Unknown organisation.")]})
        module = services.module_create(
            actor=request.user,
            network=network,
            organisation=organisation,
            kind=values["kind"],
            names=values["names"],
            descriptions=values.get("descriptions") or {},
        )
        return Response(ModuleOutput(module).data, status=status.HTTP_201_CREATED)


class ModuleDetailApi(APIView):
    @extend_schema(
        operation_id="training_modules_retrieve",
        tags=TAGS,
        responses={200: ModuleOutput, 404: ErrorOutput},
    )
    def get(self, request: Request, pk: int) -> Response:
        return Response(ModuleOutput(access.get_or_404(_modules(request), pk=pk)).data)

    @extend_schema(
        operation_id="training_modules_partial_update",
        tags=TAGS,
        request=ModuleUpdateInput,
        responses={200: ModuleOutput, 400: ErrorOutput, 404: ErrorOutput},
    )
    def patch(self, request: Request, pk: int) -> Response:
        module = access.get_or_404(_modules(request), pk=pk)
        values = validated(ModuleUpdateInput, request.data)
        module = services.module_update(actor=request.user, module=module, **values)
        return Response(ModuleOutput(_modules(request).get(pk=module.pk)).data)


# --- Sessions ---------------------------------------------------------------------------


class TrainerOutput(serializers.Serializer):
    id = serializers.IntegerField()
    full_name = serializers.CharField()


class SessionOutput(serializers.ModelSerializer):
    module = serializers.IntegerField(source="module_id")
    site = serializers.IntegerField(source="site_id", allow_null=True)
    place = serializers.CharField()
    trainer = TrainerOutput(allow_null=True)
    free = serializers.IntegerField()
    cancelled = serializers.BooleanField(source="is_cancelled")

    class Meta:
        model = Session
        fields = [
            "id",
            "module",
            "date",
            "start_time",
            "end_time",
            "site",
            "address",
            "postcode",
            "municipality",
            "place",
            "trainer",
            "seats",
            "taken",
            "free",
            "cancelled",
        ]
        read_only_fields = fields


class SessionInput(serializers.Serializer):
    module = serializers.IntegerField()
    date = serializers.DateField()
    start_time = serializers.TimeField()
    end_time = serializers.TimeField()
    seats = serializers.IntegerField(min_value=1, max_value=services.MAX_SEATS)
    site = serializers.IntegerField(
        required=False, allow_null=True, help_text="A site of a partner of the network…"
    )
    address = serializers.CharField(
        max_length=200, required=False, allow_blank=True, help_text="…or an address"
    )
    postcode = serializers.CharField(max_length=4, required=False, allow_blank=True)
    trainer = serializers.IntegerField(
        required=False, allow_null=True, help_text="A trainer of the module's provider."
    )


class SessionUpdateInput(serializers.Serializer):
    seats = serializers.IntegerField(min_value=1, max_value=services.MAX_SEATS, required=False)
    trainer = serializers.IntegerField(required=False, allow_null=True)


class SessionMoveInput(serializers.Serializer):
    date = serializers.DateField()
    start_time = serializers.TimeField()
    end_time = serializers.TimeField()
    site = serializers.IntegerField(
        required=False,
        allow_null=True,
        help_text="A new place: a site of a partner of the network… (leave site, address "
        "and postcode out to keep the place)",
    )
    address = serializers.CharField(
        max_length=200, required=False, allow_blank=True, help_text="…or an address"
    )
    postcode = serializers.CharField(max_length=4, required=False, allow_blank=True)
    reason = serializers.CharField(max_length=200, required=False, allow_blank=True)


class SessionMoveOutput(serializers.Serializer):
    session = SessionOutput()
    care_moved = serializers.IntegerField(
        help_text="Participants whose care was withdrawn and asked again for the new date."
    )
    care_to_move = serializers.IntegerField(
        help_text="Participants whose referrer still has to move the care (`to_move`)."
    )


class SessionListQuery(serializers.Serializer):
    module = serializers.IntegerField(required=False)
    date_from = serializers.DateField(required=False)
    date_until = serializers.DateField(required=False)


def _sessions(request: Request) -> Any:
    return access.training_sessions(request.user).select_related("site", "trainer")


def _site(value: int | None) -> Site | None:
    if value is None:
        return None
    site = Site.objects.filter(pk=value).first()
    if site is None:
        raise exceptions.ValidationError({"site": [_("Unknown site.")]})
    return site


def _trainer(value: int | None) -> User | None:
    if value is None:
        return None
    user = User.objects.filter(pk=value, is_active=True).first()
    if user is None:
        raise exceptions.ValidationError({"trainer": [_("Unknown trainer.")]})
    return user


class SessionListApi(APIView):
    @extend_schema(
        operation_id="training_sessions_list",
        tags=TAGS,
        parameters=[SessionListQuery],
        responses={200: SessionOutput(many=True)},
        description="Sessions of the catalogue's modules, by date.",
    )
    def get(self, request: Request) -> Response:
        query = validated(SessionListQuery, request.query_params)
        rows = _sessions(request).order_by("date", "start_time", "pk")
        if query.get("module"):
            rows = rows.filter(module_id=query["module"])
        if query.get("date_from"):
            rows = rows.filter(date__gte=query["date_from"])
        if query.get("date_until"):
            rows = rows.filter(date__lte=query["date_until"])
        paginator = Pagination()
        page: list[Session] = list(paginator.paginate_queryset(rows, request, view=self) or [])
        return paginator.get_paginated_response(SessionOutput(page, many=True).data)

    @extend_schema(
        operation_id="training_sessions_create",
        tags=TAGS,
        request=SessionInput,
        responses={201: SessionOutput, 400: ErrorOutput, 403: ErrorOutput},
        description="Plan a session (not in the past) at a partner's site or an address.",
    )
    def post(self, request: Request) -> Response:
        values = validated(SessionInput, request.data)
        module = access.training_modules(request.user).filter(pk=values.pop("module")).first()
        if module is None:
            raise exceptions.ValidationError({"module": [_("Unknown module.")]})
        session = services.session_create(
            actor=request.user,
            module=module,
            site=_site(values.pop("site", None)),
            trainer=_trainer(values.pop("trainer", None)),
            **values,
        )
        return Response(
            SessionOutput(_sessions(request).get(pk=session.pk)).data,
            status=status.HTTP_201_CREATED,
        )


class SessionDetailApi(APIView):
    @extend_schema(
        operation_id="training_sessions_retrieve",
        tags=TAGS,
        responses={200: SessionOutput, 404: ErrorOutput},
    )
    def get(self, request: Request, pk: int) -> Response:
        return Response(SessionOutput(access.get_or_404(_sessions(request), pk=pk)).data)

    @extend_schema(
        operation_id="training_sessions_partial_update",
        tags=TAGS,
        request=SessionUpdateInput,
        responses={200: SessionOutput, 400: ErrorOutput, 404: ErrorOutput},
        description=(
            "Change the seats (never below those taken; more seats serve the waiting list in "
            "order) or the trainer."
        ),
    )
    def patch(self, request: Request, pk: int) -> Response:
        session = access.get_or_404(_sessions(request).select_related("module"), pk=pk)
        values = validated(SessionUpdateInput, request.data)
        kwargs: dict[str, Any] = {}
        if "seats" in values:
            kwargs["seats"] = values["seats"]
        if "trainer" in values:
            kwargs["trainer"] = _trainer(values["trainer"])
        try:
            services.session_update(actor=request.user, session=session, **kwargs)
        except services.Busy:
            return _busy()
        return Response(SessionOutput(_sessions(request).get(pk=pk)).data)


class SessionMoveApi(APIView):
    @extend_schema(
        operation_id="training_sessions_move",
        tags=TAGS,
        request=SessionMoveInput,
        responses={
            200: SessionMoveOutput,
            400: ErrorOutput,
            403: ErrorOutput,
            404: ErrorOutput,
        },
        description=(
            "Move a session that has not started to another date, other hours or another "
            "place. Enrolments and the waiting list stay; each participant's care is "
            "withdrawn free of charge and asked again for the new date — or, when the "
            "caller does not follow the client, marked `to_move` for the referrer."
        ),
    )
    def post(self, request: Request, pk: int) -> Response:
        session = access.get_or_404(_sessions(request).select_related("module"), pk=pk)
        values = validated(SessionMoveInput, request.data)
        place: dict[str, Any] = {}
        if {"site", "address", "postcode"} & set(values):
            place = {
                "site": _site(values.get("site")),
                "address": values.get("address", ""),
                "postcode": values.get("postcode", ""),
            }
        try:
            moved = services.session_move(
                actor=request.user,
                session=session,
                date=values["date"],
                start_time=values["start_time"],
                end_time=values["end_time"],
                reason=values.get("reason", ""),
                **place,
            )
        except services.Busy:
            return _busy()
        return Response(
            {
                "session": SessionOutput(_sessions(request).get(pk=pk)).data,
                "care_moved": moved.care_moved,
                "care_to_move": moved.care_to_move,
            }
        )


# --- Enrolments ---------------------------------------------------------------------------


class TraineeOutput(serializers.Serializer):
    id = serializers.IntegerField()
    first_name = serializers.CharField()
    last_name = serializers.CharField()


class EnrolmentOutput(serializers.Serializer):
    id = serializers.IntegerField()
    session = serializers.IntegerField(source="session_id")
    client = TraineeOutput()
    status = EnrolmentStatusField()
    waitlisted_at = serializers.DateTimeField(allow_null=True)
    enrolled_at = serializers.DateTimeField(allow_null=True)
    cancelled_at = serializers.DateTimeField(allow_null=True)
    attendance = TrainingAttendanceField()
    care_status = TrainingCareStatusField()
    care_note = serializers.CharField()
    care_request = serializers.SerializerMethodField(
        help_text="The care request for this session; only for those who follow the client."
    )

    @extend_schema_field(OpenApiTypes.INT)
    def get_care_request(self, enrolment: Enrolment) -> int | None:
        if enrolment.client_id not in self.context.get("client_ids", ()):
            return None
        return enrolment.care_request_id


class EnrolmentInput(serializers.Serializer):
    session = serializers.IntegerField()
    client = serializers.IntegerField()
    waitlist = serializers.BooleanField(
        default=True,
        help_text="When the session is full: the waiting list (true) or a 400 (false).",
    )
    care_for = serializers.ListField(
        child=serializers.IntegerField(),
        required=False,
        help_text=(
            "Ids of the client's children who need care during the session; by default "
            "every child the network's age bands take that day."
        ),
    )


class EnrolmentListQuery(serializers.Serializer):
    session = serializers.IntegerField(required=False)
    client = serializers.IntegerField(required=False)
    status = EnrolmentStatusField(required=False)


class EnrolmentCancelInput(serializers.Serializer):
    reason = serializers.CharField(max_length=200, required=False, allow_blank=True)


class EnrolmentCancelOutput(serializers.Serializer):
    enrolment = EnrolmentOutput()
    promoted = serializers.ListField(
        child=serializers.IntegerField(), help_text="Enrolments that got the freed seat."
    )


class EnrolmentAttendanceInput(serializers.Serializer):
    attendance = TrainingAttendanceField()


def _client_ids(request: Request, enrolments: list[Enrolment]) -> frozenset[int]:
    ids = {e.client_id for e in enrolments}
    return frozenset(access.clients(request.user).filter(pk__in=ids).values_list("pk", flat=True))


def _enrolment_output(request: Request, pk: int) -> Any:
    enrolment = selectors.enrolment_for_view(user=request.user, pk=pk)
    return EnrolmentOutput(
        enrolment, context={"client_ids": _client_ids(request, [enrolment])}
    ).data


def _enrolment(request: Request, pk: int) -> Enrolment:
    return selectors.enrolment_for_view(user=request.user, pk=pk)


class EnrolmentListApi(APIView):
    @extend_schema(
        operation_id="training_enrolments_list",
        tags=TAGS,
        parameters=[EnrolmentListQuery],
        responses={200: EnrolmentOutput(many=True)},
        description=(
            "Enrolments you may see: trainers those of their organisation's sessions, "
            "referrers those of the clients they follow."
        ),
    )
    def get(self, request: Request) -> Response:
        query = validated(EnrolmentListQuery, request.query_params)
        rows = selectors.enrolment_list(user=request.user).order_by("session_id", "pk")
        if query.get("session"):
            rows = rows.filter(session_id=query["session"])
        if query.get("client"):
            rows = rows.filter(client_id=query["client"])
        if query.get("status"):
            rows = rows.filter(status=query["status"])
        paginator = Pagination()
        page = list(paginator.paginate_queryset(rows, request, view=self) or [])
        return paginator.get_paginated_response(
            EnrolmentOutput(
                page, many=True, context={"client_ids": _client_ids(request, page)}
            ).data
        )

    @extend_schema(
        operation_id="training_enrolments_create",
        tags=TAGS,
        request=EnrolmentInput,
        responses={
            201: EnrolmentOutput,
            400: ErrorOutput,
            403: ErrorOutput,
            503: ErrorOutput,
        },
        description=(
            "Enrol a client in a session: a seat when one is free, else the waiting list. "
            "With a seat, care is asked for the children during the session."
        ),
    )
    def post(self, request: Request) -> Response:
        values = validated(EnrolmentInput, request.data)
        session = (
            access.training_sessions(request.user)
            .select_related("module")
            .filter(pk=values["session"])
            .first()
        )
        if session is None:
            raise exceptions.ValidationError({"session": [_("Unknown session.")]})
        client = (
            Client.objects.filter(pk__in=access.clients(request.user).values("pk"))
            .filter(pk=values["client"])
            .first()
            or access.trainee_clients(request.user).filter(pk=values["client"]).first()
        )
        if client is None:
            raise exceptions.ValidationError({"client": [_("Unknown client.")]})
        care_for = None
        if "care_for" in values:
            ids = set(values["care_for"])
            care_for = list(access.care_recipients(request.user).filter(client=client, pk__in=ids))
            if len(care_for) != len(ids):
                raise exceptions.ValidationError(
                    {"care_for": [_("A chosen person does not belong to this client.")]}
                )
        try:
            enrolment = services.enrolment_create(
                actor=request.user,
                session=session,
                client=client,
                waitlist=values["waitlist"],
                care_for=care_for,
            )
        except services.Busy:
            return _busy()
        return Response(_enrolment_output(request, enrolment.pk), status=status.HTTP_201_CREATED)


class EnrolmentDetailApi(APIView):
    @extend_schema(
        operation_id="training_enrolments_retrieve",
        tags=TAGS,
        responses={200: EnrolmentOutput, 404: ErrorOutput},
    )
    def get(self, request: Request, pk: int) -> Response:
        return Response(_enrolment_output(request, pk))


class EnrolmentCancelApi(APIView):
    @extend_schema(
        operation_id="training_enrolments_cancel",
        tags=TAGS,
        request=EnrolmentCancelInput,
        responses={200: EnrolmentCancelOutput, 400: ErrorOutput, 404: ErrorOutput},
        description=(
            "Cancel an enrolment or a place on the waiting list, with its care; a freed seat "
            "goes to the first person waiting."
        ),
    )
    def post(self, request: Request, pk: int) -> Response:
        enrolment = _enrolment(request, pk)
        values = validated(EnrolmentCancelInput, request.data)
        try:
            promoted = services.enrolment_cancel(
                actor=request.user, enrolment=enrolment, reason=values.get("reason", "")
            )
        except services.Busy:
            return _busy()
        return Response(
            {"enrolment": _enrolment_output(request, pk), "promoted": [e.pk for e in promoted]}
        )


class EnrolmentAttendanceApi(APIView):
    @extend_schema(
        operation_id="training_enrolments_attendance",
        tags=TAGS,
        request=EnrolmentAttendanceInput,
        responses={
            200: EnrolmentOutput,
            400: ErrorOutput,
            403: ErrorOutput,
            404: ErrorOutput,
        },
        description="Register attendance (present, absent, excused) on or after the day.",
    )
    def post(self, request: Request, pk: int) -> Response:
        enrolment = _enrolment(request, pk)
        values = validated(EnrolmentAttendanceInput, request.data)
        services.attendance_register(
            actor=request.user, enrolment=enrolment, attendance=values["attendance"]
        )
        return Response(_enrolment_output(request, pk))


class EnrolmentCareApi(APIView):
    @extend_schema(
        operation_id="training_enrolments_care",
        tags=TAGS,
        request=None,
        responses={
            200: EnrolmentOutput,
            400: ErrorOutput,
            403: ErrorOutput,
            404: ErrorOutput,
        },
        description=(
            "For the referrer: ask the care a trainer's enrolment still needs (`to_ask`), "
            "move it with a session a trainer moved (`to_move`), or cancel the care of an "
            "enrolment a trainer cancelled (`to_cancel`)."
        ),
    )
    def post(self, request: Request, pk: int) -> Response:
        enrolment = _enrolment(request, pk)
        services.enrolment_care_sync(actor=request.user, enrolment=enrolment)
        return Response(_enrolment_output(request, pk))
