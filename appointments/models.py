import zoneinfo
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import (
    MaxValueValidator,
    MinValueValidator,
    RegexValidator,
    URLValidator,
)
from django.db import models
from django.db.models import F, Q

from core.money import CURRENCY_CODES, validate_currency, validate_locale


def validate_timezone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(
            f"{value!r} is not an IANA time zone (e.g. Europe/London)."
        )


class Location(models.Model):
    name = models.CharField(max_length=100, unique=True)
    address = models.TextField(blank=True)
    phone = models.CharField(
        max_length=32,
        blank=True,
        help_text="Given in recall emails for clients to call and book.",
    )
    timezone = models.CharField(
        max_length=64,
        validators=[validate_timezone],
        help_text="IANA time zone, e.g. Europe/London. Times show in this zone.",
    )
    # Every amount charged or taken here is in this currency, shown in this locale.
    currency = models.CharField(
        max_length=3,
        default="GBP",
        choices=CURRENCY_CODES,
        validators=[validate_currency],
        help_text="ISO 4217: the currency every price is charged in here.",
    )
    locale = models.CharField(
        max_length=10,
        default="en_GB",
        validators=[validate_locale],
        help_text="How amounts are written: £1,500.00 (en_GB), 1 500,00 € (fr_FR).",
    )
    tax_rate = models.DecimalField(
        "tax rate (%)",
        max_digits=5,
        decimal_places=2,
        default=0,
        validators=[MinValueValidator(0), MaxValueValidator(99)],
        help_text="VAT or sales tax included in the prices here; 0 for none.",
    )
    video_link = models.URLField(
        blank=True,
        validators=[URLValidator(schemes=["https"], message="Use an https:// link.")],
        help_text="Where clients join a video consultation (a Zoom, Teams or Meet "
        "room): given in its confirmation and reminders.",
    )
    # What receipts and invoices issued here name (payments).
    legal_name = models.CharField(
        max_length=200, blank=True, help_text="On receipts and invoices; else the name."
    )
    tax_number = models.CharField(
        "tax number",
        max_length=40,
        blank=True,
        help_text="VAT or sales tax registration, printed on receipts and invoices.",
    )
    # The cancellation policy: a deposit is refunded on a cancellation at least this
    # long before; a later one by the client, or a no-show, forfeits it (payments).
    deposit_refundable_hours = models.PositiveSmallIntegerField(
        "deposit refundable until (hours before)",
        default=48,
        validators=[MaxValueValidator(24 * 30)],
        help_text="A later cancellation by the client, or a no-show, forfeits the "
        "deposit.",
    )
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(currency__regex=r"^[A-Z]{3}$"),
                name="location_currency_iso_4217",
            ),
            models.CheckConstraint(
                condition=Q(tax_rate__gte=0, tax_rate__lt=100),
                name="location_tax_rate_range",
                violation_error_message="The tax rate is from 0 to 99%.",
            ),
        ]

    def __str__(self):
        return self.name

    def deposit_policy(self) -> str:
        """The cancellation policy, as the client reads it (the booking page, the
        confirmation email, the portal): from this location's own setting."""
        hours = self.deposit_refundable_hours
        return (
            f"The deposit is refundable if you cancel at least {hours} hour"
            f"{'s' if hours != 1 else ''} before your appointment; a later "
            "cancellation or a no-show forfeits it."
        )

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.timezone)


class Practitioner(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="practitioner"
    )
    licence_number = models.CharField(
        max_length=64, blank=True, help_text="Body-art licence or registration number."
    )
    locations = models.ManyToManyField(Location, related_name="practitioners")
    colour = models.CharField(
        max_length=7,
        default="#0d6efd",
        validators=[RegexValidator(r"^#[0-9a-fA-F]{6}$", "Use a colour like #1a2b3c.")],
    )
    is_active = models.BooleanField(default=True)
    # The private calendar feed: only a digest of its token is kept, so the link is
    # shown once, and a new one stops the old (appointments/feeds.py).
    feed_digest = models.CharField(max_length=64, blank=True, db_index=True)
    feed_created_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["user__first_name", "user__last_name", "pk"]

    def __str__(self):
        return self.user.get_full_name() or self.user.get_username()


class Room(models.Model):
    location = models.ForeignKey(
        Location, on_delete=models.PROTECT, related_name="rooms"
    )
    name = models.CharField(max_length=100)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["location", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["location", "name"], name="room_unique_name"
            )
        ]

    def __str__(self):
        return f"{self.name} ({self.location})"


