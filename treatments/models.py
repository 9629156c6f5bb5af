from django.conf import settings
from django.db import models
from django.db.models import F, Q

from clients.storage import private_storage
from core.money import CURRENCY_CODES, Money, validate_currency
from pigments.models import PigmentLot


class PlanVariant(models.TextChoices):
    PERMANENT = "permanent", "Permanent"
    TEMPORARY = "temporary", "Temporary (fades in 1–3 years)"


class PlanGoal(models.TextChoices):
    FULL_HEAD = "full_head", "Full-head stubble"
    DENSITY = "density", "Density behind thinning hair"
    SCAR = "scar", "Scar camouflage"
    HAIRLINE = "hairline", "Hairline"


class HairlineStyle(models.TextChoices):
    SOFT = "soft", "Soft"
    BROKEN = "broken", "Broken (natural)"
    DEFINED = "defined", "Defined"


class Recession(models.TextChoices):
    JUVENILE = "juvenile", "Juvenile (no recession)"
    MATURE = "mature", "Mature (slight recession at the temples)"
    RECEDED = "receded", "Receded"


class PriceBasis(models.TextChoices):
    COURSE = "course", "For the whole course"
    PER_SESSION = "per_session", "For each session"


class PlanStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    COMPLETED = "completed", "Completed"
    CANCELLED = "cancelled", "Cancelled"


class TreatmentPlan(models.Model):
    """An SMP course: its sessions, their spacing and the hairline the client agreed."""

    Status = PlanStatus

    client = models.ForeignKey(
        "clients.Client", on_delete=models.CASCADE, related_name="plans"
    )
    practitioner = models.ForeignKey(
        "appointments.Practitioner", on_delete=models.PROTECT, related_name="plans"
    )
    service = models.ForeignKey(
        "appointments.Service",
        on_delete=models.PROTECT,
        related_name="+",
        help_text="What each session of the course is booked as.",
    )
    variant = models.CharField(max_length=10, choices=PlanVariant.choices)
    goal = models.CharField(max_length=10, choices=PlanGoal.choices)
    sessions_planned = models.PositiveSmallIntegerField(default=3)
    gap_min_days = models.PositiveSmallIntegerField(
        default=10, help_text="Fewest days from one session to the next."
    )
    gap_max_days = models.PositiveSmallIntegerField(
        default=14, help_text="Most days from one session to the next."
    )
    hairline_style = models.CharField(
        max_length=10, choices=HairlineStyle.choices, blank=True
    )
    recession = models.CharField(max_length=10, choices=Recession.choices, blank=True)
    design_notes = models.TextField(blank=True)
    # The client's agreement to the hairline design: their typed name and when.
    design_signed_name = models.CharField(max_length=200, blank=True)
    design_signed_at = models.DateTimeField(null=True, blank=True)
    surgery_on = models.DateField(
        null=True,
        blank=True,
        help_text="Date of the scar or transplant surgery (scar camouflage).",
    )
    suitability = models.ForeignKey(
        "clients.SuitabilityDecision",
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The decision that allowed this plan.",
    )
    status = models.CharField(
        max_length=10, choices=PlanStatus.choices, default=PlanStatus.ACTIVE
    )
    # The price agreed for the course: a package for all of it, or each session's.
    # Minor units (pence, cents) of `currency`, the clinic's where it is given.
    price_basis = models.CharField(
        max_length=12, choices=PriceBasis.choices, default=PriceBasis.COURSE
    )
    price_minor = models.PositiveIntegerField("course price", default=0)
    currency = models.CharField(
        max_length=3,
        default="GBP",
        choices=CURRENCY_CODES,
        validators=[validate_currency],
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(sessions_planned__gte=1, sessions_planned__lte=8),
                name="plan_sessions_1_to_8",
                violation_error_message="A course has 1 to 8 sessions.",
            ),
            models.CheckConstraint(
                condition=Q(gap_min_days__gte=1, gap_max_days__gte=F("gap_min_days")),
                name="plan_gap_range",
                violation_error_message=(
                    "The shortest gap is at least a day and no longer than the longest."
                ),
            ),
            models.CheckConstraint(
                condition=Q(variant__in=PlanVariant.values)
                & Q(goal__in=PlanGoal.values)
                & Q(status__in=PlanStatus.values)
                & Q(price_basis__in=PriceBasis.values),
                name="plan_choices_valid",
            ),
            models.CheckConstraint(
                condition=Q(currency__regex=r"^[A-Z]{3}$"),
                name="plan_currency_iso_4217",
            ),
            models.CheckConstraint(
                condition=~Q(goal="scar") | Q(surgery_on__isnull=False),
                name="plan_scar_needs_surgery_date",
                violation_error_message="Scar camouflage needs the surgery date.",
            ),
            models.CheckConstraint(
                condition=Q(design_signed_at__isnull=True) | ~Q(design_signed_name=""),
                name="plan_design_signed_by_name",
            ),
        ]
        indexes = [models.Index(fields=["client", "status"], name="plan_client")]

    def __str__(self):
        return f"{self.get_goal_display()} ({self.get_variant_display().split()[0]})"

    @property
    def course_price(self) -> Money:
        """What the whole course costs: the package, or each session's price times
        the sessions planned."""
        sessions = 1 if self.price_basis == PriceBasis.COURSE else self.sessions_planned
        return Money(self.price_minor * sessions, self.currency)


