"""REST API for networks, partner organisations, sites, contacts and staff (read) — /api/v1/."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import api_view
from rest_framework.request import Request
from rest_framework.response import Response

from zorgbrug.access import scoping as access
from zorgbrug.network import services
from zorgbrug.network.models import (
    Contact,
    Membership,
    Network,
    Organisation,
    OrganisationKind,
    Partner,
    PartnerRole,
    ProviderKind,
    Site,
)


class NetworkSerializer(serializers.ModelSerializer):
    class Meta:
        model = Network
        fields = ["id", "name", "slug", "region", "description", "is_active"]
        read_only_fields = ["id", "slug"]


class PartnerSerializer(serializers.ModelSerializer):
    network: serializers.SlugRelatedField[Network] = serializers.SlugRelatedField(
        slug_field="slug", read_only=True
    )
    roles = serializers.ListField(
        child=serializers.ChoiceField(choices=PartnerRole.choices), read_only=True
    )

    class Meta:
        model = Partner
        fields = ["network", "roles"]


class OrganisationSerializer(serializers.ModelSerializer):
    partnerships = PartnerSerializer(many=True, read_only=True)

    class Meta:
        model = Organisation
        fields = [
            "id",
            "name",
            "kbo_number",
            "kind",
            "provider_kind",
            "email",
            "phone",
            "website",
            "partnerships",
        ]
        read_only_fields = ["id", "partnerships"]
        extra_kwargs: dict[str, dict[str, Any]] = {"kbo_number": {"validators": []}}


class OrganisationCreateSerializer(serializers.Serializer):
    network = serializers.SlugField(help_text="Slug of a network you coordinate.")
    name = serializers.CharField(max_length=200)
    kind = serializers.ChoiceField(choices=OrganisationKind.choices)
    provider_kind = serializers.ChoiceField(choices=ProviderKind.choices, required=False)
    roles = serializers.ListField(
        child=serializers.ChoiceField(choices=PartnerRole.choices), allow_empty=False
    )
    kbo_number = serializers.CharField(required=False, allow_blank=True, allow_null=True)
    email = serializers.EmailField(required=False, allow_blank=True)
    phone = serializers.CharField(required=False, allow_blank=True)
    website = serializers.URLField(required=False, allow_blank=True)


class SiteSerializer(serializers.ModelSerializer):
    class Meta:
        model = Site
        fields = [
            "id",
            "organisation",
            "name",
            "street",
            "postcode",
            "municipality",
            "latitude",
            "longitude",
            "phone",
            "is_active",
        ]
        read_only_fields = ["id"]
        extra_kwargs: dict[str, dict[str, Any]] = {"municipality": {"required": False}}


class ContactSerializer(serializers.ModelSerializer):
    class Meta:
        model = Contact
        fields = ["id", "organisation", "name", "function", "email", "phone"]
        read_only_fields = ["id", "organisation"]


class MembershipSerializer(serializers.ModelSerializer):
    user_name = serializers.CharField(source="user.full_name", read_only=True)
    user_email = serializers.EmailField(source="user.email", read_only=True)

    class Meta:
        model = Membership
        fields = ["id", "organisation", "role", "is_active", "user_name", "user_email"]
        read_only_fields = fields


class NetworkViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Networks you take part in; coordinators may change theirs."""

    serializer_class = NetworkSerializer
    lookup_field = "slug"

    def get_queryset(self) -> QuerySet[Network]:
        return access.networks(self.request.user).order_by("name")

    def perform_update(self, serializer: Any) -> None:
        network = serializer.instance
        access.require(access.can_manage_network(self.request.user, network))
        serializer.instance = services.network_update(
            actor=self.request.user, network=network, **serializer.validated_data
        )


class OrganisationViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Your organisations, and all partners of the networks you coordinate."""

    serializer_class = OrganisationSerializer

    def get_queryset(self) -> QuerySet[Organisation]:
        return (
            access.organisations(self.request.user)
            .prefetch_related("partnerships__network")
            .order_by("name")
        )

    @extend_schema(request=OrganisationCreateSerializer, responses={201: OrganisationSerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = OrganisationCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        network = access.get_or_404(
            access.networks(request.user, manage=True), slug=values.pop("network")
        )
        org = services.organisation_create(actor=request.user, network=network, **values)
        org = self.get_queryset().get(pk=org.pk)
        return Response(OrganisationSerializer(org).data, status=status.HTTP_201_CREATED)

    def perform_update(self, serializer: Any) -> None:
        org = access.get_or_404(
            access.organisations(self.request.user, manage=True), pk=serializer.instance.pk
        )
        services.organisation_update(
            actor=self.request.user, organisation=org, **serializer.validated_data
        )


class SiteViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = SiteSerializer

    def get_queryset(self) -> QuerySet[Site]:
        return access.sites(self.request.user).order_by("organisation_id", "name")

    def perform_create(self, serializer: Any) -> None:
        data = dict(serializer.validated_data)
        org = access.get_or_404(
            access.organisations(self.request.user, manage=True), pk=data.pop("organisation").pk
        )
        data.pop("is_active", None)
        serializer.instance = services.site_create(
            actor=self.request.user, organisation=org, **data
        )

    def perform_update(self, serializer: Any) -> None:
        site = access.get_or_404(
            access.sites(self.request.user, manage=True), pk=serializer.instance.pk
        )
        data = dict(serializer.validated_data)
        if "organisation" in data and data.pop("organisation").pk != site.organisation_id:
            raise serializers.ValidationError({"organisation": "A site cannot change owner."})
        serializer.instance = services.site_update(actor=self.request.user, site=site, **data)


class ContactViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = ContactSerializer

    def get_queryset(self) -> QuerySet[Contact]:
        return access.contacts(self.request.user).order_by("organisation_id", "name")


class MembershipViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Staff roles you may see: your colleagues; all staff of networks you coordinate."""

    serializer_class = MembershipSerializer

    def get_queryset(self) -> QuerySet[Membership]:
        return access.memberships(self.request.user).select_related("user").order_by("pk")


class MeSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    email = serializers.EmailField()
    full_name = serializers.CharField()
    language = serializers.CharField()
    roles = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        help_text="Roles by organisation id.",
    )
    coordinated_networks = serializers.ListField(child=serializers.IntegerField())


@extend_schema(responses=MeSerializer)
@api_view(["GET"])
def me(request: Request) -> Response:
    """Who the token or session belongs to, and what they may act as."""
    actor = access.actor_for(request.user)
    user: Any = request.user
    return Response(
        {
            "id": user.pk,
            "email": user.email,
            "full_name": user.full_name,
            "language": user.language,
            "roles": {str(k): sorted(v) for k, v in actor.roles_by_org.items()},
            "coordinated_networks": sorted(actor.coordinated_network_ids),
        }
    )