class ServiceKind(models.TextChoices):
    CONSULTATION = "consultation", "Consultation"
    PATCH_TEST = "patch_test", "Patch test"
    SMP_SESSION = "smp_session", "SMP session"
    SCAR_CAMOUFLAGE = "scar_camouflage", "Scar camouflage"
    TOUCH_UP = "touch_up", "Touch-up"
    FADE_CHECK = "fade_check", "Fade check"


class Meeting(models.TextChoices):
    """How the client and practitioner meet. A phone or video appointment holds a
    practitioner's time and no room."""

    IN_PERSON = "in_person", "In person"
    PHONE = "phone", "By phone"
    VIDEO = "video", "By video"


MAX_DURATION_MINUTES = 12 * 60
MAX_BUFFER_MINUTES = 4 * 60
# The longest appointment, and the most time one can hold, buffers included.
LONGEST_APPOINTMENT = timedelta(minutes=MAX_DURATION_MINUTES)
LONGEST_HELD = timedelta(minutes=MAX_DURATION_MINUTES + 2 * MAX_BUFFER_MINUTES)


class Service(models.Model):
    Kind = ServiceKind
    Meeting = Meeting

    name = models.CharField(max_length=100, unique=True)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    duration_minutes = models.PositiveIntegerField(
        validators=[MinValueValidator(5), MaxValueValidator(MAX_DURATION_MINUTES)]
    )
    buffer_before_minutes = models.PositiveIntegerField(
        default=0,
        validators=[MaxValueValidator(MAX_BUFFER_MINUTES)],
        help_text="Preparation before the client arrives.",
    )
    buffer_after_minutes = models.PositiveIntegerField(
        default=0,
        validators=[MaxValueValidator(MAX_BUFFER_MINUTES)],
        help_text="Cleaning and notes after the client leaves.",
    )
    meeting = models.CharField(
        max_length=10,
        choices=Meeting.choices,
        default=Meeting.IN_PERSON,
        help_text="By phone: the practitioner calls the client's number. By video: "
        "the client joins the location's video link.",
    )
    needs_room = models.BooleanField(default=True)
    needs_patch_test = models.BooleanField(default=False)
    # Minor units (pence, cents) of the currency of the location where it is given.
    price_minor = models.PositiveIntegerField(
        "price", default=0, help_text="In the currency of each location."
    )
    deposit_minor = models.PositiveIntegerField(
        "deposit",
        default=0,
        help_text="Taken to hold the time; part of the price, not on top of it.",
    )
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=ServiceKind.values),
                name="service_kind_valid",
            ),
            models.CheckConstraint(
                condition=Q(duration_minutes__gte=5), name="service_duration_positive"
            ),
            models.CheckConstraint(
                condition=Q(meeting="in_person")
                | Q(meeting__in=["phone", "video"], needs_room=False),
                name="service_remote_needs_no_room",
                violation_error_message="A phone or video appointment needs no room.",
            ),
            # Bounded, so that no appointment holds more than LONGEST_HELD and an
            # overlap search needs only a short range of the start-time index.
            models.CheckConstraint(
                condition=Q(duration_minutes__lte=MAX_DURATION_MINUTES)
                & Q(buffer_before_minutes__lte=MAX_BUFFER_MINUTES)
                & Q(buffer_after_minutes__lte=MAX_BUFFER_MINUTES),
                name="service_time_bounded",
            ),
            models.CheckConstraint(
                condition=Q(price_minor__gte=0)
                & Q(deposit_minor__gte=0)
                & Q(deposit_minor__lte=F("price_minor")),
                name="service_deposit_within_price",
                violation_error_message="The deposit must be between 0 and the price.",
            ),
        ]

    def __str__(self):
        return self.name

    @property
    def duration(self) -> timedelta:
        return timedelta(minutes=self.duration_minutes)

    @property
    def is_remote(self) -> bool:
        return self.meeting != Meeting.IN_PERSON

    @property
    def buffer_before(self) -> timedelta:
        return timedelta(minutes=self.buffer_before_minutes)

    @property
    def buffer_after(self) -> timedelta:
        return timedelta(minutes=self.buffer_after_minutes)


