"""REST API for covenants, monthly settlements, cost lines and statements — /api/v1/.

The house style of the other domains: one view per resource, input and output serializers
per operation, every queryset from `access.scoping`, every write through the covenant's
services. Choice fields are plain strings here (their values are documented in
`help_text`), so that they never rename other domains' enum components in the schema.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.pagination import PageNumberPagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from zorgbrug.access import scoping as access
from zorgbrug.core.api import validated
from zorgbrug.covenant import selectors, services
from zorgbrug.covenant.models import (
    AllocationKey,
    CostLine,
    Covenant,
    Settlement,
    SiteTariff,
)
from zorgbrug.network.models import Network

TAGS = ["covenant"]


class Pagination(PageNumberPagination):
    page_size = 100
    page_size_query_param = "page_size"
    max_page_size = 1000


# --- Covenants ---------------------------------------------------------------------------


class PartyOutput(serializers.Serializer):
    partner = serializers.IntegerField(source="partner_id")
    organisation = serializers.CharField(source="partner.organisation.name")
    roles = serializers.ListField(child=serializers.CharField())


class SiteTariffOutput(serializers.ModelSerializer):
    site = serializers.CharField(source="care_site.site.name")
    unit = serializers.CharField(help_text="day_part, day or hour")
    payment = serializers.CharField(help_text="always (paid whether used or not) or used")
    short_notice_unit = serializers.CharField(help_text="empty: the covenant's default")

    class Meta:
        model = SiteTariff
        fields = [
            "care_site",
            "site",
            "unit",
            "price",
            "payment",
            "short_notice_unit",
            "short_notice_price",
        ]


class ContributionYearOutput(serializers.Serializer):
    year = serializers.IntegerField()
    flat_day_amount = serializers.DecimalField(max_digits=10, decimal_places=2)
    min_day_price = serializers.DecimalField(max_digits=10, decimal_places=2)
    max_day_price = serializers.DecimalField(max_digits=10, decimal_places=2)
    income_floor = serializers.DecimalField(max_digits=12, decimal_places=2)
    income_ceiling = serializers.DecimalField(max_digits=12, decimal_places=2)
    sibling_discount_percent = serializers.DecimalField(max_digits=5, decimal_places=2)
    reduced_percent = serializers.DecimalField(max_digits=5, decimal_places=2)
    lowest_day_price = serializers.DecimalField(max_digits=10, decimal_places=2)


class ShareOutput(serializers.Serializer):
    match = serializers.CharField(help_text="empty: the fallback (and fixed) shares")
    partner = serializers.IntegerField(source="partner_id")
    percent = serializers.DecimalField(max_digits=5, decimal_places=2)


class AllocationKeyOutput(serializers.ModelSerializer):
    basis = serializers.CharField(help_text="referrer, activity_kind, municipality or fixed")
    shares = ShareOutput(many=True)

    class Meta:
        model = AllocationKey
        fields = ["id", "basis", "valid_from", "valid_until", "note", "shares"]


class CovenantOutput(serializers.ModelSerializer):
    network: serializers.SlugRelatedField[Network] = serializers.SlugRelatedField(
        slug_field="slug", read_only=True
    )
    contribution_mode = serializers.CharField(help_text="free, flat or income")
    short_notice_unit = serializers.CharField(help_text="day_part, day or hour")
    day_count = serializers.JSONField(help_text='[{"from_hours": "0", "percent": "60"}, …]')
    max_care_days = serializers.JSONField(help_text='{"job_start": 92, …}')
    priorities = serializers.JSONField(help_text='{"job_start": "100", …}')

    class Meta:
        model = Covenant
        fields = [
            "id",
            "network",
            "version",
            "title",
            "valid_from",
            "valid_until",
            "signed_on",
            "free_cancellation_hours",
            "late_cancellation_percent",
            "no_show_percent",
            "day_count",
            "contribution_mode",
            "short_notice_unit",
            "short_notice_price",
            "max_care_days",
            "priorities",
        ]


class CovenantDetailOutput(CovenantOutput):
    parties = PartyOutput(many=True)
    site_tariffs = SiteTariffOutput(many=True)
    contribution_years = ContributionYearOutput(many=True)
    allocation_keys = AllocationKeyOutput(many=True)

    class Meta(CovenantOutput.Meta):
        fields = [
            *CovenantOutput.Meta.fields,
            "parties",
            "site_tariffs",
            "contribution_years",
            "allocation_keys",
        ]


class NetworkQuery(serializers.Serializer):
    network = serializers.SlugField(required=False)


def _query(serializer_class: type[serializers.Serializer], request: Request) -> dict[str, Any]:
    return validated(serializer_class, request.query_params)


class CovenantListApi(APIView):
    """Covenant versions of the networks you take part in."""

    @extend_schema(
        tags=TAGS,
        parameters=[OpenApiParameter("network", str, description="a network's slug")],
        responses=CovenantOutput(many=True),
    )
    def get(self, request: Request) -> Response:
        query = _query(NetworkQuery, request)
        qs: QuerySet[Covenant] = access.covenants(request.user).select_related("network")
        if query.get("network"):
            qs = qs.filter(network__slug=query["network"])
        return Response(CovenantOutput(qs.order_by("network__slug", "-valid_from"), many=True).data)


class CovenantDetailApi(APIView):
    @extend_schema(tags=TAGS, responses=CovenantDetailOutput)
    def get(self, request: Request, pk: int) -> Response:
        return Response(CovenantDetailOutput(selectors.covenant_for(request.user, pk)).data)


# --- Settlements -------------------------------------------------------------------------


class StatementTotalOutput(serializers.Serializer):
    id = serializers.IntegerField()
    partner = serializers.IntegerField(source="partner_id")
    organisation = serializers.CharField(source="partner.organisation.name")
    side = serializers.CharField(help_text="provider (owed to it) or payer (to pay)")
    total = serializers.DecimalField(max_digits=14, decimal_places=2)


class SettlementOutput(serializers.ModelSerializer):
    network: serializers.SlugRelatedField[Network] = serializers.SlugRelatedField(
        slug_field="slug", read_only=True
    )
    month = serializers.CharField(source="slug", help_text="YYYY-MM")
    status = serializers.CharField(help_text="open or closed")

    class Meta:
        model = Settlement
        fields = [
            "id",
            "network",
            "month",
            "status",
            "total",
            "gross_total",
            "parent_total",
            "line_count",
            "calculated_at",
            "closed_at",
        ]


class SettlementDetailOutput(SettlementOutput):
    statements = StatementTotalOutput(many=True)

    class Meta(SettlementOutput.Meta):
        fields = [*SettlementOutput.Meta.fields, "statements"]


class SettlementCalculateInput(serializers.Serializer):
    network = serializers.SlugField(help_text="a network you coordinate")
    month = serializers.RegexField(r"^\d{4}-\d{2}$", help_text="YYYY-MM")


def _settlements(request: Request) -> QuerySet[Settlement]:
    return access.settlements(request.user).select_related("network")


def _settlement_detail(settlement: Settlement) -> Any:
    settlement = (
        Settlement.objects.select_related("network")
        .prefetch_related("statements__partner__organisation")
        .get(pk=settlement.pk)
    )
    return SettlementDetailOutput(settlement).data


class SettlementListApi(APIView):
    """Monthly settlements of the networks you coordinate; POST calculates a month (all or
    nothing) and answers with its totals."""

    @extend_schema(
        tags=TAGS,
        parameters=[OpenApiParameter("network", str, description="a network's slug")],
        responses=SettlementOutput(many=True),
    )
    def get(self, request: Request) -> Response:
        query = _query(NetworkQuery, request)
        qs = _settlements(request)
        if query.get("network"):
            qs = qs.filter(network__slug=query["network"])
        return Response(SettlementOutput(qs.order_by("network__slug", "-month"), many=True).data)

    @extend_schema(
        tags=TAGS, request=SettlementCalculateInput, responses={200: SettlementDetailOutput}
    )
    def post(self, request: Request) -> Response:
        data = SettlementCalculateInput(data=request.data)
        data.is_valid(raise_exception=True)
        network = access.get_or_404(
            access.networks(request.user, manage=True), slug=data.validated_data["network"]
        )
        settlement = services.settlement_calculate(
            actor=request.user,
            network=network,
            month=selectors.parse_month(data.validated_data["month"]),
        )
        return Response(_settlement_detail(settlement))


class SettlementDetailApi(APIView):
    @extend_schema(tags=TAGS, responses=SettlementDetailOutput)
    def get(self, request: Request, pk: int) -> Response:
        return Response(_settlement_detail(access.get_or_404(_settlements(request), pk=pk)))


class SettlementCloseApi(APIView):
    """Close a month for good (it is over, earlier months are closed, nothing changed)."""

    @extend_schema(tags=TAGS, request=None, responses=SettlementDetailOutput)
    def post(self, request: Request, pk: int) -> Response:
        settlement = access.get_or_404(_settlements(request), pk=pk)
        settlement = services.settlement_close(actor=request.user, settlement=settlement)
        return Response(_settlement_detail(settlement))


class CostLineOutput(serializers.ModelSerializer):
    kind = serializers.CharField(
        help_text="reserved_used, reserved_unused, care, short_notice, late_cancellation, "
        "no_show or manual"
    )
    provider = serializers.IntegerField(source="provider_id")
    care_site = serializers.IntegerField(source="care_site_id", allow_null=True)
    booking = serializers.IntegerField(source="booking_id", allow_null=True)
    reservation = serializers.IntegerField(source="reservation_id", allow_null=True)
    slot = serializers.IntegerField(source="slot_id", allow_null=True)
    referrer = serializers.IntegerField(source="referrer_id", allow_null=True)
    corrects = serializers.IntegerField(
        source="corrects_id", allow_null=True, help_text="the closed settlement corrected"
    )
    gross = serializers.DecimalField(max_digits=20, decimal_places=10)
    parent_contribution = serializers.DecimalField(
        source="parent", max_digits=20, decimal_places=10
    )
    amount = serializers.DecimalField(max_digits=20, decimal_places=10)

    class Meta:
        model = CostLine
        fields = [
            "id",
            "kind",
            "date",
            "day_part",
            "provider",
            "care_site",
            "booking",
            "reservation",
            "slot",
            "unit",
            "quantity",
            "unit_price",
            "charge_percent",
            "gross",
            "parent_contribution",
            "amount",
            "referrer",
            "activity_kind",
            "postcode",
            "corrects",
            "description",
        ]


class CostLineQuery(serializers.Serializer):
    kind = serializers.CharField(required=False)


class CostLineListApi(APIView):
    """A month's cost lines, each traceable to its booking or reservation (paginated)."""

    pagination_class = Pagination

    @extend_schema(
        tags=TAGS,
        parameters=[OpenApiParameter("kind", str), OpenApiParameter("page", int)],
        responses=CostLineOutput(many=True),
    )
    def get(self, request: Request, pk: int) -> Response:
        settlement = access.get_or_404(_settlements(request), pk=pk)
        query = _query(CostLineQuery, request)
        qs = (
            access.cost_lines(request.user)
            .filter(settlement=settlement)
            .order_by("date", "day_part", "id")
        )
        if query.get("kind"):
            qs = qs.filter(kind=query["kind"])
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(qs, request, view=self)
        return paginator.get_paginated_response(CostLineOutput(page, many=True).data)