class Zone(models.TextChoices):
    """Scalp zones on the head diagram (treatments/diagram.py draws them)."""

    FRONTAL_HAIRLINE = "frontal_hairline", "Frontal hairline"
    LEFT_TEMPLE = "left_temple", "Left temple"
    RIGHT_TEMPLE = "right_temple", "Right temple"
    MID_SCALP = "mid_scalp", "Mid-scalp"
    CROWN = "crown", "Crown"
    LEFT_SIDE = "left_side", "Left side"
    RIGHT_SIDE = "right_side", "Right side"
    BACK = "back", "Back"
    DONOR_SCAR = "donor_scar", "Donor area or scar"


class Density(models.TextChoices):
    LIGHT = "light", "Light"
    MEDIUM = "medium", "Medium"
    DENSE = "dense", "Dense"


class Healing(models.TextChoices):
    HEALED = "healed", "Healed"
    FLAGGED = "flagged", "Not healed: flagged"


class TreatmentSession(models.Model):
    """What pigment went on a client's skin in one appointment.

    Session N of a plan: the row exists from the plan; `recorded_at` is set when the
    practitioner fills in what was done. A cancelled appointment leaves the row to be
    booked again. Touch-ups, fade-check refreshes and one-off corrections have no plan:
    their row is opened from the appointment (`session_open`) and recorded the same way.
    """

    client = models.ForeignKey(
        "clients.Client", on_delete=models.CASCADE, related_name="treatment_sessions"
    )
    plan = models.ForeignKey(
        TreatmentPlan,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="sessions",
    )
    number = models.PositiveSmallIntegerField()
    appointment = models.OneToOneField(
        "appointments.Appointment",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="treatment_session",
    )
    # zone -> density, e.g. {"frontal_hairline": "light", "crown": "dense"}
    zones = models.JSONField(default=dict, blank=True)
    # As practitioners write it: "1RL 0.30", "3RL", "1RL at the hairline, 3RL behind".
    needle = models.CharField(max_length=60, blank=True)
    cartridge_lot = models.CharField(max_length=64, blank=True)
    depth_note = models.CharField(max_length=200, blank=True)
    anaesthetic = models.CharField(max_length=200, blank=True)
    skin_reaction = models.CharField(max_length=200, blank=True)
    notes = models.TextField(blank=True)
    duration_minutes = models.PositiveSmallIntegerField(null=True, blank=True)
    licence_number = models.CharField(
        max_length=64, blank=True, help_text="The practitioner's, at the time."
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    recorded_at = models.DateTimeField(null=True, blank=True)
    healing = models.CharField(max_length=8, choices=Healing.choices, blank=True)
    healing_note = models.CharField(max_length=300, blank=True)
    healing_checked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    healing_checked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["plan", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["plan", "number"], name="treatment_session_number_unique"
            ),
            models.CheckConstraint(
                condition=Q(number__gte=1), name="treatment_session_number_positive"
            ),
            models.CheckConstraint(
                condition=Q(recorded_at__isnull=True) | Q(recorded_by__isnull=False),
                name="treatment_session_recorded_by",
            ),
            models.CheckConstraint(
                condition=~Q(healing="flagged") | ~Q(healing_note=""),
                name="treatment_session_flag_has_note",
                violation_error_message="Say what has not healed.",
            ),
        ]

    def __str__(self):
        if self.plan_id is None:
            return "Session outside a course"
        return f"Session {self.number} of {self.plan.sessions_planned}"

    @property
    def is_recorded(self) -> bool:
        return self.recorded_at is not None

    def zone_list(self) -> list[tuple[str, str]]:
        """(zone label, density label) in diagram order."""
        densities = dict(Density.choices)
        return [
            (label, densities.get(self.zones[value], self.zones[value]))
            for value, label in Zone.choices
            if value in self.zones
        ]