class WorkingHours(models.Model):
    """One block of a practitioner's week at a location; several a day make breaks."""

    class Weekday(models.IntegerChoices):
        MONDAY = 0, "Monday"
        TUESDAY = 1, "Tuesday"
        WEDNESDAY = 2, "Wednesday"
        THURSDAY = 3, "Thursday"
        FRIDAY = 4, "Friday"
        SATURDAY = 5, "Saturday"
        SUNDAY = 6, "Sunday"

    practitioner = models.ForeignKey(
        Practitioner, on_delete=models.CASCADE, related_name="working_hours"
    )
    location = models.ForeignKey(Location, on_delete=models.CASCADE)
    weekday = models.PositiveSmallIntegerField(choices=Weekday.choices)
    # Wall-clock times in the location's zone.
    start_time = models.TimeField()
    end_time = models.TimeField()

    class Meta:
        ordering = ["practitioner", "weekday", "start_time"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_time__gt=F("start_time")),
                name="working_hours_end_after_start",
                violation_error_message="The block must end after it starts.",
            ),
            models.CheckConstraint(
                condition=Q(weekday__gte=0, weekday__lte=6),
                name="working_hours_weekday",
            ),
        ]

    def __str__(self):
        day = self.get_weekday_display()
        return f"{day} {self.start_time:%H:%M}–{self.end_time:%H:%M}"


class TimeOff(models.Model):
    practitioner = models.ForeignKey(
        Practitioner, on_delete=models.CASCADE, related_name="time_off"
    )
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    reason = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["starts_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")),
                name="time_off_ends_after_start",
            )
        ]

    def __str__(self):
        return f"{self.practitioner} off from {self.starts_at:%Y-%m-%d %H:%M} UTC"


class Closure(models.Model):
    """A day a location is closed (a public holiday); no location means every one."""

    location = models.ForeignKey(
        Location,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="closures",
    )
    date = models.DateField()
    name = models.CharField(max_length=100)

    class Meta:
        ordering = ["date"]
        constraints = [
            models.UniqueConstraint(
                fields=["location", "date"], name="closure_unique_per_location_day"
            )
        ]

    def __str__(self):
        return f"{self.name} ({self.date:%d %b %Y})"


class AppointmentStatus(models.TextChoices):
    # Booked online and held until its deposit is paid by card (payments): it blocks
    # its time like any booking, and is released by the sweep if not paid in time.
    AWAITING_DEPOSIT = "awaiting_deposit", "Awaiting deposit"
    BOOKED = "booked", "Booked"
    CONFIRMED = "confirmed", "Confirmed"
    CHECKED_IN = "checked_in", "Checked in"
    COMPLETED = "completed", "Completed"
    NO_SHOW = "no_show", "No-show"
    CANCELLED = "cancelled", "Cancelled"


