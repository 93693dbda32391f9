"""REST API of the allocation under /api/v1/allocation-runs/.

- `POST /allocation-runs/` starts a run for a network and period (202: it runs in the
  background); `GET /allocation-runs/{id}/` follows its progress and, once ready, gives its
  figures and the first-come-first-served comparison.
- `GET /allocation-runs/{id}/decisions/` lists one decision per request: served with its
  plan, or not with a reason (a code, its parameters and the sentence in the caller's
  language).
- `POST /allocation-runs/{id}/accept/` books all served requests (`{"all": true}`) or some
  (`{"requests": [ids]}`) through the booking service and answers what was booked and what
  was skipped because it changed since the run.

Only the coordinators of a network see its runs: others get a 404 (a 403 when they
coordinate no network at all). The services check again and audit.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.pagination import PageNumberPagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from zorgbrug.access import scoping
from zorgbrug.allocation import explain, selectors, services
from zorgbrug.allocation.models import AllocationDecision, AllocationRun, Outcome, RunState
from zorgbrug.care.api import DayPartField
from zorgbrug.core.api import ErrorOutput

TAGS = ["allocation"]


@extend_schema_field(
    {"type": "string", "enum": list(RunState.values)}, component_name="AllocationRunStateEnum"
)
class RunStateField(serializers.ChoiceField):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(choices=RunState.choices, **kwargs)


@extend_schema_field(
    {"type": "string", "enum": ["", *Outcome.values]}, component_name="AllocationOutcomeEnum"
)
class OutcomeField(serializers.ChoiceField):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(choices=[("", ""), *Outcome.choices], **kwargs)


@extend_schema_field(
    {
        "type": "string",
        "enum": ["job_start", "job_interview", "work_trial", "course", "other"],
        "description": "The covenant's priority class, from the activity's kind.",
    },
    component_name="PriorityClassEnum",
)
class PriorityField(serializers.CharField):
    pass


# --- Input ------------------------------------------------------------------------------


class AllocationRunInput(serializers.Serializer):
    network = serializers.IntegerField(help_text="The id of a network you coordinate.")
    first_date = serializers.DateField()
    last_date = serializers.DateField(help_text="At most 31 days after first_date, inclusive.")
    time_limit = serializers.FloatField(
        required=False,
        default=services.DEFAULT_TIME_LIMIT,
        help_text="Seconds to look for the best allocation (1–120).",
    )
    seed = serializers.IntegerField(
        required=False, default=0, help_text="The same input and seed give the same result."
    )


class AllocationAcceptInput(serializers.Serializer):
    all = serializers.BooleanField(
        required=False, default=False, help_text="Book every served request of the run."
    )
    requests = serializers.ListField(
        child=serializers.IntegerField(),
        required=False,
        help_text="Care request ids to book (served by the run).",
    )

    def validate(self, data: dict[str, Any]) -> dict[str, Any]:
        if data.get("all") == ("requests" in data):
            raise serializers.ValidationError(
                services.accept_choice_message(), code="all_or_requests"
            )
        return data


# --- Output -----------------------------------------------------------------------------


class AllocationNetworkRefOutput(serializers.Serializer):
    id = serializers.IntegerField()
    slug = serializers.CharField()
    name = serializers.CharField()


class AllocationProgressOutput(serializers.Serializer):
    done = serializers.IntegerField()
    total = serializers.IntegerField()
    percent = serializers.IntegerField()
    message = serializers.CharField()


class AllocationFiguresOutput(serializers.Serializer):
    requests = serializers.IntegerField()
    served = serializers.IntegerField()
    served_share = serializers.FloatField(allow_null=True)
    fcfs_served = serializers.IntegerField(help_text="Served by first come, first served.")
    fcfs_served_share = serializers.FloatField(allow_null=True)
    priority_value = serializers.FloatField(help_text="Covenant points of what is served.")
    fcfs_priority_value = serializers.FloatField()
    value_gain = serializers.FloatField(
        allow_null=True, help_text="priority_value relative to first come, first served."
    )
    objective = serializers.FloatField()
    bound = serializers.FloatField(help_text="A proven upper bound on the objective.")
    gap = serializers.FloatField()
    solve_status = serializers.CharField(help_text="`optimal` when proven (within 0.1%).")
    seconds = serializers.FloatField()


class AllocationRunOutput(serializers.Serializer):
    id = serializers.IntegerField()
    network = AllocationNetworkRefOutput()
    first_date = serializers.DateField()
    last_date = serializers.DateField()
    state = RunStateField()
    message = serializers.CharField()
    created_at = serializers.DateTimeField()
    finished_at = serializers.DateTimeField(allow_null=True)
    accepted_at = serializers.DateTimeField(allow_null=True)
    seed = serializers.IntegerField()
    time_limit = serializers.FloatField()
    progress = AllocationProgressOutput()
    figures = AllocationFiguresOutput(allow_null=True, help_text="Once the run is ready.")
    instance_digest = serializers.CharField(help_text="What the run ran on.")


class AllocationPlanItemOutput(serializers.Serializer):
    date = serializers.DateField()
    day_part = DayPartField()
    care_site = serializers.IntegerField()
    recipient = serializers.IntegerField()


class AllocationReasonOutput(serializers.Serializer):
    code = serializers.CharField()
    params = serializers.DictField()
    text = serializers.CharField(help_text="In the language of the request.")


class AllocationDecisionOutput(serializers.Serializer):
    request = serializers.IntegerField()
    served = serializers.BooleanField()
    fcfs_served = serializers.BooleanField()
    priority = PriorityField()
    points = serializers.FloatField()
    value = serializers.FloatField()
    distance_km = serializers.FloatField(allow_null=True)
    plan = AllocationPlanItemOutput(many=True)
    reason = AllocationReasonOutput(allow_null=True)
    outcome = OutcomeField()
    outcome_message = serializers.CharField()


class AllocationSkippedOutput(serializers.Serializer):
    request = serializers.IntegerField()
    outcome = OutcomeField()
    message = serializers.CharField()


class AllocationAcceptOutput(serializers.Serializer):
    booked = serializers.ListField(child=serializers.IntegerField())
    skipped = AllocationSkippedOutput(many=True)


def run_data(run: AllocationRun) -> dict[str, Any]:
    job = run.job
    figures = None
    if run.has_result:
        figures = {
            "requests": run.requests_total,
            "served": run.served_count,
            "served_share": run.served_share,
            "fcfs_served": run.fcfs_served_count,
            "fcfs_served_share": run.fcfs_served_share,
            "priority_value": run.priority_value,
            "fcfs_priority_value": run.fcfs_priority_value,
            "value_gain": run.value_gain,
            "objective": run.objective,
            "bound": run.bound,
            "gap": run.gap,
            "solve_status": run.solve_status,
            "seconds": run.seconds,
        }
    return {
        "id": run.pk,
        "network": {"id": run.network.pk, "slug": run.network.slug, "name": run.network.name},
        "first_date": run.first_date,
        "last_date": run.last_date,
        "state": run.state,
        "message": run.message,
        "created_at": run.created_at,
        "finished_at": run.finished_at,
        "accepted_at": run.accepted_at,
        "seed": run.seed,
        "time_limit": run.time_limit,
        "progress": {
            "done": job.progress_done if job else 0,
            "total": job.progress_total if job else 0,
            "percent": 100 if run.has_result else (job.percent if job else 0),
            "message": job.message if job else "",
        },
        "figures": figures,
        "instance_digest": run.instance_digest,
    }


def decision_data(d: AllocationDecision) -> dict[str, Any]:
    return {
        "request": d.care_request_id,
        "served": d.served,
        "fcfs_served": d.fcfs_served,
        "priority": d.priority,
        "points": d.points,
        "value": d.value,
        "distance_km": d.distance_km,
        "plan": [
            {
                "date": p["date"],
                "day_part": p["part"],
                "care_site": p["site"],
                "recipient": p["recipient"],
            }
            for p in d.plan
        ],
        "reason": None
        if d.served
        else {
            "code": d.reason_code,
            "params": d.reason_params,
            "text": explain.reason_text(d.reason_code, d.reason_params),
        },
        "outcome": d.outcome,
        "outcome_message": d.outcome_message,
    }


class RunPagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500


def _run(request: Request, pk: int) -> AllocationRun:
    if not scoping.actor_for(request.user).coordinated_network_ids:
        raise PermissionDenied
    return selectors.run_for(request.user, pk)


# --- Views ------------------------------------------------------------------------------


class RunListApi(APIView):
    pagination_class = RunPagination

    @extend_schema(
        operation_id="allocation_runs_list",
        tags=TAGS,
        responses={200: AllocationRunOutput(many=True), 403: ErrorOutput},
        description="The allocation runs of the networks you coordinate, newest first.",
    )
    def get(self, request: Request) -> Response:
        if not scoping.actor_for(request.user).coordinated_network_ids:
            raise PermissionDenied
        paginator = RunPagination()
        page = paginator.paginate_queryset(selectors.runs_for(request.user), request, view=self)
        return paginator.get_paginated_response(
            AllocationRunOutput([run_data(r) for r in page or []], many=True).data
        )

    @extend_schema(
        operation_id="allocation_runs_create",
        tags=TAGS,
        request=AllocationRunInput,
        responses={
            202: AllocationRunOutput,
            400: OpenApiResponse(
                ErrorOutput,
                description="Bad period (in the past, too long, last before first) or limits.",
            ),
            403: ErrorOutput,
            404: OpenApiResponse(ErrorOutput, description="Not a network you coordinate."),
        },
        description=(
            "Allocate a network's waiting requests with a day in the period. The run works "
            "in the background: follow it with GET /allocation-runs/{id}/."
        ),
    )
    def post(self, request: Request) -> Response:
        if not scoping.actor_for(request.user).coordinated_network_ids:
            raise PermissionDenied
        serializer = AllocationRunInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        values = serializer.validated_data
        network = selectors.networks_to_allocate(request.user).filter(pk=values["network"]).first()
        if network is None:
            raise Http404
        run = services.allocation_start(
            actor=request.user,
            network=network,
            first=values["first_date"],
            last=values["last_date"],
            seed=values["seed"],
            time_limit=values["time_limit"],
        )
        run = selectors.run_for(request.user, run.pk)
        return Response(AllocationRunOutput(run_data(run)).data, status=status.HTTP_202_ACCEPTED)


class RunDetailApi(APIView):
    @extend_schema(
        operation_id="allocation_runs_retrieve",
        tags=TAGS,
        responses={200: AllocationRunOutput, 403: ErrorOutput, 404: ErrorOutput},
        description="A run's state and progress; its figures once it is ready.",
    )
    def get(self, request: Request, pk: int) -> Response:
        return Response(AllocationRunOutput(run_data(_run(request, pk))).data)


class DecisionListApi(APIView):
    pagination_class = RunPagination

    @extend_schema(
        operation_id="allocation_runs_decisions",
        tags=TAGS,
        responses={200: AllocationDecisionOutput(many=True), 403: ErrorOutput, 404: ErrorOutput},
        description=(
            "One decision per request of the run: served with its plan (care site per date, "
            "day-part and child), or not with the reason. Empty until the run is ready."
        ),
    )
    def get(self, request: Request, pk: int) -> Response:
        run = _run(request, pk)
        rows = run.decisions.order_by("-served", "-value", "arrival", "pk")
        paginator = RunPagination()
        page = paginator.paginate_queryset(rows, request, view=self)
        return paginator.get_paginated_response(
            AllocationDecisionOutput([decision_data(d) for d in page or []], many=True).data
        )


class AcceptApi(APIView):
    @extend_schema(
        operation_id="allocation_runs_accept",
        tags=TAGS,
        request=AllocationAcceptInput,
        responses={
            200: AllocationAcceptOutput,
            400: OpenApiResponse(
                ErrorOutput,
                description="Not ready, nothing left to accept, or ids the run does not serve.",
            ),
            403: ErrorOutput,
            404: ErrorOutput,
        },
        description=(
            "Book the run's served requests through the booking service, each all or nothing. "
            "Requests booked or cancelled by someone else since the run, whose place was "
            "taken or whose days changed, are skipped and listed with the reason."
        ),
    )
    def post(self, request: Request, pk: int) -> Response:
        run = _run(request, pk)
        serializer = AllocationAcceptInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        values = serializer.validated_data
        report = services.allocation_accept(
            actor=request.user,
            run=run,
            request_ids=None if values.get("all") else list(values["requests"]),
        )
        data = {
            "booked": [d.care_request_id for d in report.booked],
            "skipped": [
                {"request": d.care_request_id, "outcome": d.outcome, "message": d.outcome_message}
                for d in report.skipped
            ],
        }
        return Response(AllocationAcceptOutput(data).data)
