"""The staff JSON API: availability and booking. Session auth with CSRF; OpenAPI schema
at /api/schema."""

from datetime import date, datetime
from typing import Annotated

from django.shortcuts import get_object_or_404
from ninja import Field, NinjaAPI, Query, Schema, Status
from ninja.errors import HttpError
from ninja.security import SessionAuth
from pydantic import AfterValidator

from appointments import selectors, services
from appointments.models import Appointment, Practitioner, Room, Service
from clients.models import Client
from smp_clinic.roles import Capability, can, require


class StaffSession(SessionAuth):
    """A logged-in user with a booking role; CSRF is checked on unsafe methods."""

    def authenticate(self, request, key):
        user = super().authenticate(request, key)
        if user is not None and not can(user, Capability.BOOKING):
            raise HttpError(403, "Your account has no role that may book.")
        return user


api = NinjaAPI(
    title="SMP Clinic API",
    version="1",
    auth=StaffSession(),
    urls_namespace="api",
    openapi_url="/schema",
    docs_url="/docs",
    # The schema and its docs are for the staff who may call the API.
    docs_decorator=require(Capability.BOOKING),
)


class SlotOut(Schema):
    practitioner: int
    start: datetime
    end: datetime


class AvailabilityOut(Schema):
    slots: list[SlotOut]


class AvailabilityQuery(Schema):
    service: int
    start: date
    days: int = Field(1, ge=1, le=31)
    practitioner: int | None = None
    location: int | None = None


def _no_nul(value: str) -> str:
    # PostgreSQL text cannot hold NUL; refused here, it is a 422, not a 500.
    if "\x00" in value:
        raise ValueError("Text cannot contain NUL characters.")
    return value


Text = Annotated[str, AfterValidator(_no_nul)]


class BookingIn(Schema):
    client: int
    service: int
    practitioner: int
    start: datetime = Field(description="ISO 8601 with a UTC offset.")
    room: int | None = None
    notes: Text = Field("", max_length=2000)
    overlap_reason: Text = Field(
        "", max_length=200, description="Managers only: book over other appointments."
    )


class CancelIn(Schema):
    reason: Text = Field(min_length=1, max_length=200)


class AppointmentOut(Schema):
    id: int
    client: int = Field(alias="client_id")
    service: int = Field(alias="service_id")
    practitioner: int = Field(alias="practitioner_id")
    location: int = Field(alias="location_id")
    room: int | None = Field(alias="room_id")
    start: datetime
    end: datetime
    status: str

    @staticmethod
    def resolve_start(obj: Appointment) -> datetime:
        return obj.starts_at.astimezone(obj.location.zone)

    @staticmethod
    def resolve_end(obj: Appointment) -> datetime:
        return obj.ends_at.astimezone(obj.location.zone)


class ConflictItem(Schema):
    appointment: int
    practitioner: int
    room: int | None
    start: datetime
    end: datetime
    description: str


class ConflictOut(Schema):
    detail: str
    conflicts: list[ConflictItem]
    next_slots: list[SlotOut]


class ErrorOut(Schema):
    detail: str


def slot_out(slot, zones) -> dict:
    zone = zones[slot.location_id]
    return {
        "practitioner": slot.practitioner_id,
        "start": slot.start.astimezone(zone),
        "end": slot.end.astimezone(zone),
    }


@api.get("/availability", response=AvailabilityOut)
def availability(request, query: Query[AvailabilityQuery]):
    service = get_object_or_404(Service, pk=query.service, is_active=True)
    found = selectors.availability(
        service=service,
        first_day=query.start,
        days=query.days,
        practitioner_id=query.practitioner,
        location_id=query.location,
    )
    zones = {pk: location.zone for pk, location in found.locations.items()}
    return {"slots": [slot_out(slot, zones) for slot in found.slots]}


def conflict_body(conflict: services.BookingConflict) -> dict:
    zones = selectors.location_zones()
    return {
        "detail": conflict.message,
        "conflicts": [
            {
                "appointment": a.pk,
                "practitioner": a.practitioner_id,
                "room": a.room_id,
                "start": a.starts_at.astimezone(zones[a.location_id]),
                "end": a.ends_at.astimezone(zones[a.location_id]),
                "description": services.describe(a),
            }
            for a in conflict.conflicts
        ],
        "next_slots": [slot_out(slot, zones) for slot in conflict.next_slots],
    }


@api.post(
    "/appointments",
    response={201: AppointmentOut, 409: ConflictOut, 422: ErrorOut},
)
def appointment_create(request, payload: BookingIn):
    client = get_object_or_404(Client, pk=payload.client)
    service = get_object_or_404(Service, pk=payload.service)
    practitioner = get_object_or_404(Practitioner, pk=payload.practitioner)
    room = get_object_or_404(Room, pk=payload.room) if payload.room else None
    try:
        appointment = services.appointment_book(
            client=client,
            service=service,
            practitioner=practitioner,
            starts_at=payload.start,
            room=room,
            notes=payload.notes,
            overlap_reason=payload.overlap_reason,
            booked_by=request.user,
            source=Appointment.Source.API,
        )
    except services.BookingConflict as conflict:
        return Status(409, conflict_body(conflict))
    except services.BookingError as error:
        return Status(422, {"detail": error.message})
    return Status(201, appointment)


@api.post(
    "/appointments/{appointment_id}/cancel",
    response={200: AppointmentOut, 409: ErrorOut},
)
def appointment_cancel(request, appointment_id: int, payload: CancelIn):
    appointment = selectors.appointment_get_for_user(request.user, appointment_id)
    try:
        appointment = services.appointment_cancel(
            appointment=appointment, reason=payload.reason, by=request.user
        )
    except services.BookingError as error:
        return Status(409, {"detail": error.message})
    return Status(200, appointment)