class Appointment(models.Model):
    Status = AppointmentStatus

    # Appointments in these states hold their practitioner's and room's time.
    BLOCKING = (
        Status.AWAITING_DEPOSIT,
        Status.BOOKED,
        Status.CONFIRMED,
        Status.CHECKED_IN,
        Status.COMPLETED,
    )
    # Allowed moves of the status workflow.
    TRANSITIONS = {
        # Not paid in time (or the desk cancels it): cancelled. Confirmed only by
        # its deposit recorded (services.appointment_deposit_paid), not by a button.
        Status.AWAITING_DEPOSIT: {Status.CANCELLED},
        Status.BOOKED: {
            Status.CONFIRMED,
            Status.CHECKED_IN,
            Status.NO_SHOW,
            Status.CANCELLED,
        },
        Status.CONFIRMED: {Status.CHECKED_IN, Status.NO_SHOW, Status.CANCELLED},
        Status.CHECKED_IN: {Status.COMPLETED},
        Status.COMPLETED: set(),
        Status.NO_SHOW: set(),
        Status.CANCELLED: set(),
    }

    class Source(models.TextChoices):
        FRONT_DESK = "front_desk", "Front desk"
        PHONE = "phone", "Phone"
        ONLINE = "online", "Online"
        API = "api", "API"
        WAITLIST = "waitlist", "Waitlist"

    # No index of their own for client, practitioner, location and room: the composite
    # indexes in Meta lead with them. Four more indexes cost every insert and gave the
    # planner more paths to weigh on every calendar query (bench/RESULTS.md).
    client = models.ForeignKey(
        "clients.Client",
        on_delete=models.PROTECT,
        related_name="appointments",
        db_index=False,
    )
    service = models.ForeignKey(Service, on_delete=models.PROTECT)
    practitioner = models.ForeignKey(
        Practitioner,
        on_delete=models.PROTECT,
        related_name="appointments",
        db_index=False,
    )
    location = models.ForeignKey(Location, on_delete=models.PROTECT, db_index=False)
    room = models.ForeignKey(
        Room, null=True, blank=True, on_delete=models.PROTECT, db_index=False
    )
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    # The time held, buffers included: what may not overlap for a practitioner or room.
    busy_starts_at = models.DateTimeField()
    busy_ends_at = models.DateTimeField()
    status = models.CharField(
        max_length=16, choices=Status.choices, default=Status.BOOKED
    )
    # Until when an appointment awaiting its deposit holds its time.
    held_until = models.DateTimeField(null=True, blank=True, editable=False)
    source = models.CharField(max_length=12, choices=Source.choices)
    notes = models.TextField(blank=True)
    cancellation_reason = models.CharField(max_length=200, blank=True)
    # A deliberate double booking: only a manager, only with a reason, always recorded.
    overlap_approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    overlap_reason = models.CharField(max_length=200, blank=True)
    # The iCalendar SEQUENCE of the event sent to the client: raised by every move and
    # by the cancellation, so a calendar app replaces the event it holds in place.
    calendar_sequence = models.PositiveIntegerField(default=0, editable=False)
    booked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["starts_at", "pk"]
        indexes = [
            models.Index(
                fields=["practitioner", "busy_starts_at"], name="appt_practitioner_busy"
            ),
            models.Index(fields=["room", "busy_starts_at"], name="appt_room_busy"),
            models.Index(fields=["location", "starts_at"], name="appt_location_start"),
            models.Index(fields=["client", "starts_at"], name="appt_client_start"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")),
                name="appointment_ends_after_start",
            ),
            models.CheckConstraint(
                condition=Q(busy_starts_at__lte=F("starts_at"))
                & Q(busy_ends_at__gte=F("ends_at")),
                name="appointment_busy_covers_appointment",
            ),
            models.CheckConstraint(
                condition=Q(status__in=AppointmentStatus.values),
                name="appointment_status_valid",
            ),
            models.CheckConstraint(
                condition=Q(overlap_approved_by__isnull=True) | ~Q(overlap_reason=""),
                name="appointment_overlap_needs_reason",
            ),
            models.CheckConstraint(
                condition=~Q(status="cancelled") | ~Q(cancellation_reason=""),
                name="appointment_cancellation_needs_reason",
            ),
            models.CheckConstraint(
                condition=~Q(status="awaiting_deposit") | Q(held_until__isnull=False),
                name="appointment_hold_has_an_end",
            ),
        ]
        # On PostgreSQL, migration 0002 adds exclusion constraints (btree_gist) that
        # make overlapping blocking appointments of a practitioner or room impossible.

    def __str__(self):
        return (
            f"{self.service} for {self.client} at {self.starts_at:%Y-%m-%d %H:%M} UTC"
        )

    @classmethod
    def from_db(cls, db, field_names, values):
        instance = super().from_db(db, field_names, values)
        # The time it held as read, so that a move also renews the calendar of the
        # day it leaves (calendar_cache.appointment_changed).
        instance.busy_held = {
            (
                instance.__dict__.get("busy_starts_at"),
                instance.__dict__.get("busy_ends_at"),
            )
        }
        return instance

    def refresh_from_db(self, *args, **kwargs):
        super().refresh_from_db(*args, **kwargs)
        self.busy_held = {
            *getattr(self, "busy_held", ()),
            (self.__dict__.get("busy_starts_at"), self.__dict__.get("busy_ends_at")),
        }

    @property
    def is_blocking(self) -> bool:
        return self.status in self.BLOCKING

    def can_become(self, status: str) -> bool:
        return status in self.TRANSITIONS[self.Status(self.status)]

    def is_cancellable(self) -> bool:
        return self.can_become(self.Status.CANCELLED)

    # Why a workflow move is refused at `now`, or None when it is allowed. The buttons
    # show only when allowed (templatetags/appointment_actions.py) and the services
    # refuse with these same words.

    def _status_refusal(self, to: str) -> str | None:
        if self.can_become(to):
            return None
        return (
            f"A {self.get_status_display().lower()} appointment cannot be marked "
            f"{self.Status(to).label.lower()}."
        )

    def arrive_refusal(self, now) -> str | None:
        refusal = self._status_refusal(self.Status.CHECKED_IN)
        if refusal:
            return refusal
        zone = self.location.zone
        if self.starts_at.astimezone(zone).date() != now.astimezone(zone).date():
            return "A client can be checked in on the day of the appointment only."
        return None

    def no_show_refusal(self, now) -> str | None:
        refusal = self._status_refusal(self.Status.NO_SHOW)
        if refusal:
            return refusal
        if self.starts_at > now:
            return "An appointment can be marked no-show once it has started."
        return None

    def complete_refusal(self, now) -> str | None:
        refusal = self._status_refusal(self.Status.COMPLETED)
        if refusal:
            return refusal
        if self.starts_at > now:
            # A completed session sends the day-0 aftercare: never before it began.
            return "An appointment can be completed once it has started."
        return None

    def session_record_refusal(self) -> str | None:
        """Why the treatment session of this appointment cannot be recorded (yet):
        what is done is recorded once the client has arrived."""
        if self.status in (self.Status.CHECKED_IN, self.Status.COMPLETED):
            return None
        if self.status in (self.Status.BOOKED, self.Status.CONFIRMED):
            when = self.local_starts_at()
            return (
                f"The appointment is on {when:%a} {when.day} {when:%b} at "
                f"{when:%H:%M}: a session is recorded once the client has arrived "
                "(checked in)."
            )
        return (
            f"The appointment is {self.get_status_display().lower()}: there is no "
            "session to record."
        )

    def can_arrive(self, now) -> bool:
        return self.arrive_refusal(now) is None

    def can_mark_no_show(self, now) -> bool:
        return self.no_show_refusal(now) is None

    def can_complete(self, now) -> bool:
        return self.complete_refusal(now) is None

    def local_starts_at(self):
        return self.starts_at.astimezone(self.location.zone)