# --- Statements --------------------------------------------------------------------------


class StatementLineOutput(serializers.Serializer):
    kind = serializers.CharField()
    kind_label = serializers.CharField(source="label")
    where = serializers.CharField(help_text="the site (provider statements) or the provider")
    basis = serializers.CharField(help_text="why this partner pays (payer statements)")
    percent = serializers.DecimalField(max_digits=5, decimal_places=2)
    adjustment = serializers.BooleanField()
    line_count = serializers.IntegerField()
    quantity = serializers.DecimalField(max_digits=14, decimal_places=4)
    gross = serializers.DecimalField(max_digits=14, decimal_places=2)
    parent_contribution = serializers.DecimalField(source="parent", max_digits=14, decimal_places=2)
    amount = serializers.DecimalField(max_digits=14, decimal_places=2)


class StatementOutput(serializers.Serializer):
    id = serializers.IntegerField(source="statement.pk")
    network = serializers.CharField(source="network.slug")
    month = serializers.SerializerMethodField()
    partner = serializers.IntegerField(source="statement.partner_id")
    organisation = serializers.CharField(source="partner_name")
    side = serializers.CharField(help_text="provider (owed to it) or payer (to pay)")
    closed = serializers.BooleanField()
    total = serializers.DecimalField(max_digits=14, decimal_places=2)
    gross = serializers.DecimalField(max_digits=14, decimal_places=2)
    parent_contribution = serializers.DecimalField(source="parent", max_digits=14, decimal_places=2)

    def get_month(self, view: Any) -> str:
        return f"{view.month:%Y-%m}"


