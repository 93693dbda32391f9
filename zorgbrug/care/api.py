"""REST API for care: capacity, vacancies, activities, care requests, proposals, bookings.

The house style of `zorgbrug.clients.api`: one view per resource, input and output
serializers per operation, every queryset from `zorgbrug.access.scoping`, every write
through `zorgbrug.care.services` (which check permission again, validate, write in one
transaction and audit). A service's ValidationError becomes a 400 with the same translated
messages as the pages; an object outside the user's scope is a 404.

Booking:
- `GET /care-requests/{id}/proposals/` ranks the options and gives each an opaque `key`: the
  option's plan (which site on which date and day-part), signed so that it cannot be forged
  and expiring after a day. Booking it needs no new search.
- `POST /care-requests/{id}/book/` with `{"option": key}` books the whole plan, all or
  nothing. A place taken meanwhile is a 409 (`no_longer_available`); lock contention a 503
  (`busy`) with `Retry-After: 1`.
- An `Idempotency-Key` header makes the call safe to retry: the first call claims the key
  with an INSERT that the unique constraint on (user, key) decides, books, and stores its
  answer in the same transaction as the bookings. A retry with the same key and body gets
  the stored answer (header `Idempotent-Replayed: true`) and books nothing; a call that
  arrives while the first is still running waits for it (at most
  `IDEMPOTENCY_WAIT_SECONDS`, then 409 `in_progress`); the same key with another body is a
  422. Transient failures (busy, server errors) store nothing, so the key can be retried.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.core import signing
from django.core.exceptions import PermissionDenied
from django.core.serializers.json import DjangoJSONEncoder
from django.db import DatabaseError, IntegrityError, OperationalError, connection, transaction
from django.db.models import QuerySet
from django.http import Http404, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
)
from rest_framework import exceptions, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from zorgbrug.access import scoping as access
from zorgbrug.care import direct, feeds, selectors, services
from zorgbrug.care.models import Activity as ActivityModel
from zorgbrug.care.models import (
    ActivityKind,
    AgeBand,
    Booking,
    BookingStatus,
    CalendarFeed,
    CapacitySlot,
    CareRequest,
    CareSite,
    Closure,
    DayPart,
    IdempotencyRecord,
    Preference,
    RequestStatus,
    ReservedCapacity,
    Urgency,
    Vacancy,
    Weekday,
)
from zorgbrug.clients import selectors as client_selectors
from zorgbrug.clients.api import _acting_organisation
from zorgbrug.core.api import ErrorOutput, Pagination, RefOutput, validated
from zorgbrug.core.db import fetch_prepared

TAGS = ["care"]

# An option key stays bookable for a day; the booking re-checks every place anyway.
OPTION_MAX_AGE = timedelta(days=1)
OPTION_SALT = "zorgbrug.care.option"
IDEMPOTENCY_HEADER = "Idempotency-Key"
# The same header as WSGI names it: read from META, `request.headers` builds a dict of
# every header on first use, which the booking's hot path does not otherwise need.
IDEMPOTENCY_META = "HTTP_" + IDEMPOTENCY_HEADER.upper().replace("-", "_")
# How long a call waits for its twin (same user, key and body) to finish before 409.
IDEMPOTENCY_WAIT_SECONDS = 10.0
MAX_CAPACITY_DAYS = 92


# --- Enums with their own schema names --------------------------------------------------
# Left to drf-spectacular, fields named "kind" or "status" would share (and rename) the
# existing KindEnum/StatusEnum components of the network and client APIs.


@extend_schema_field(
    {"type": "string", "enum": list(DayPart.values), "description": "`am` or `pm`"},
    component_name="DayPartEnum",
)
class DayPartField(serializers.ChoiceField):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(choices=DayPart.choices, **kwargs)


@extend_schema_field(
    {"type": "string", "enum": list(ActivityKind.values)}, component_name="ActivityKindEnum"
)
class ActivityKindField(serializers.ChoiceField):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(choices=ActivityKind.choices, **kwargs)


@extend_schema_field(
    {"type": "string", "enum": list(RequestStatus.values)}, component_name="RequestStatusEnum"
)
class RequestStatusField(serializers.ChoiceField):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(choices=RequestStatus.choices, **kwargs)


@extend_schema_field(
    {"type": "string", "enum": list(BookingStatus.values)}, component_name="BookingStatusEnum"
)
class BookingStatusField(serializers.ChoiceField):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(choices=BookingStatus.choices, **kwargs)


@extend_schema_field(
    {
        "type": "string",
        "enum": [BookingStatus.ATTENDED, BookingStatus.ABSENT, BookingStatus.NO_SHOW],
    },
    component_name="AttendanceStatusEnum",
)
class AttendanceStatusField(serializers.ChoiceField):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(
            choices=[
                (s.value, s.label)
                for s in (BookingStatus.ATTENDED, BookingStatus.ABSENT, BookingStatus.NO_SHOW)
            ],
            **kwargs,
        )


@extend_schema_field(
    {"type": "integer", "enum": list(Weekday.values), "description": "0 = Monday"},
    component_name="WeekdayEnum",
)
class WeekdayField(serializers.ChoiceField):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(choices=Weekday.choices, **kwargs)


@extend_schema_field({"type": "string", "enum": list(Urgency.values)}, component_name="UrgencyEnum")
class UrgencyField(serializers.ChoiceField):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(choices=Urgency.choices, **kwargs)


@extend_schema_field(
    {"type": "string", "enum": list(Preference.values)}, component_name="PreferenceEnum"
)
class PreferenceField(serializers.ChoiceField):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(choices=Preference.choices, **kwargs)


# --- Shared output pieces ---------------------------------------------------------------


class PersonRefOutput(serializers.Serializer):
    id = serializers.IntegerField()
    first_name = serializers.CharField()


class NeedOutput(serializers.Serializer):
    date = serializers.DateField()
    day_part = DayPartField()


def _query(serializer_class: type[serializers.Serializer], request: Request) -> dict[str, Any]:
    return validated(serializer_class, request.query_params)


# --- Age bands --------------------------------------------------------------------------


class AgeBandOutput(serializers.ModelSerializer):
    network = serializers.IntegerField(source="network_id")

    class Meta:
        model = AgeBand
        fields = ["id", "network", "name", "min_months", "max_months"]
        read_only_fields = fields


class AgeBandListApi(APIView):
    @extend_schema(
        operation_id="age_bands_list",
        tags=TAGS,
        responses={200: AgeBandOutput(many=True)},
        description="The age bands of the networks you take part in (ages in months).",
    )
    def get(self, request: Request) -> Response:
        bands = AgeBand.objects.filter(
            network__in=access.networks(request.user).values("pk")
        ).order_by("network_id", "min_months")
        return Response(AgeBandOutput(bands, many=True).data)


# --- Care sites ---------------------------------------------------------------------------


class OpeningHoursOutput(serializers.Serializer):
    weekday = WeekdayField()
    opens = serializers.TimeField()
    closes = serializers.TimeField()


class CareSiteOutput(serializers.ModelSerializer):
    name = serializers.CharField(source="site.name")
    organisation = RefOutput(source="site.organisation")
    street = serializers.CharField(source="site.street")
    postcode = serializers.CharField(source="site.postcode")
    municipality = serializers.CharField(source="site.municipality")
    latitude = serializers.DecimalField(
        source="site.latitude", max_digits=9, decimal_places=6, allow_null=True
    )
    longitude = serializers.DecimalField(
        source="site.longitude", max_digits=9, decimal_places=6, allow_null=True
    )
    phone = serializers.CharField(source="site.phone")
    network = serializers.IntegerField(source="network_id")
    age_bands: serializers.PrimaryKeyRelatedField[AgeBand] = serializers.PrimaryKeyRelatedField(
        many=True, read_only=True
    )
    opening_hours = OpeningHoursOutput(many=True)
    can_manage = serializers.SerializerMethodField()

    class Meta:
        model = CareSite
        fields = [
            "id",
            "name",
            "organisation",
            "network",
            "street",
            "postcode",
            "municipality",
            "latitude",
            "longitude",
            "phone",
            "age_bands",
            "opening_hours",
            "languages",
            "wheelchair_accessible",
            "meals",
            "notes",
            "needs_confirmation",
            "is_active",
            "can_manage",
        ]
        read_only_fields = fields

    @extend_schema_field(OpenApiTypes.BOOL)
    def get_can_manage(self, care_site: CareSite) -> bool:
        return care_site.pk in self.context.get("managed", frozenset())


def _care_sites(request: Request) -> QuerySet[CareSite]:
    return (
        access.care_sites(request.user)
        .select_related("site__organisation")
        .prefetch_related("age_bands", "opening_hours")
        .order_by("site__name", "pk")
    )


def _managed_ids(request: Request) -> frozenset[int]:
    return frozenset(access.care_sites(request.user, manage=True).values_list("pk", flat=True))


def _care_site(request: Request, pk: int) -> CareSite:
    """A site the user may see (everyone in its network may); writes check `manage`."""
    return access.get_or_404(access.care_sites(request.user).select_related("site"), pk=pk)


class CareSiteListApi(APIView):
    pagination_class = Pagination

    @extend_schema(
        operation_id="care_sites_list",
        tags=TAGS,
        responses={200: CareSiteOutput(many=True)},
        description=(
            "The bookable sites of your networks, with their age bands, opening hours and "
            "languages. `can_manage` is true for the sites whose capacity you manage."
        ),
    )
    def get(self, request: Request) -> Response:
        paginator = Pagination()
        page = paginator.paginate_queryset(_care_sites(request), request, view=self)
        data = CareSiteOutput(page, many=True, context={"managed": _managed_ids(request)}).data
        return paginator.get_paginated_response(data)


class CareSiteDetailApi(APIView):
    @extend_schema(
        operation_id="care_sites_retrieve",
        tags=TAGS,
        responses={200: CareSiteOutput, 404: ErrorOutput},
    )
    def get(self, request: Request, pk: int) -> Response:
        care_site = access.get_or_404(_care_sites(request), pk=pk)
        return Response(CareSiteOutput(care_site, context={"managed": _managed_ids(request)}).data)


class DateRangeQuery(serializers.Serializer):
    date_from = serializers.DateField(required=False, help_text="Default: today.")
    date_until = serializers.DateField(required=False, help_text="Default: two weeks ahead.")
    free_only = serializers.BooleanField(required=False, default=False)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        first = attrs.get("date_from") or timezone.localdate()
        last = attrs.get("date_until") or first + dt.timedelta(days=13)
        if last < first:
            raise serializers.ValidationError(
                {"date_until": [_("The end date comes before the start date.")]}
            )
        if (last - first).days >= MAX_CAPACITY_DAYS:
            raise serializers.ValidationError(
                {
                    "date_until": [
                        _("Ask for at most %(n)s days at a time.") % {"n": MAX_CAPACITY_DAYS}
                    ]
                }
            )
        attrs["date_from"], attrs["date_until"] = first, last
        return attrs


class CapacityOutput(serializers.Serializer):
    date = serializers.DateField()
    day_part = DayPartField()
    age_band = serializers.IntegerField(source="age_band_id")
    reserved_places = serializers.IntegerField()
    vacancy_places = serializers.IntegerField()
    places = serializers.IntegerField()
    booked = serializers.IntegerField()
    free = serializers.IntegerField()


class CapacityApi(APIView):
    @extend_schema(
        operation_id="care_sites_capacity",
        tags=TAGS,
        parameters=[DateRangeQuery],
        responses={200: CapacityOutput(many=True), 400: ErrorOutput, 404: ErrorOutput},
        description=(
            "Places per date, day-part and age band: reserved for the network plus "
            "short-notice vacancies, how many are booked and how many are free. At most "
            f"{MAX_CAPACITY_DAYS} days per call."
        ),
    )
    def get(self, request: Request, pk: int) -> Response:
        care_site = _care_site(request, pk)
        query = _query(DateRangeQuery, request)
        slots = CapacitySlot.objects.filter(
            care_site=care_site, date__gte=query["date_from"], date__lte=query["date_until"]
        ).order_by("date", "day_part", "age_band_id")
        rows = [s for s in slots if s.free > 0] if query["free_only"] else list(slots)
        return Response(CapacityOutput(rows, many=True).data)


# --- Reserved places, vacancies, closures (providers and coordinators) ----------------


class ReservationOutput(serializers.ModelSerializer):
    age_band = serializers.IntegerField(source="age_band_id")
    weekday = WeekdayField()
    day_part = DayPartField()

    class Meta:
        model = ReservedCapacity
        fields = [
            "id",
            "age_band",
            "weekday",
            "day_part",
            "places",
            "valid_from",
            "valid_until",
            "price",
        ]
        read_only_fields = fields


class ReservationInput(serializers.Serializer):
    age_band = serializers.IntegerField()
    weekday = WeekdayField()
    day_part = DayPartField()
    places = serializers.IntegerField(min_value=1, max_value=500)
    valid_from = serializers.DateField()
    valid_until = serializers.DateField()
    price = serializers.DecimalField(max_digits=8, decimal_places=2, min_value=0, required=False)


class ReservationUpdateInput(ReservationInput):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs["partial"] = True
        super().__init__(*args, **kwargs)


def _age_band_of(care_site: CareSite, band_id: int) -> AgeBand:
    band = AgeBand.objects.filter(pk=band_id, network_id=care_site.network_id).first()
    if band is None:
        raise exceptions.ValidationError({"age_band": [_("Unknown age band for this network.")]})
    return band


class ReservationListApi(APIView):
    @extend_schema(
        operation_id="care_sites_reservations_list",
        tags=TAGS,
        responses={200: ReservationOutput(many=True), 404: ErrorOutput},
        description="The places the site reserves for the network every week, with prices.",
    )
    def get(self, request: Request, pk: int) -> Response:
        care_site = _care_site(request, pk)
        rows = ReservedCapacity.objects.filter(care_site=care_site).order_by(
            "weekday", "day_part", "age_band__min_months", "valid_from"
        )
        return Response(ReservationOutput(rows, many=True).data)

    @extend_schema(
        operation_id="care_sites_reservations_create",
        tags=TAGS,
        request=ReservationInput,
        responses={201: ReservationOutput, 400: ErrorOutput, 403: ErrorOutput, 404: ErrorOutput},
        description="Reserve places every week; the counters of the period follow at once.",
    )
    def post(self, request: Request, pk: int) -> Response:
        care_site = _care_site(request, pk)
        values = validated(ReservationInput, request.data)
        values["age_band"] = _age_band_of(care_site, values["age_band"])
        reservation = services.reservation_save(actor=request.user, care_site=care_site, **values)
        return Response(ReservationOutput(reservation).data, status=status.HTTP_201_CREATED)


class ReservationDetailApi(APIView):
    @extend_schema(
        operation_id="care_sites_reservations_partial_update",
        tags=TAGS,
        request=ReservationUpdateInput,
        responses={200: ReservationOutput, 400: ErrorOutput, 403: ErrorOutput, 404: ErrorOutput},
        description=(
            "Change reserved places; refused when it would leave booked children without a place."
        ),
    )
    def patch(self, request: Request, pk: int, reservation_id: int) -> Response:
        care_site = _care_site(request, pk)
        reservation = ReservedCapacity.objects.filter(
            care_site=care_site, pk=reservation_id
        ).first()
        if reservation is None:
            raise Http404
        values = validated(ReservationUpdateInput, request.data)
        if "age_band" in values:
            values["age_band"] = _age_band_of(care_site, values["age_band"])
        reservation = services.reservation_save(
            actor=request.user, care_site=care_site, reservation=reservation, **values
        )
        return Response(ReservationOutput(reservation).data)


class VacancyOutput(serializers.ModelSerializer):
    age_band = serializers.IntegerField(source="age_band_id")
    day_part = DayPartField()

    class Meta:
        model = Vacancy
        fields = [
            "id",
            "age_band",
            "date",
            "day_part",
            "places",
            "price",
            "published_at",
            "withdrawn_at",
        ]
        read_only_fields = fields


class VacancyInput(serializers.Serializer):
    age_band = serializers.IntegerField()
    date = serializers.DateField()
    day_part = DayPartField()
    places = serializers.IntegerField(min_value=1, max_value=100)
    price = serializers.DecimalField(max_digits=8, decimal_places=2, min_value=0, required=False)


class VacancyListApi(APIView):
    @extend_schema(
        operation_id="care_sites_vacancies_list",
        tags=TAGS,
        responses={200: VacancyOutput(many=True), 404: ErrorOutput},
        description="Short-notice vacancies from today on that are still published.",
    )
    def get(self, request: Request, pk: int) -> Response:
        care_site = _care_site(request, pk)
        rows = Vacancy.objects.filter(
            care_site=care_site, date__gte=timezone.localdate(), withdrawn_at__isnull=True
        ).order_by("date", "day_part", "pk")
        return Response(VacancyOutput(rows, many=True).data)

    @extend_schema(
        operation_id="care_sites_vacancies_create",
        tags=TAGS,
        request=VacancyInput,
        responses={201: VacancyOutput, 400: ErrorOutput, 403: ErrorOutput, 404: ErrorOutput},
        description=(
            "Publish extra places for one date and day-part; it expires by itself when the "
            "day-part starts, and the waiting list is served."
        ),
    )
    def post(self, request: Request, pk: int) -> Response:
        care_site = _care_site(request, pk)
        values = validated(VacancyInput, request.data)
        values["age_band"] = _age_band_of(care_site, values["age_band"])
        vacancy = services.vacancy_publish(actor=request.user, care_site=care_site, **values)
        return Response(VacancyOutput(vacancy).data, status=status.HTTP_201_CREATED)


class VacancyWithdrawApi(APIView):
    @extend_schema(
        operation_id="care_sites_vacancies_withdraw",
        tags=TAGS,
        request=None,
        responses={200: VacancyOutput, 400: ErrorOutput, 403: ErrorOutput, 404: ErrorOutput},
        description="Withdraw a vacancy; refused while children are booked on its places.",
    )
    def post(self, request: Request, pk: int, vacancy_id: int) -> Response:
        care_site = _care_site(request, pk)
        vacancy = (
            Vacancy.objects.select_related("care_site")
            .filter(care_site=care_site, pk=vacancy_id)
            .first()
        )
        if vacancy is None:
            raise Http404
        services.vacancy_withdraw(actor=request.user, vacancy=vacancy)
        return Response(VacancyOutput(vacancy).data)


class ClosureOutput(serializers.ModelSerializer):
    class Meta:
        model = Closure
        fields = ["id", "first_day", "last_day", "reason"]
        read_only_fields = fields


class ClosureInput(serializers.Serializer):
    first_day = serializers.DateField()
    last_day = serializers.DateField()
    reason = serializers.CharField(max_length=200, required=False, allow_blank=True)


class ClosureListApi(APIView):
    @extend_schema(
        operation_id="care_sites_closures_list",
        tags=TAGS,
        responses={200: ClosureOutput(many=True), 404: ErrorOutput},
        description="The site's own closure days from today on (public holidays come on top).",
    )
    def get(self, request: Request, pk: int) -> Response:
        care_site = _care_site(request, pk)
        rows = Closure.objects.filter(
            care_site=care_site, last_day__gte=timezone.localdate()
        ).order_by("first_day")
        return Response(ClosureOutput(rows, many=True).data)

    @extend_schema(
        operation_id="care_sites_closures_create",
        tags=TAGS,
        request=ClosureInput,
        responses={201: ClosureOutput, 400: ErrorOutput, 403: ErrorOutput, 404: ErrorOutput},
        description="Close the site for some days; refused while bookings fall in them.",
    )
    def post(self, request: Request, pk: int) -> Response:
        care_site = _care_site(request, pk)
        values = validated(ClosureInput, request.data)
        closure = services.closure_add(actor=request.user, care_site=care_site, **values)
        return Response(ClosureOutput(closure).data, status=status.HTTP_201_CREATED)


# --- Day list and attendance (providers) ------------------------------------------------


class DayListQuery(serializers.Serializer):
    date = serializers.DateField(required=False, help_text="Default: today.")


class DayListOutput(serializers.Serializer):
    id = serializers.IntegerField()
    date = serializers.DateField()
    day_part = DayPartField()
    status = BookingStatusField()
    first_name = serializers.CharField(source="recipient.first_name")
    birth_date = serializers.DateField(source="recipient.birth_date")
    special_needs = serializers.CharField(source="recipient.special_needs")
    allergies = serializers.CharField(source="recipient.allergies")
    pickup_persons = serializers.CharField(source="recipient.pickup_persons")
    parent_first_name = serializers.CharField(source="request.client.first_name")
    parent_phone = serializers.CharField(source="request.client.phone")
    arrived_at = serializers.TimeField(allow_null=True)
    picked_up_at = serializers.TimeField(allow_null=True)
    picked_up_by = serializers.CharField()


class DayListApi(APIView):
    @extend_schema(
        operation_id="care_sites_day_list",
        tags=TAGS,
        parameters=[DayListQuery],
        responses={200: DayListOutput(many=True), 403: ErrorOutput, 404: ErrorOutput},
        description=(
            "The children expected on a day, with only what the staff need at the door. "
            "For the site's own staff and the network's coordinators."
        ),
    )
    def get(self, request: Request, pk: int) -> Response:
        care_site = _care_site(request, pk)
        if not access.care_sites(request.user, manage=True).filter(pk=care_site.pk).exists():
            raise exceptions.PermissionDenied
        day = _query(DayListQuery, request).get("date") or timezone.localdate()
        rows = selectors.day_list(user=request.user, care_site=care_site, day=day)
        return Response(DayListOutput(rows, many=True).data)


class AttendanceInput(serializers.Serializer):
    status = AttendanceStatusField()
    arrived_at = serializers.TimeField(required=False, allow_null=True)
    picked_up_at = serializers.TimeField(required=False, allow_null=True)
    picked_up_by = serializers.CharField(max_length=200, required=False, allow_blank=True)


class BookingOutput(serializers.Serializer):
    """The shape of a booking in answers (built by `booking_rows`)."""

    id = serializers.IntegerField()
    request = serializers.IntegerField()
    recipient = PersonRefOutput()
    care_site = RefOutput()
    date = serializers.DateField()
    day_part = DayPartField()
    status = BookingStatusField()
    uses_vacancy = serializers.BooleanField()
    cancelled_at = serializers.DateTimeField(allow_null=True)
    arrived_at = serializers.TimeField(allow_null=True)
    picked_up_at = serializers.TimeField(allow_null=True)
    picked_up_by = serializers.CharField(allow_blank=True)


_DATETIME = serializers.DateTimeField()
_TIME = serializers.TimeField()


def _time(value: dt.time | None) -> str | None:
    return _TIME.to_representation(value) if value is not None else None


def booking_rows(bookings: list[Booking]) -> list[dict[str, Any]]:
    """Bookings as `BookingOutput` shows them, built directly: this is on the booking path,
    where a nested serializer per booking costs more than the rest of the answer.

    The site's name comes from the booking's site when it is at hand (fresh from
    booking_create), else from one query for all of them.
    """
    if all(Booking.care_site.is_cached(b) for b in bookings):
        names = {b.care_site_id: b.care_site.site.name for b in bookings}
    else:
        ids = {b.care_site_id for b in bookings}
        names = (
            dict(CareSite.objects.filter(pk__in=ids).values_list("pk", "site__name")) if ids else {}
        )
    return [
        {
            "id": b.pk,
            "request": b.request_id,
            "recipient": {"id": b.recipient.pk, "first_name": b.recipient.first_name},
            "care_site": {"id": b.care_site_id, "name": names.get(b.care_site_id, "")},
            "date": b.date.isoformat(),
            "day_part": b.day_part,
            "status": b.status,
            "uses_vacancy": b.uses_vacancy,
            "cancelled_at": (
                _DATETIME.to_representation(b.cancelled_at) if b.cancelled_at else None
            ),
            "arrived_at": _time(b.arrived_at),
            "picked_up_at": _time(b.picked_up_at),
            "picked_up_by": b.picked_up_by,
        }
        for b in bookings
    ]


class AttendanceApi(APIView):
    @extend_schema(
        operation_id="bookings_attendance",
        tags=TAGS,
        request=AttendanceInput,
        responses={200: BookingOutput, 400: ErrorOutput, 403: ErrorOutput, 404: ErrorOutput},
        description=(
            "Register attendance (attended with arrival and pick-up, absent or no-show) on "
            "the day itself. For the site's staff."
        ),
    )
    def post(self, request: Request, pk: int) -> Response:
        booking = access.get_or_404(
            access.site_bookings(request.user).select_related("care_site", "recipient"), pk=pk
        )
        values = validated(AttendanceInput, request.data)
        values["picked_up_by"] = values.get("picked_up_by") or ""
        booking = services.attendance_register(actor=request.user, booking=booking, **values)
        return Response(booking_rows([booking])[0])


# --- Activities -------------------------------------------------------------------------


class ActivityOutput(serializers.ModelSerializer):
    client = serializers.IntegerField(source="client_id")
    organisation = serializers.IntegerField(source="organisation_id")
    kind = ActivityKindField()

    class Meta:
        model = ActivityModel
        fields = [
            "id",
            "client",
            "organisation",
            "kind",
            "title",
            "location",
            "postcode",
            "first_date",
            "last_date",
            "recurrence",
            "start_time",
            "end_time",
            "travel_minutes",
            "created_at",
        ]
        read_only_fields = fields


class ActivityInput(serializers.Serializer):
    client = serializers.IntegerField()
    organisation = serializers.IntegerField(
        required=False,
        help_text="The organisation you act for; needed only when you refer for several.",
    )
    kind = ActivityKindField()
    title = serializers.CharField(max_length=200)
    location = serializers.CharField(max_length=200, required=False, allow_blank=True)
    postcode = serializers.CharField(
        max_length=4, required=False, allow_blank=True, help_text="Belgian postcode."
    )
    first_date = serializers.DateField()
    last_date = serializers.DateField(required=False, allow_null=True)
    recurrence = serializers.CharField(
        max_length=300,
        required=False,
        allow_blank=True,
        help_text="RFC 5545 rule, e.g. FREQ=WEEKLY;BYDAY=MO,TH. Public holidays are skipped.",
    )
    start_time = serializers.TimeField()
    end_time = serializers.TimeField()
    travel_minutes = serializers.IntegerField(min_value=0, max_value=240, required=False)


class ActivityListQuery(serializers.Serializer):
    client = serializers.IntegerField(required=False)


def _client_in_body(request: Request, client_id: int) -> Any:
    """A client named in a request body; out of scope is a field error (and audited)."""
    try:
        return client_selectors.client_for_view(user=request.user, pk=client_id)
    except Http404:
        raise exceptions.ValidationError({"client": [_("Unknown client.")]}) from None


class ActivityListApi(APIView):
    pagination_class = Pagination

    @extend_schema(
        operation_id="activities_list",
        tags=TAGS,
        parameters=[ActivityListQuery],
        responses={200: ActivityOutput(many=True)},
        description="Activities of the clients you follow, newest first.",
    )
    def get(self, request: Request) -> Response:
        query = _query(ActivityListQuery, request)
        rows = ActivityModel.objects.filter(
            client__in=access.clients(request.user).values("pk")
        ).order_by("-first_date", "-pk")
        if query.get("client"):
            rows = rows.filter(client_id=query["client"])
        paginator = Pagination()
        page = paginator.paginate_queryset(rows, request, view=self)
        return paginator.get_paginated_response(ActivityOutput(page, many=True).data)

    @extend_schema(
        operation_id="activities_create",
        tags=TAGS,
        request=ActivityInput,
        responses={201: ActivityOutput, 400: ErrorOutput, 403: ErrorOutput},
        description=(
            "What care is needed for: a course, an interview, the first weeks of a job… "
            "One-off or repeating; care cannot be asked for the past."
        ),
    )
    def post(self, request: Request) -> Response:
        values = validated(ActivityInput, request.data)
        organisation = _acting_organisation(request.user, values.pop("organisation", None))
        client = _client_in_body(request, values.pop("client"))
        fields = {k: v for k, v in values.items() if v is not None or k == "last_date"}
        for text in ("location", "postcode", "recurrence"):
            fields.setdefault(text, "")
        activity = services.activity_create(
            actor=request.user, client=client, organisation=organisation, **fields
        )
        return Response(ActivityOutput(activity).data, status=status.HTTP_201_CREATED)


# --- Care requests --------------------------------------------------------------------


class CareRequestOutput(serializers.Serializer):
    id = serializers.IntegerField()
    reference = serializers.UUIDField()
    client = serializers.IntegerField(source="client_id")
    activity = serializers.SerializerMethodField()
    recipients = PersonRefOutput(many=True, source="recipients.all")
    needs = NeedOutput(many=True, source="needs.all")
    urgency = UrgencyField()
    preference = PreferenceField()
    language = serializers.CharField()
    status = RequestStatusField()
    status_reason = serializers.CharField()
    organisation = serializers.IntegerField(source="organisation_id")
    created_at = serializers.DateTimeField()

    @extend_schema_field(ActivityOutput(allow_null=True))
    def get_activity(self, care_request: CareRequest) -> Any:
        # Providers see the requests booked at their sites, but not what the parent does.
        if care_request.client_id not in self.context["client_ids"]:
            return None
        return ActivityOutput(care_request.activity).data


class CareRequestInput(serializers.Serializer):
    activity = serializers.IntegerField()
    recipients = serializers.ListField(child=serializers.IntegerField(), allow_empty=False)
    urgency = UrgencyField(required=False)
    preference = PreferenceField(required=False)
    language = serializers.CharField(max_length=2, required=False, allow_blank=True)


class CareRequestListQuery(serializers.Serializer):
    client = serializers.IntegerField(required=False)
    status = RequestStatusField(required=False)


def _requests(request: Request) -> QuerySet[CareRequest]:
    return (
        access.care_requests(request.user)
        .select_related("activity")
        .prefetch_related("recipients", "needs")
    )


def _visible_client_ids(request: Request, requests: list[CareRequest]) -> frozenset[int]:
    ids = {r.client_id for r in requests}
    return frozenset(access.clients(request.user).filter(pk__in=ids).values_list("pk", flat=True))


def _request_output(request: Request, care_request: CareRequest) -> Any:
    care_request = _requests(request).get(pk=care_request.pk)
    context = {"client_ids": _visible_client_ids(request, [care_request])}
    return CareRequestOutput(care_request, context=context).data


def _referred_request(request: Request, pk: int) -> CareRequest:
    """A request of a client the user follows (search, book, cancel); providers who see it
    through its bookings get a 404, as anyone else."""
    return access.get_or_404(access.bookable_care_requests(request.user), pk=pk)


class CareRequestListApi(APIView):
    pagination_class = Pagination

    @extend_schema(
        operation_id="care_requests_list",
        tags=TAGS,
        parameters=[CareRequestListQuery],
        responses={200: CareRequestOutput(many=True)},
        description=(
            "Requests of the clients you follow; for providers, the requests booked or asked "
            "at their sites (without the parent's activity)."
        ),
    )
    def get(self, request: Request) -> Response:
        query = _query(CareRequestListQuery, request)
        rows = _requests(request).order_by("-created_at", "-pk")
        if query.get("client"):
            rows = rows.filter(client_id=query["client"])
        if query.get("status"):
            rows = rows.filter(status=query["status"])
        paginator = Pagination()
        page = list(paginator.paginate_queryset(rows, request, view=self) or [])
        context = {"client_ids": _visible_client_ids(request, page)}
        return paginator.get_paginated_response(
            CareRequestOutput(page, many=True, context=context).data
        )

    @extend_schema(
        operation_id="care_requests_create",
        tags=TAGS,
        request=CareRequestInput,
        responses={201: CareRequestOutput, 400: ErrorOutput, 403: ErrorOutput},
        description=(
            "Ask care for some of a client's children during an activity: the dates and "
            "day-parts needed follow from the activity (travel time included)."
        ),
    )
    def post(self, request: Request) -> Response:
        values = validated(CareRequestInput, request.data)
        activity = (
            ActivityModel.objects.filter(client__in=access.clients(request.user).values("pk"))
            .select_related("client")
            .filter(pk=values.pop("activity"))
            .first()
        )
        if activity is None:
            raise exceptions.ValidationError({"activity": [_("Unknown activity.")]})
        ids = set(values.pop("recipients"))
        recipients = list(
            access.care_recipients(request.user).filter(client=activity.client, pk__in=ids)
        )
        if len(recipients) != len(ids):
            raise exceptions.ValidationError(
                {"recipients": [_("A chosen person does not belong to this client.")]}
            )
        care_request = services.care_request_create(
            actor=request.user, activity=activity, recipients=recipients, **values
        )
        return Response(_request_output(request, care_request), status=status.HTTP_201_CREATED)


class CareRequestDetailApi(APIView):
    @extend_schema(
        operation_id="care_requests_retrieve",
        tags=TAGS,
        responses={200: CareRequestOutput, 404: ErrorOutput},
    )
    def get(self, request: Request, pk: int) -> Response:
        care_request = access.get_or_404(_requests(request), pk=pk)
        context = {"client_ids": _visible_client_ids(request, [care_request])}
        return Response(CareRequestOutput(care_request, context=context).data)


# --- Proposals and their option keys ----------------------------------------------------


def option_key(
    care_request: CareRequest,
    option: selectors.Option,
    facts: services.BookingFacts | None = None,
) -> str:
    """The option's plan, signed: whoever holds it can book exactly this plan, nothing else.

    It also carries what the booking API's one statement needs (`care.direct`): the
    children's ids, the age band each takes on each day-part, and a keyed digest of the
    facts those were worked out from (`BookingFacts`, read now when not given) — no
    names, no birth dates.
    """
    if facts is None:
        facts = services.booking_facts(care_request)
    sites = [s.pk for s in option.sites]
    index = {site_id: i for i, site_id in enumerate(sites)}
    needs = sorted(option.plan)
    first = needs[0][0].toordinal() if needs else 0
    plan = [[d.toordinal() - first, part, index[option.plan[(d, part)]]] for d, part in needs]
    payload: dict[str, Any] = {"r": care_request.pk, "s": sites, "d": first, "p": plan}
    rows = facts.rows(option.plan)
    if rows is not None:
        payload["k"] = [pk for pk, _birth in facts.recipients]
        payload["a"] = [row[4] for row in rows]
        payload["h"] = facts.digest()
    return signing.dumps(payload, salt=OPTION_SALT, compress=True)


def _option_payload(request_id: int, key: str) -> dict[str, Any]:
    try:
        payload = signing.loads(key, salt=OPTION_SALT, max_age=OPTION_MAX_AGE)
    except signing.SignatureExpired:
        raise exceptions.ValidationError(
            {"option": [_("This proposal has expired. Ask for proposals again.")]}
        ) from None
    except signing.BadSignature:
        raise exceptions.ValidationError(
            {"option": [_("This is not a proposal for this request.")]}
        ) from None
    if not isinstance(payload, dict) or payload.get("r") != request_id:
        raise exceptions.ValidationError(
            {"option": [_("This is not a proposal for this request.")]}
        )
    return payload


def _plan(payload: dict[str, Any]) -> services.Plan:
    sites, first = payload["s"], payload["d"]
    return {
        (dt.date.fromordinal(first + offset), part): sites[i] for offset, part, i in payload["p"]
    }


def plan_from_key(care_request: CareRequest, key: str) -> services.Plan:
    """The plan an option key stands for; a forged, stale or foreign key is a 400."""
    return _plan(_option_payload(care_request.pk, key))


def prepared_from_key(request_id: int, key: str) -> direct.Prepared | None:
    """The bookings an option key stands for, as the one statement books them; None when
    the key carries no such part (made before keys did) or is not a valid key for this
    request (the full path says why)."""
    try:
        payload = _option_payload(request_id, key)
        plan = _plan(payload)
        children, bands, digest = payload["k"], payload["a"], payload["h"]
        needs = sorted(plan)
        if len(bands) != len(needs) * len(children) or not isinstance(digest, str):
            return None
        rows = [
            (int(child), plan[need], need[0], need[1], int(bands[i * len(children) + j]))
            for i, need in enumerate(needs)
            for j, child in enumerate(children)
        ]
        return direct.Prepared(rows=rows, digest=digest)
    except (exceptions.ValidationError, ValueError, TypeError, KeyError, IndexError):
        return None


class OptionOutput(serializers.Serializer):
    key = serializers.CharField(help_text="Send it to the book endpoint to book this option.")
    rank = serializers.IntegerField()
    sites = RefOutput(many=True)
    split = serializers.BooleanField(help_text="True when two sites share the day-parts.")
    distance_km = serializers.FloatField(allow_null=True)
    language_match = serializers.BooleanField()
    reasons = serializers.ListField(child=serializers.CharField())
    plan = serializers.ListField(
        child=serializers.DictField(), help_text="[{date, day_part, care_site}]"
    )


class ProposalOutput(serializers.Serializer):
    request = serializers.IntegerField()
    needs = NeedOutput(many=True)
    options = OptionOutput(many=True)
    why_none = serializers.ListField(
        child=serializers.CharField(), help_text="Why no site can take the request, if none can."
    )


class ProposalApi(APIView):
    @extend_schema(
        operation_id="care_requests_proposals",
        tags=TAGS,
        responses={200: ProposalOutput, 404: ErrorOutput},
        description=(
            "Ranked ways to place the whole request (one site, or the best split over two), "
            "each with a `key` to book it; when there is none, `why_none` says why."
        ),
    )
    def get(self, request: Request, pk: int) -> Response:
        # The selector reads the request afresh: here only whether the user may see it.
        if not access.bookable_care_requests(request.user).filter(pk=pk).exists():
            raise Http404
        care_request = CareRequest(pk=pk)
        proposal = selectors.options_for_request(care_request)
        options = [
            {
                "key": option_key(care_request, option, proposal.facts),
                "rank": rank,
                "sites": [{"id": s.pk, "name": s.site.name} for s in option.sites],
                "split": option.split,
                "distance_km": (
                    round(option.distance_km, 1) if option.distance_km is not None else None
                ),
                "language_match": option.language_match,
                "reasons": [str(r) for r in option.reasons],
                "plan": [
                    {"date": d.isoformat(), "day_part": part, "care_site": option.plan[(d, part)]}
                    for d, part in sorted(option.plan)
                ],
            }
            for rank, option in enumerate(proposal.options, start=1)
        ]
        # Plain data in the shape of ProposalOutput (a serializer pass would only copy it).
        data = {
            "request": care_request.pk,
            "needs": [{"date": d.isoformat(), "day_part": p} for d, p in proposal.needs],
            "options": options,
            "why_none": [str(r) for r in proposal.why_none],
        }
        return Response(data)


# --- Booking, with Idempotency-Key --------------------------------------------------------


class BookInput(serializers.Serializer):
    option = serializers.CharField(max_length=4000, help_text="An option key from proposals.")


class BookOutput(serializers.Serializer):
    request = serializers.IntegerField()
    status = RequestStatusField()
    bookings = BookingOutput(many=True)


def _error(detail: str, code: str, status_code: int, **headers: str) -> Response:
    return Response({"detail": detail, "code": code}, status=status_code, headers=headers)


def _busy() -> Response:
    return _error(
        _("Someone else is booking these places right now. Try again in a moment."),
        "busy",
        status.HTTP_503_SERVICE_UNAVAILABLE,
        **{"Retry-After": "1"},
    )


def _fingerprint(request: Request, data: Any = None) -> str:
    """What the Idempotency-Key stands for: the method, the path and the parsed body
    (`data`, when the caller parsed it already)."""
    if data is None:
        data = request.data
    if hasattr(data, "lists"):  # a form-encoded QueryDict
        data = dict(data.lists())
    body = json.dumps(data, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(f"{request.method} {request.path}\n{body}".encode()).hexdigest()


def _replay(record: IdempotencyRecord) -> Response:
    return Response(record.body, status=record.status_code, headers={"Idempotent-Replayed": "true"})


class _Discard(Exception):
    """Roll the whole transaction back (the claim included) and answer with `response`."""

    def __init__(self, response: Response) -> None:
        super().__init__()
        self.response = response


def _in_progress() -> Response:
    return _error(
        _("The same request is still being processed. Try again in a moment."),
        "in_progress",
        status.HTTP_409_CONFLICT,
        **{"Retry-After": "1"},
    )


def _is_lock_timeout(exc: BaseException) -> bool:
    text = str(exc).lower()
    return "lock timeout" in text or "could not obtain lock" in text


def _claim(user_id: int, key: str, fingerprint: str) -> int | None:
    """INSERT the claim unless the key exists: the unique constraint on (user, key) decides.

    A twin call still in its transaction makes this INSERT wait until it commits (then
    nothing is inserted and its stored answer is read) or rolls back (then the claim is
    ours) — bounded by the lock timeout, set by the same statement on PostgreSQL (the
    INSERT reads its row from the `wait` that sets it, so the timeout is in force before
    the INSERT can wait).
    """
    table = connection.ops.quote_name(IdempotencyRecord._meta.db_table)
    columns = '("user_id", "key", "fingerprint", "status_code", "body", "created_at")'
    conflict = 'ON CONFLICT ("user_id", "key") DO NOTHING RETURNING "id"'
    params: list[Any] = [user_id, key, fingerprint, timezone.now()]
    if connection.vendor == "postgresql":
        wait_ms = str(int(IDEMPOTENCY_WAIT_SECONDS * 1000))
        # The table is ours, values are bound.
        sql = (
            "WITH wait AS (SELECT set_config('lock_timeout', %s, true)) "  # noqa: S608
            f"INSERT INTO {table} {columns} "
            f"SELECT %s, %s, %s, NULL, '{{}}', %s FROM wait {conflict}"
        )
        rows = fetch_prepared(sql, [wait_ms, *params])
        return int(rows[0][0]) if rows else None
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} {columns} VALUES (%s, %s, %s, NULL, '{{}}', %s) {conflict}",  # noqa: S608
            params,
        )
        row = cursor.fetchone()
    return int(row[0]) if row else None


def _store_answer(record_id: int, response: Response) -> None:
    """Keep the answer with its key (one plain UPDATE: this is on every booking call)."""
    table = connection.ops.quote_name(IdempotencyRecord._meta.db_table)
    body = json.dumps(response.data, cls=DjangoJSONEncoder)
    sql = f'UPDATE {table} SET "status_code" = %s, "body" = %s WHERE "id" = %s'  # noqa: S608
    params: list[Any] = [response.status_code, body, record_id]
    if connection.vendor == "postgresql":
        fetch_prepared(sql.replace('"body" = %s', '"body" = %s::jsonb'), params)
        return
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def _idempotent(view: APIView, request: Request, call: Callable[[], Response]) -> Response:
    """Run `call` at most once per Idempotency-Key (when the header is there).

    One transaction: claim the key, run the call, store its answer. A crash or a transient
    failure (5xx, e.g. busy) rolls the claim back with everything else, so that a retry
    really retries; a stored answer is never half a booking.
    """
    try:
        return _idempotent_call(view, request, call)
    except IntegrityError as exc:
        # The whole transaction, claim included, rolled back; a retry gets a fresh answer.
        if services.is_child_already_placed(exc):
            # A child already holds a place then, through another request (maybe booked
            # by a concurrent call a moment ago).
            return _error(
                str(services.CHILD_ALREADY_PLACED), "child_already_placed", status.HTTP_409_CONFLICT
            )
        return _error(
            _("This request was booked at the same moment by another call."),
            "conflict",
            status.HTTP_409_CONFLICT,
        )


def _idempotent_call(view: APIView, request: Request, call: Callable[[], Response]) -> Response:
    key = request.META.get(IDEMPOTENCY_META, "").strip()
    if not key:
        with transaction.atomic():  # as with a key: a database error undoes all of it
            return call()
    if len(key) > 200:
        return _error(
            _("The Idempotency-Key is too long (at most 200 characters)."),
            "invalid",
            status.HTTP_400_BAD_REQUEST,
        )
    fingerprint = _fingerprint(request)
    user: Any = request.user
    try:
        with transaction.atomic():
            claimed = _claim(user.pk, key, fingerprint)
            if claimed is None:
                existing = (
                    IdempotencyRecord.objects.select_for_update().filter(user=user, key=key).first()
                )
                if existing is None:  # cannot happen: the conflict row is committed
                    return _in_progress()
                if existing.fingerprint != fingerprint:
                    return _error(
                        _("This Idempotency-Key was used for another request. Use a new key."),
                        "idempotency_key_reused",
                        status.HTTP_422_UNPROCESSABLE_ENTITY,
                    )
                if existing.status_code is not None:
                    return _replay(existing)
                # A claim stored without an answer (not by this code): nothing was done for
                # it, so it is ours now (the row lock keeps a third call out).
                claimed = existing.pk
            try:
                response = call()
            except DatabaseError:
                raise  # the transaction is broken: roll it all back
            except Exception as exc:  # the answer to store: 400, 403, 404, 409…
                response = view.handle_exception(exc)
            if response.status_code >= 500:
                raise _Discard(response)
            _store_answer(claimed, response)
            return response
    except _Discard as discard:
        return discard.response
    except OperationalError as exc:
        if _is_lock_timeout(exc):
            return _in_progress()
        raise


def _book_direct(request: Request, pk: int) -> HttpResponse | None:
    """The common cases in one statement (`care.direct`): booked, or a place just taken.
    None when that path cannot answer: then nothing was written and the full path runs."""
    if not direct.available() or request.content_type.split(";")[0].strip() != "application/json":
        return None
    try:
        # The body as DRF's JSON parser reads it, without its content negotiation.
        data = json.loads(request.body)
    except ValueError:
        return None  # the full path says what is wrong
    option = data.get("option") if isinstance(data, dict) else None
    key = request.META.get(IDEMPOTENCY_META, "").strip()
    if not isinstance(option, str) or len(option) > 4000 or len(key) > 200:
        return None
    prepared = prepared_from_key(pk, option)
    if prepared is None:
        return None
    fingerprint = _fingerprint(request, data) if key else ""
    outcome = direct.book(
        actor=request.user,
        request_id=pk,
        prepared=prepared,
        key=key or None,
        fingerprint=fingerprint,
    )
    if isinstance(outcome, direct.Booked):
        if request.accepted_renderer.format == "json":  # sent as the statement wrote it
            return HttpResponse(
                outcome.answer, status=status.HTTP_201_CREATED, content_type="application/json"
            )
        return Response(json.loads(outcome.answer), status=status.HTTP_201_CREATED)
    if outcome is None:
        return None
    return Response(outcome.answer, status=status.HTTP_409_CONFLICT)


class BookApi(APIView):
    @extend_schema(
        operation_id="care_requests_book",
        tags=TAGS,
        request=BookInput,
        parameters=[
            OpenApiParameter(
                IDEMPOTENCY_HEADER,
                OpenApiTypes.STR,
                OpenApiParameter.HEADER,
                required=False,
                description=(
                    "A unique key per booking attempt (e.g. a UUID). A retry with the same "
                    "key and body returns the first answer and never books twice."
                ),
            )
        ],
        responses={
            201: BookOutput,
            400: ErrorOutput,
            404: ErrorOutput,
            409: OpenApiResponse(
                ErrorOutput,
                description="`no_longer_available`: a place was taken meanwhile, search "
                "again; `child_already_placed`: a child already has care at one of these "
                "day-parts through another request; `in_progress`: the same Idempotency-Key "
                "is still being processed.",
            ),
            422: OpenApiResponse(
                ErrorOutput, description="The Idempotency-Key was used with another body."
            ),
            503: OpenApiResponse(
                ErrorOutput, description="`busy`: try again after Retry-After seconds."
            ),
        },
        description=(
            "Book an option of the proposals: every day-part for every child, or nothing. "
            "Free reserved places are confirmed at once; a site that confirms each booking "
            "gets it as pending."
        ),
    )
    def post(self, request: Request, pk: int) -> HttpResponse:
        answer = _book_direct(request, pk)
        if answer is not None:
            return answer
        return _idempotent(self, request, lambda: self._book(request, pk))

    @staticmethod
    def _book(request: Request, pk: int) -> Response:
        care_request = CareRequest(pk=pk)
        values = validated(BookInput, request.data)
        plan = plan_from_key(care_request, values["option"])
        try:
            # booking_create reads the request within the user's scope (the requests of
            # the clients they follow) in the same query as its needs and children.
            # No savepoint: _idempotent rolls the whole transaction back on a database error.
            bookings = services.booking_create(
                actor=request.user, request=care_request, plan=plan, savepoint=False
            )
        except PermissionDenied:
            raise Http404 from None
        except services.NoLongerAvailable as exc:
            return _error(exc.messages[0], "no_longer_available", status.HTTP_409_CONFLICT)
        except services.Busy:
            return _busy()
        request_status = (
            RequestStatus.WAITING_PROVIDER
            if any(b.status == BookingStatus.PENDING for b in bookings)
            else RequestStatus.BOOKED
        )
        data = {
            "request": care_request.pk,
            "status": str(request_status),
            "bookings": booking_rows(bookings),
        }
        return Response(data, status=status.HTTP_201_CREATED)


class RequestBookingsApi(APIView):
    @extend_schema(
        operation_id="care_requests_bookings",
        tags=TAGS,
        responses={200: BookingOutput(many=True), 404: ErrorOutput},
        description="The request's bookings; providers see those at their own sites.",
    )
    def get(self, request: Request, pk: int) -> Response:
        care_request = access.get_or_404(access.care_requests(request.user), pk=pk)
        rows = list(
            (access.client_bookings(request.user) | access.site_bookings(request.user))
            .filter(request=care_request)
            .select_related("recipient")
            .order_by("date", "day_part", "recipient__first_name", "pk")
        )
        return Response(booking_rows(rows))


class CancelInput(serializers.Serializer):
    bookings = serializers.ListField(
        child=serializers.IntegerField(),
        required=False,
        help_text="Ids of the bookings to cancel; all future ones when left out.",
    )
    reason = serializers.CharField(max_length=300, required=False, allow_blank=True)


class CancelOutput(serializers.Serializer):
    cancelled = serializers.IntegerField()
    request = CareRequestOutput()


class CancelApi(APIView):
    @extend_schema(
        operation_id="care_requests_cancel",
        tags=TAGS,
        request=CancelInput,
        responses={200: CancelOutput, 400: ErrorOutput, 404: ErrorOutput},
        description=(
            "Cancel some or all future bookings of a request; within 24 hours of the "
            "day-part a cancellation counts as late. The places go to the waiting list."
        ),
    )
    def post(self, request: Request, pk: int) -> Response:
        care_request = _referred_request(request, pk)
        values = validated(CancelInput, request.data)
        chosen = None
        if values.get("bookings"):
            ids = set(values["bookings"])
            chosen = list(care_request.bookings.filter(pk__in=ids))
            if len(chosen) != len(ids):
                raise exceptions.ValidationError(
                    {"bookings": [_("A booking does not belong to this request.")]}
                )
        cancelled = services.booking_cancel(
            actor=request.user,
            request=care_request,
            bookings=chosen,
            reason=values.get("reason", ""),
        )
        return Response({"cancelled": cancelled, "request": _request_output(request, care_request)})


class WaitlistApi(APIView):
    @extend_schema(
        operation_id="care_requests_waitlist",
        tags=TAGS,
        request=None,
        responses={200: CareRequestOutput, 400: ErrorOutput, 404: ErrorOutput},
        description="Put a request without a place on the waiting list; it is booked as soon "
        "as places free up.",
    )
    def post(self, request: Request, pk: int) -> Response:
        care_request = _referred_request(request, pk)
        services.request_waitlist(actor=request.user, request=care_request)
        return Response(_request_output(request, care_request))


class DecideInput(serializers.Serializer):
    care_site = serializers.IntegerField()
    accept = serializers.BooleanField()
    reason = serializers.CharField(max_length=200, required=False, allow_blank=True)


class DecideApi(APIView):
    @extend_schema(
        operation_id="care_requests_decide",
        tags=TAGS,
        request=DecideInput,
        responses={200: CareRequestOutput, 400: ErrorOutput, 403: ErrorOutput, 404: ErrorOutput},
        description=(
            "For a site that confirms each booking: accept the pending bookings at your site, "
            "or refuse them (the whole request goes back to looking for a place)."
        ),
    )
    def post(self, request: Request, pk: int) -> Response:
        care_request = access.get_or_404(access.care_requests(request.user), pk=pk)
        values = validated(DecideInput, request.data)
        care_site = (
            access.care_sites(request.user, manage=True)
            .select_related("site")
            .filter(pk=values["care_site"])
            .first()
        )
        if care_site is None:
            raise exceptions.PermissionDenied(_("You do not manage this site."))
        services.provider_decide(
            actor=request.user,
            request=care_request,
            care_site=care_site,
            accept=values["accept"],
            reason=values.get("reason", ""),
        )
        return Response(_request_output(request, care_request))


# --- Calendar feeds -----------------------------------------------------------------------


class FeedOutput(serializers.Serializer):
    id = serializers.IntegerField()
    care_site = serializers.IntegerField(source="care_site_id", allow_null=True)
    client = serializers.IntegerField(source="client_id", allow_null=True)
    url = serializers.SerializerMethodField(help_text="The secret address; null once revoked.")
    created_at = serializers.DateTimeField()
    revoked_at = serializers.DateTimeField(allow_null=True)

    @extend_schema_field(OpenApiTypes.URI)
    def get_url(self, feed: CalendarFeed) -> str | None:
        if feed.revoked_at is not None:
            return None
        request: Request = self.context["request"]
        return request.build_absolute_uri(feeds.feed_path(feed))


class FeedInput(serializers.Serializer):
    care_site = serializers.IntegerField(required=False, help_text="A site you manage…")
    client = serializers.IntegerField(required=False, help_text="…or a client you follow.")


class FeedListApi(APIView):
    @extend_schema(
        operation_id="calendar_feeds_list",
        tags=TAGS,
        responses={200: FeedOutput(many=True)},
        description="Calendar feeds of the sites you manage and the clients you follow.",
    )
    def get(self, request: Request) -> Response:
        rows = feeds.feeds_visible(request.user).order_by("-created_at", "-pk")
        return Response(FeedOutput(rows, many=True, context={"request": request}).data)

    @extend_schema(
        operation_id="calendar_feeds_create",
        tags=TAGS,
        request=FeedInput,
        responses={201: FeedOutput, 400: ErrorOutput, 403: ErrorOutput},
        description=(
            "A new secret ICS address: for a site, every booked child by first name (for the "
            "staff); for a client, the bookings with the site's name and address."
        ),
    )
    def post(self, request: Request) -> Response:
        values = validated(FeedInput, request.data)
        care_site = client = None
        if values.get("care_site") is not None:
            care_site = (
                access.care_sites(request.user, manage=True).filter(pk=values["care_site"]).first()
            )
            if care_site is None:
                raise exceptions.ValidationError({"care_site": [_("You do not manage this site.")]})
        if values.get("client") is not None:
            client = _client_in_body(request, values["client"])
        feed = feeds.feed_create(actor=request.user, care_site=care_site, client=client)
        return Response(
            FeedOutput(feed, context={"request": request}).data, status=status.HTTP_201_CREATED
        )


class FeedRevokeApi(APIView):
    @extend_schema(
        operation_id="calendar_feeds_revoke",
        tags=TAGS,
        request=None,
        responses={200: FeedOutput, 404: ErrorOutput},
        description="Revoke a feed: its address answers 404 from now on.",
    )
    def post(self, request: Request, pk: int) -> Response:
        feed = access.get_or_404(feeds.feeds_visible(request.user), pk=pk)
        feed = feeds.feed_revoke(actor=request.user, feed=feed)
        return Response(FeedOutput(feed, context={"request": request}).data)