class WaitlistEntry(models.Model):
    """A client waiting for an earlier time: a service, with a practitioner and a
    location or any, between two dates. A cancellation that frees a matching time
    offers it to the waiting clients by email; the first to accept has it."""

    class Status(models.TextChoices):
        WAITING = "waiting", "Waiting"
        BOOKED = "booked", "Booked from the waitlist"
        REMOVED = "removed", "Removed"

    client = models.ForeignKey(
        "clients.Client", on_delete=models.CASCADE, related_name="waitlist_entries"
    )
    service = models.ForeignKey(Service, on_delete=models.PROTECT)
    practitioner = models.ForeignKey(
        Practitioner,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        help_text="Leave empty for any practitioner.",
    )
    location = models.ForeignKey(
        Location,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        help_text="Leave empty for any location.",
    )
    earliest_on = models.DateField("from")
    latest_on = models.DateField("until")
    notes = models.CharField(max_length=200, blank=True)
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.WAITING
    )
    appointment = models.ForeignKey(
        Appointment,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name_plural = "waitlist entries"
        indexes = [
            models.Index(
                fields=["status", "earliest_on", "latest_on"], name="waitlist_window"
            )
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(latest_on__gte=F("earliest_on")),
                name="waitlist_window_in_order",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["waiting", "booked", "removed"]),
                name="waitlist_status_valid",
            ),
        ]

    def __str__(self):
        return f"{self.client} waiting for {self.service}"


class WaitlistOffer(models.Model):
    """A freed time offered to one waiting client. The offers made when one
    appointment was cancelled or moved share `freed` and `freed_starts_at` (the time
    it held): the first accepted books that time, and the others are told it has
    gone."""

    class Status(models.TextChoices):
        OPEN = "open", "Offered"
        ACCEPTED = "accepted", "Accepted"
        GONE = "gone", "Taken by someone else"
        WITHDRAWN = "withdrawn", "Withdrawn"

    entry = models.ForeignKey(
        WaitlistEntry, on_delete=models.CASCADE, related_name="offers"
    )
    freed = models.ForeignKey(
        Appointment,
        on_delete=models.CASCADE,
        related_name="waitlist_offers",
        db_index=False,
    )
    freed_starts_at = models.DateTimeField()
    practitioner = models.ForeignKey(Practitioner, on_delete=models.PROTECT)
    location = models.ForeignKey(Location, on_delete=models.PROTECT)
    starts_at = models.DateTimeField()
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.OPEN
    )
    appointment = models.ForeignKey(
        Appointment, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(
                fields=["freed", "freed_starts_at"], name="waitlist_offer_freed"
            )
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["entry", "freed", "freed_starts_at"],
                name="waitlist_offer_once_per_freed_time",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["open", "accepted", "gone", "withdrawn"]),
                name="waitlist_offer_status_valid",
            ),
            models.CheckConstraint(
                condition=~Q(status="accepted") | Q(appointment__isnull=False),
                name="waitlist_offer_accepted_has_appointment",
            ),
        ]

    def __str__(self):
        return f"{self.entry.service} offered to {self.entry.client}"
