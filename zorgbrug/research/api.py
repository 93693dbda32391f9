"""REST API for the evaluation: indicators as JSON for a period and filters — /api/v1/research/.

Aggregates only, for the networks the user coordinates or evaluates (`scoping`); the
filters are checked by the dashboard's own form, so a bad period or an organisation outside
the network gets the same translated message here as on the page (400).
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
)
from rest_framework import exceptions, serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from zorgbrug.research import indicators as ind
from zorgbrug.research import selectors
from zorgbrug.research.cohorts import cohort_comparison
from zorgbrug.research.forms import FilterForm

TAGS = ["research"]


@extend_schema_field({"type": "number", "nullable": True})
class NumberField(serializers.Field):
    """A count stays an integer, a share or a quantity a decimal number; null stays null."""

    def to_representation(self, value: Any) -> Any:
        return value


class ColumnOutput(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()  # type: ignore[assignment]
    unit = serializers.CharField()


class RowOutput(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()  # type: ignore[assignment]
    values = serializers.ListField(child=NumberField(allow_null=True))


class TableOutput(serializers.Serializer):
    columns = ColumnOutput(many=True)
    rows = RowOutput(many=True)


class DefinitionOutput(serializers.Serializer):
    key = serializers.CharField()
    group = serializers.CharField()
    name = serializers.CharField()
    definition = serializers.CharField()
    formula = serializers.CharField()
    unit = serializers.CharField(
        help_text="people, requests, share, days, day_parts, hours, euros, table"
    )
    filters = serializers.ListField(
        child=serializers.CharField(), help_text="The filters this indicator answers to."
    )


class IndicatorOutput(DefinitionOutput):
    not_applicable = serializers.ListField(
        child=serializers.CharField(),
        help_text="Filters that were set but do not apply to this indicator.",
    )
    value = NumberField(
        allow_null=True,
        help_text="The count; the share (0-1); days or hours. Null for tables, by-gender "
        "breakdowns and shares or statistics without observations.",
    )
    numerator = serializers.IntegerField(allow_null=True)
    denominator = serializers.IntegerField(allow_null=True)
    n = serializers.IntegerField(allow_null=True, help_text="Observations behind a statistic.")
    amount = serializers.CharField(
        allow_null=True,
        help_text="Amounts in euros: exact to the cent, as a decimal string (value is the same "
        "as a number).",
    )
    basis = serializers.CharField(
        allow_null=True,
        help_text="What an amount rests on (a decimal string): its cost lines, or the clients, "
        "hours or positive outcomes a ratio divides by.",
    )
    basis_unit = serializers.CharField(
        allow_null=True, help_text="lines, clients, hours or outcomes."
    )
    by_gender = serializers.DictField(
        child=serializers.IntegerField(), allow_null=True, help_text="ESF+ breakdowns."
    )
    table = TableOutput(allow_null=True)


class CohortRowOutput(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()  # type: ignore[assignment]
    care = serializers.IntegerField()
    no_care = serializers.IntegerField()
    care_share = serializers.FloatField(allow_null=True)
    no_care_share = serializers.FloatField(allow_null=True)


class CohortOutput(serializers.Serializer):
    caveat = serializers.CharField()
    care_n = serializers.IntegerField()
    no_care_n = serializers.IntegerField()
    rows = CohortRowOutput(many=True)


class NetworkRefOutput(serializers.Serializer):
    slug = serializers.CharField()
    name = serializers.CharField()


class IndicatorsOutput(serializers.Serializer):
    start = serializers.DateField()
    end = serializers.DateField()
    networks = NetworkRefOutput(many=True)
    organisation = serializers.IntegerField(allow_null=True)
    activity_kind = serializers.CharField(allow_null=True)
    indicators = IndicatorOutput(many=True)
    cohorts = CohortOutput()


def _definition(i: ind.Indicator) -> dict[str, Any]:
    return {
        "key": i.key,
        "group": str(i.group),
        "name": str(i.name),
        "definition": str(i.definition),
        "formula": str(i.formula),
        "unit": str(i.unit),
        "filters": [str(d) for d in ind.Dimension if d in i.dimensions],
    }


def _result(r: ind.Result) -> dict[str, Any]:
    out: dict[str, Any] = {
        **_definition(r.indicator),
        "not_applicable": [str(d) for d in r.not_applicable],
        "value": None,
        "numerator": None,
        "denominator": None,
        "n": None,
        "amount": None,
        "basis": None,
        "basis_unit": None,
        "by_gender": None,
        "table": None,
    }
    v = r.value
    if isinstance(v, ind.Share):
        out.update(value=v.value, numerator=v.numerator, denominator=v.denominator)
    elif isinstance(v, ind.Measure):
        out.update(value=v.value, n=v.n)
    elif isinstance(v, ind.Money):
        out.update(
            value=v.value,
            amount=None if v.amount is None else str(v.amount),
            basis=str(v.basis),
            basis_unit=v.basis_unit,
        )
    elif isinstance(v, ind.ByGender):
        out["by_gender"] = {**dict(v.counts), "total": v.total}
    elif isinstance(v, ind.Table):
        out["table"] = {
            "columns": [
                {"key": c.key, "label": str(c.label), "unit": str(c.unit)} for c in v.columns
            ],
            "rows": [
                {"key": row.key, "label": row.label, "values": list(row.values)} for row in v.rows
            ],
        }
    else:
        out["value"] = v
    return out


FILTER_PARAMETERS = [
    OpenApiParameter("start", OpenApiTypes.DATE, description="First day of the period."),
    OpenApiParameter("end", OpenApiTypes.DATE, description="Last day of the period."),
    OpenApiParameter("network", OpenApiTypes.STR, description="Slug of one of your networks."),
    OpenApiParameter(
        "organisation", OpenApiTypes.INT, description="Id of a referrer organisation."
    ),
    OpenApiParameter("activity_kind", OpenApiTypes.STR, description="e.g. course, job_start."),
]


class IndicatorsApi(APIView):
    @extend_schema(
        tags=TAGS,
        operation_id="research_indicators",
        summary="All indicators for a period and filters (aggregates only)",
        description="Without `start` and `end`: the last twelve calendar months.",
        parameters=FILTER_PARAMETERS,
        responses={
            200: IndicatorsOutput,
            400: OpenApiResponse(description="Invalid filters, with translated messages."),
            403: OpenApiResponse(description="Only coordinators and researchers."),
        },
    )
    def get(self, request: Request) -> Response:
        networks = selectors.research_networks(request.user)
        if not networks:
            raise exceptions.PermissionDenied
        params = request.query_params
        form = FilterForm(
            params if params else None,
            networks=networks,
            organisations=selectors.referrer_choices(networks),
        )
        if form.is_bound:
            data = request.query_params.copy()
            for name in ("start", "end"):  # a period may be given in part
                if not data.get(name):
                    data[name] = form.initial[name].isoformat()
            form = FilterForm(
                data, networks=networks, organisations=selectors.referrer_choices(networks)
            )
            if not form.is_valid():
                raise exceptions.ValidationError(form.errors.get_json_data(escape_html=False))
        filters = form.to_filters()
        with ind.Evaluation(filters) as ev:
            results = ind.compute(filters, evaluation=ev)
            cohorts = cohort_comparison(filters, evaluation=ev)
        chosen = [n for n in networks if n.pk in filters.network_ids]
        body = {
            "start": filters.start,
            "end": filters.end,
            "networks": [{"slug": n.slug, "name": n.name} for n in chosen],
            "organisation": filters.organisation_id,
            "activity_kind": filters.activity_kind,
            "indicators": [_result(r) for r in results],
            "cohorts": {
                "caveat": str(cohorts.caveat),
                "care_n": cohorts.care_n,
                "no_care_n": cohorts.no_care_n,
                "rows": [
                    {
                        "key": row.key,
                        "label": str(row.label),
                        "care": row.care,
                        "no_care": row.no_care,
                        "care_share": row.care_share,
                        "no_care_share": row.no_care_share,
                    }
                    for row in cohorts.rows
                ],
            },
        }
        return Response(IndicatorsOutput(body).data)


class DefinitionsApi(APIView):
    @extend_schema(
        tags=TAGS,
        operation_id="research_indicator_definitions",
        summary="The definition of every indicator",
        responses={200: DefinitionOutput(many=True)},
    )
    def get(self, request: Request) -> Response:
        if not selectors.research_networks(request.user):
            raise exceptions.PermissionDenied
        return Response(DefinitionOutput([_definition(i) for i in ind.INDICATORS], many=True).data)