class SessionNeedle(models.Model):
    """A further needle of a session, beside the session's own: as the practitioner
    writes it, with its cartridge lot and the zones it worked (1RL at the hairline,
    3RL behind it)."""

    session = models.ForeignKey(
        TreatmentSession, on_delete=models.CASCADE, related_name="needles"
    )
    needle = models.CharField(max_length=60)
    cartridge_lot = models.CharField(max_length=64, blank=True)
    # Zone values (Zone), in diagram order.
    zones = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["session", "pk"]
        constraints = [
            models.CheckConstraint(condition=~Q(needle=""), name="session_needle_named")
        ]

    def __str__(self):
        return self.needle

    def zone_labels(self) -> list[str]:
        labels = dict(Zone.choices)
        return [labels.get(zone, zone) for zone in self.zones]


class SessionPigment(models.Model):
    """A pigment lot used on a session, with its dilution: the recall trail."""

    session = models.ForeignKey(
        TreatmentSession, on_delete=models.CASCADE, related_name="pigments"
    )
    lot = models.ForeignKey(PigmentLot, on_delete=models.PROTECT, related_name="uses")
    dilution = models.CharField(
        max_length=60, blank=True, help_text="e.g. 50% with distilled water"
    )

    class Meta:
        ordering = ["session", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["session", "lot"], name="session_pigment_unique"
            )
        ]
        # "Which clients received lot X" walks this index.
        indexes = [models.Index(fields=["lot", "session"], name="session_pigment_lot")]

    def __str__(self):
        return f"{self.lot} ({self.dilution or 'undiluted'})"


class PhotoKind(models.TextChoices):
    BEFORE = "before", "Before"
    AFTER = "after", "After"
    PROGRESS = "progress", "Progress"
    HAIRLINE = "hairline", "Hairline reference"


class PhotoView(models.TextChoices):
    """The standard views, so that before and after compare like with like."""

    FRONT = "front", "Front"
    TOP = "top", "Top"
    LEFT = "left", "Left side"
    RIGHT = "right", "Right side"
    CROWN = "crown", "Crown"
    BACK = "back", "Back"
    DONOR_SCAR = "donor_scar", "Donor area or scar"


class Photo(models.Model):
    """A client photo, re-encoded without EXIF; served only through a checking view."""

    client = models.ForeignKey(
        "clients.Client", on_delete=models.CASCADE, related_name="photos"
    )
    plan = models.ForeignKey(
        TreatmentPlan,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="photos",
    )
    session = models.ForeignKey(
        TreatmentSession,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="photos",
    )
    kind = models.CharField(max_length=10, choices=PhotoKind.choices)
    # Empty only on photos taken before views were recorded.
    view = models.CharField(max_length=10, choices=PhotoView.choices, blank=True)
    image = models.ImageField(storage=private_storage, upload_to="photos/%Y/%m/")
    thumbnail = models.ImageField(storage=private_storage, upload_to="photos/%Y/%m/")
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    caption = models.CharField(max_length=200, blank=True)
    taken_at = models.DateTimeField()
    # None: the client sent it, with their online booking (appointment's client).
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        ordering = ["taken_at", "pk"]
        indexes = [models.Index(fields=["client", "taken_at"], name="photo_client")]
        constraints = [
            models.CheckConstraint(
                condition=Q(view="") | Q(view__in=PhotoView.values),
                name="photo_view_valid",
            )
        ]

    def __str__(self):
        view = f", {self.get_view_display().lower()}" if self.view else ""
        return f"{self.get_kind_display()} photo{view} {self.taken_at:%d %b %Y}"
