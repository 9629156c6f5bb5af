"""The staff JSON API: availability and booking. Session auth with CSRF; OpenAPI schema
at /api/schema.

The schema is a contract: clinics' integrators and booking widgets generate clients
from it. So every answer is in it. Each status an operation can return is listed with
its body; every 4xx has one shape (ErrorOut: a `code` for programs, a `message` for
people, `fields` naming what was wrong), with extra keys only where the schema declares
them (a conflict's `conflicts` and `next_slots`); and what the server refuses (NUL,
lengths, dates outside 1900-2200, ids below 1) is written in the schema as constraints.
tests/appointments/test_api_contract.py runs schemathesis over every operation against a
live server and fails on any disagreement."""

import re
from datetime import date, datetime
from functools import wraps
from typing import Annotated, Any

from django.http import Http404
from django.http.multipartparser import MultiPartParserError
from django.shortcuts import get_object_or_404
from ninja import Field, NinjaAPI, Path, Query, Schema, Status
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.security import SessionAuth
from pydantic import AfterValidator, BeforeValidator, PlainValidator, WithJsonSchema

from appointments import booking_cache, selectors, services
from appointments.models import Appointment, Room
from clients.models import Client
from core.roles import Capability, can, require


class StaffSession(SessionAuth):
    """A logged-in user with a booking role; CSRF is checked on unsafe methods."""

    def _get_key(self, request):
        # The CSRF check reads a form body; a multipart body without its boundary
        # would be Django's HTML 400 page instead of our error shape.
        try:
            return super()._get_key(request)
        except MultiPartParserError:
            raise HttpError(400, "The request body cannot be read.") from None

    def authenticate(self, request, key):
        user = super().authenticate(request, key)
        if user is not None and not can(user, Capability.BOOKING):
            raise HttpError(403, "Your account has no role that may book.")
        return user