class StatementDetailOutput(StatementOutput):
    lines = StatementLineOutput(many=True, source="rows")


class StatementListApi(APIView):
    """Your organisation's statements of closed months (all of them for coordinators)."""

    @extend_schema(tags=TAGS, responses=StatementOutput(many=True))
    def get(self, request: Request) -> Response:
        qs = (
            access.statements(request.user)
            .select_related("settlement__network", "partner__organisation")
            .order_by("-settlement__month", "partner__organisation__name", "side")[:500]
        )
        views = [
            selectors.StatementView(
                statement=s,
                network=s.settlement.network,
                month=s.settlement.month,
                partner_name=s.partner.organisation.name,
                side=s.side,
                is_provider=s.side == "provider",
                total=s.total,
                gross=s.gross,
                parent=s.parent,
                rows=[],
                closed=s.settlement.is_closed,
                settlement_total=s.settlement.total,
            )
            for s in qs
        ]
        return Response(StatementOutput(views, many=True).data)


class StatementDetailApi(APIView):
    @extend_schema(tags=TAGS, responses=StatementDetailOutput)
    def get(self, request: Request, pk: int) -> Response:
        view = selectors.statement_view(selectors.statement_by_pk(request.user, pk))
        return Response(StatementDetailOutput(view).data)


class FigureOutput(serializers.Serializer):
    network = serializers.CharField()
    month = serializers.CharField()
    total = serializers.DecimalField(max_digits=14, decimal_places=2)
    care_costs = serializers.DecimalField(max_digits=14, decimal_places=2)
    parent_contributions = serializers.DecimalField(max_digits=14, decimal_places=2)
    cost_lines = serializers.IntegerField()


class FigureListApi(APIView):
    """Closed months' totals per network, without any partner or line: for researchers."""

    @extend_schema(tags=TAGS, responses=FigureOutput(many=True))
    def get(self, request: Request) -> Response:
        return Response(FigureOutput(selectors.figures(request.user), many=True).data)