def _method_not_allowed_in_error_shape(api: NinjaAPI, view):
    """django-ninja answers a method a path lacks with an empty text 405; ours is
    the one error shape, with the Allow header kept."""

    @wraps(view)
    def answer(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        if response.status_code != 405:
            return response
        allowed = response["Allow"]
        error = api.create_response(
            request,
            error_body("method_not_allowed", f"This path answers {allowed} only."),
            status=405,
        )
        error["Allow"] = allowed
        return error

    return answer


class StaffAPI(NinjaAPI):
    def _get_urls(self):
        patterns = super()._get_urls()
        for pattern in patterns:
            pattern.callback = _method_not_allowed_in_error_shape(
                self, pattern.callback
            )
        return patterns

    def get_openapi_schema(self, *args, **kwargs):
        schema = super().get_openapi_schema(*args, **kwargs)
        # django-ninja copies a field's list of examples onto its parameter, where
        # OpenAPI 3.1 wants a map of Example Objects: strict client generators refuse
        # the schema. The parameter keeps one `example`; its schema keeps the list.
        for operations in schema["paths"].values():
            for operation in operations.values():
                for parameter in operation.get("parameters", ()):
                    if isinstance(parameter.get("examples"), list):
                        parameter["example"] = parameter.pop("examples")[0]
        return schema


api = StaffAPI(
    title="SMP Clinic API",
    version="1",
    description=(
        "Staff API: log in to the app, then send the session cookie, and on POST the "
        "`csrftoken` cookie's value in an `X-CSRFToken` header. Every 4xx answer has "
        "the shape ErrorOut: `code`, `message` and `fields`."
    ),
    auth=StaffSession(),
    urls_namespace="api",
    openapi_url="/schema",
    docs_url="/docs",
    # The schema and its docs are for the staff who may call the API.
    docs_decorator=require(Capability.BOOKING),
)


# The one error shape.


class ErrorOut(Schema):
    """Every 4xx answer."""

    code: str = Field(
        description=(
            "For programs: bad_request (400), not_authenticated (401), forbidden or "
            "csrf_failed (403), not_found (404), method_not_allowed (405), conflict "
            "or not_cancellable (409), invalid or refused (422)."
        ),
        examples=["invalid"],
    )
    message: str = Field(description="For people: what was wrong and what to do.")
    fields: dict[str, list[str]] = Field(
        description=(
            "The request's fields at fault (a body field by name, `start`, or "
            "`body` for the body as a whole), each with its messages; empty when "
            "no field is at fault."
        ),
    )


def error_body(code: str, message: str, fields: dict | None = None, **extra) -> dict:
    return {"code": code, "message": message, "fields": fields or {}, **extra}


ERROR_CODES = {
    400: "bad_request",
    401: "not_authenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
}


@api.exception_handler(ValidationError)
def validation_error(request, exc: ValidationError):
    fields: dict[str, list[str]] = {}
    for error in exc.errors:
        where = [str(part) for part in error.get("loc", ())[1:] if part != "payload"]
        name = ".".join(where) or "body"
        # pydantic prefixes our validators' messages with "Value error, ".
        message = str(error.get("msg", "Not valid.")).removeprefix("Value error, ")
        fields.setdefault(name, []).append(message)
    return api.create_response(
        request,
        error_body("invalid", "Some values are missing or not valid.", fields),
        status=422,
    )


@api.exception_handler(Http404)
def not_found(request, exc: Http404):
    return api.create_response(
        request,
        error_body("not_found", "There is no such record, or it was removed."),
        status=404,
    )


@api.exception_handler(AuthenticationError)
def not_authenticated(request, exc: AuthenticationError):
    return api.create_response(
        request,
        error_body(
            "not_authenticated", "Log in first: the API uses the staff session."
        ),
        status=401,
    )


@api.exception_handler(HttpError)
def http_error(request, exc: HttpError):
    code = ERROR_CODES.get(exc.status_code, "error")
    message = exc.message
    if exc.status_code == 403 and "CSRF" in message:
        code = "csrf_failed"
        message = (
            "The CSRF check failed: send the csrftoken cookie's value in an "
            "X-CSRFToken header."
        )
    elif exc.status_code == 400:
        message = "The request body is not valid JSON: send application/json."
    return api.create_response(
        request, error_body(code, message), status=exc.status_code
    )


def refuse_unknown_parameters(request, model: type[Schema]) -> None:
    """A misspelt parameter (`practioner=3`) is refused, not silently ignored."""
    unknown = sorted(set(request.GET) - set(model.model_fields))
    if unknown:
        raise ValidationError(
            [{"loc": ("query", name), "msg": "Unknown parameter."} for name in unknown]
        )


# Answers each operation shares: who may call, and what a bad request gets.
AUTH_ERRORS = {401: ErrorOut, 403: ErrorOut}
BODY_ERRORS = {400: ErrorOut, 422: ErrorOut}


# Input constraints, written in the schema as well as checked.

# Nothing a clinic books lies outside 1900-01-01 .. 2200-12-31; what does is refused
# before Python's date arithmetic can overflow on it. The pattern is exactly the days
# that exist in that window (leap years included), so the schema promises no more than
# the server accepts.
_MONTH_DAY = (
    r"(?:(?:0[13578]|1[02])-(?:0[1-9]|[12]\d|3[01])"
    r"|(?:0[469]|11)-(?:0[1-9]|[12]\d|30)"
    r"|02-(?:0[1-9]|1\d|2[0-8]))"
)
_LEAP_YEAR = (
    r"(?:19(?:0[48]|[2468][048]|[13579][26])"
    r"|20(?:[02468][048]|[13579][26])"
    r"|21(?:0[48]|[2468][048]|[13579][26]))"
)
_DAY = rf"(?:(?:19\d\d|2[01]\d\d|2200)-{_MONTH_DAY}|{_LEAP_YEAR}-02-29)"
_TIME = r"(?:[01]\d|2[0-3]):[0-5]\d(?::[0-5]\d(?:\.\d{1,6})?)?"
_OFFSET = r"(?:Z|[+-](?:[01]\d|2[0-3]):[0-5]\d)"
DATE_PATTERN = rf"^{_DAY}$"
DATETIME_PATTERN = rf"^{_DAY}T{_TIME}{_OFFSET}$"
WINDOW = "between 1900-01-01 and 2200-12-31"


def _date(value: Any) -> date:
    if isinstance(value, date):
        return value
    if not isinstance(value, str) or not re.fullmatch(DATE_PATTERN, value):
        raise ValueError(f"Enter a date {WINDOW}, as YYYY-MM-DD.")
    return date.fromisoformat(value)


def _datetime(value: Any) -> datetime:
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value
    if not isinstance(value, str) or not re.fullmatch(DATETIME_PATTERN, value):
        raise ValueError(
            f"Enter a date {WINDOW} and a time with a UTC offset, as "
            "YYYY-MM-DDTHH:MM+01:00 (or Z)."
        )
    return datetime.fromisoformat(value)


Day = Annotated[
    date,
    PlainValidator(_date),
    WithJsonSchema(
        {
            "type": "string",
            "format": "date",
            "pattern": DATE_PATTERN,
            "description": f"YYYY-MM-DD, {WINDOW}.",
        }
    ),
]
Moment = Annotated[
    datetime,
    PlainValidator(_datetime),
    WithJsonSchema(
        {
            "type": "string",
            "format": "date-time",
            "pattern": DATETIME_PATTERN,
            "description": f"ISO 8601 with a UTC offset, {WINDOW}.",
        }
    ),
]


def _not_a_boolean(value: Any) -> Any:
    # pydantic reads JSON true as 1; the schema says integer, and true is not one.
    if isinstance(value, bool):
        raise ValueError("Enter an id (a whole number), not true or false.")
    return value


# Ids are positive and fit the database's 64-bit keys.
ID_MAX = 2**63 - 1
Id = Annotated[int, Field(ge=1, le=ID_MAX), BeforeValidator(_not_a_boolean)]
# A query string cannot say null: an optional id is left out, never "null".
OptionalId = Annotated[
    Id | None, WithJsonSchema({"type": "integer", "minimum": 1, "maximum": ID_MAX})
]


def _no_nul(value: str) -> str:
    # PostgreSQL text cannot hold NUL; refused here, it is a 422, not a 500.
    if "\x00" in value:
        raise ValueError("Text cannot contain NUL characters.")
    return value


# In the schema only: the validator above gives the message people read.
NO_NUL = r"^[^\x00]*$"
Text = Annotated[str, AfterValidator(_no_nul)]


# Operations.


class SlotOut(Schema):
    practitioner: int
    start: datetime
    end: datetime


class AvailabilityOut(Schema):
    slots: list[SlotOut]


class AvailabilityQuery(Schema):
    service: Id = Field(examples=[1])
    start: Day = Field(examples=["2030-03-04"])
    days: int = Field(1, ge=1, le=31, examples=[7])
    practitioner: OptionalId = Field(None, examples=[1])
    location: OptionalId = Field(None, examples=[1])


class BookingIn(Schema):
    model_config = {
        "extra": "forbid",
        "json_schema_extra": {
            "examples": [
                {
                    "client": 1,
                    "service": 1,
                    "practitioner": 1,
                    "start": "2030-03-04T10:00:00+00:00",
                    "notes": "Prefers mornings.",
                }
            ]
        },
    }

    client: Id
    service: Id
    practitioner: Id
    start: Moment
    room: Id | None = None
    notes: Text = Field("", max_length=2000, json_schema_extra={"pattern": NO_NUL})
    overlap_reason: Text = Field(
        "",
        max_length=200,
        json_schema_extra={"pattern": NO_NUL},
        description="Managers only: book over other appointments.",
    )


class CancelIn(Schema):
    model_config = {"extra": "forbid"}

    reason: Text = Field(
        min_length=1,
        max_length=200,
        json_schema_extra={"pattern": NO_NUL},
        examples=["The client is unwell."],
    )


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


class MissingItem(Schema):
    """One thing the client's record lacks for the treatment, and the page that
    puts it right."""

    gate: str
    label: str
    fix_url: str


class RefusalOut(ErrorOut):
    """422 for a booking: `invalid` (the request's values, with `fields`) or
    `refused` (a well-formed booking that cannot be made), with `missing` listing
    what the client's record lacks when a treatment gate refused it."""

    missing: list[MissingItem] = Field(default_factory=list)


class ConflictOut(ErrorOut):
    """409 for a booking: what is in the way, and the next free times."""

    conflicts: list[ConflictItem]
    next_slots: list[SlotOut]


def slot_out(slot, zones) -> dict:
    zone = zones[slot.location_id]
    return {
        "practitioner": slot.practitioner_id,
        "start": slot.start.astimezone(zone),
        "end": slot.end.astimezone(zone),
    }


@api.get(
    "/availability",
    response={200: AvailabilityOut, 404: ErrorOut, 422: ErrorOut, **AUTH_ERRORS},
)
def availability(request, query: Query[AvailabilityQuery]):
    refuse_unknown_parameters(request, AvailabilityQuery)
    _service, found = selectors.served_availability(
        service_id=query.service,
        first_day=query.start,
        days=query.days,
        practitioner_id=query.practitioner,
        location_id=query.location,
    )
    zones = {pk: location.zone for pk, location in found.locations.items()}
    return {"slots": [slot_out(slot, zones) for slot in found.slots]}


def conflict_body(conflict: services.BookingConflict) -> dict:
    zones = selectors.location_zones()
    return error_body(
        "conflict",
        conflict.message,
        conflicts=[
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
        next_slots=[slot_out(slot, zones) for slot in conflict.next_slots],
    )


@api.post(
    "/appointments",
    response={
        201: AppointmentOut,
        404: ErrorOut,
        409: ConflictOut,
        **BODY_ERRORS,
        422: RefusalOut,
        **AUTH_ERRORS,
    },
    openapi_extra={
        "responses": {
            201: {
                "links": {
                    "CancelAppointment": {
                        "operationId": "appointments_api_appointment_cancel",
                        "parameters": {"appointment_id": "$response.body#/id"},
                    }
                }
            }
        }
    },
)
def appointment_create(request, payload: BookingIn):
    """422 is either `invalid` (the request's values, with `fields`) or `refused` (a
    well-formed booking the schedule or the client's record does not allow, with
    `missing`: what the record lacks, each with the page that fixes it)."""
    client = get_object_or_404(Client, pk=payload.client)
    # Both rarely change: read through the cache, forgotten on any change.
    service, practitioner = booking_cache.service_and_practitioner_or_404(
        payload.service, payload.practitioner
    )
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
        missing = getattr(error, "missing", ())
        return Status(
            422,
            error_body(
                "refused",
                error.message,
                missing=[
                    {"gate": m.gate, "label": m.label, "fix_url": m.fix_url}
                    for m in missing
                ],
            ),
        )
    return Status(201, appointment)


@api.post(
    "/appointments/{appointment_id}/cancel",
    response={
        200: AppointmentOut,
        404: ErrorOut,
        409: ErrorOut,
        **BODY_ERRORS,
        **AUTH_ERRORS,
    },
)
def appointment_cancel(
    request,
    appointment_id: Annotated[int, Path(ge=1, le=ID_MAX, examples=[1])],
    payload: CancelIn,
):
    """409 `not_cancellable`: the appointment is past, cancelled or done."""
    appointment = selectors.appointment_get_for_user(request.user, appointment_id)
    try:
        appointment = services.appointment_cancel(
            appointment=appointment, reason=payload.reason, by=request.user
        )
    except services.BookingError as error:
        return Status(409, error_body("not_cancellable", error.message))
    return Status(200, appointment)
