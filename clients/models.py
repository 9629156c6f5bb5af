from datetime import date

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Lower

from clients.storage import private_storage
from core import validators


class ContactMethod(models.TextChoices):
    EMAIL = "email", "Email"
    PHONE = "phone", "Phone call"
    SMS = "sms", "Text message"


class SearchText(models.Func):
    """Columns joined with spaces by `||`: an immutable operator, so the expression
    can be indexed (PostgreSQL's CONCAT() cannot be)."""

    arg_joiner = " || ' ' || "
    template = "(%(expressions)s)"
    output_field = models.TextField()


def search_text() -> SearchText:
    """What a client search matches each word against: names and email in one text,
    so one trigram index serves every word (three indexes, one per column, left the
    planner preferring to read the whole table: bench/RESULTS.md)."""
    return SearchText("first_name", "last_name", "email")


class Client(models.Model):
    """A person who books consultations and treatments. Clients have no login."""

    first_name = models.CharField(max_length=100)
    last_name = models.CharField(max_length=100)
    date_of_birth = models.DateField(null=True, blank=True)
    email = models.EmailField(blank=True)
    # E.164 (+447700900123), normalised by clients.phones on the way in.
    phone = models.CharField(max_length=32, blank=True)
    preferred_contact = models.CharField(
        max_length=8, choices=ContactMethod.choices, default=ContactMethod.EMAIL
    )
    reminder_consent = models.BooleanField(
        default=True, help_text="Appointment reminders and recalls by email."
    )
    # Aftercare is care, not a reminder: it stops only when the client has no email
    # address or has opted out of every email (this).
    email_opt_out = models.BooleanField(
        "Opted out of all email",
        default=False,
        help_text="No email of any kind, aftercare included.",
    )
    # Carriers require STOP to end every text at once (a reply handled by
    # messaging); START undoes it. Email is not affected.
    sms_opt_out = models.BooleanField(
        "Opted out of text messages",
        default=False,
        help_text="Replied STOP: no text message of any kind; email instead.",
    )
    # The SMS provider said the number cannot take texts (a landline, an invalid
    # number): messages go by email instead until the phone number changes.
    sms_unreachable = models.BooleanField(
        "Phone cannot take text messages",
        default=False,
        help_text="A landline or invalid number: messages go by email instead.",
    )
    marketing_consent = models.BooleanField(default=False)
    notes = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # Erasure (GDPR Art. 17) removes the person; the session and pigment-lot facts
    # the regulations require stay, anonymised, until `retain_until`.
    erased_at = models.DateTimeField(null=True, blank=True)
    retain_until = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["last_name", "first_name", "pk"]
        indexes = [
            models.Index(
                Lower("last_name"), Lower("first_name"), name="client_name_idx"
            ),
            models.Index(Lower("email"), name="client_email_idx"),
            models.Index(fields=["phone"], name="client_phone_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(erased_at__isnull=True, retain_until__isnull=True)
                | Q(erased_at__isnull=False, retain_until__isnull=False),
                name="client_erasure_has_retention",
            ),
        ]
        # On PostgreSQL, trigram (pg_trgm) GIN indexes serve the search-as-you-type:
        # one on UPPER(search_text()) for names and email (migration 0010), one on
        # the phone (0003).

    def __str__(self):
        return self.full_name

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    @property
    def can_take_sms(self) -> bool:
        return bool(self.phone) and not self.sms_opt_out and not self.sms_unreachable


class HairLossCause(models.TextChoices):
    ANDROGENETIC = "androgenetic", "Androgenetic (pattern) hair loss"
    ALOPECIA_AREATA = "alopecia_areata", "Alopecia areata"
    ALOPECIA_TOTALIS = "alopecia_totalis", "Alopecia totalis / universalis"
    SCARRING = "scarring", "Scarring alopecia"
    TRANSPLANT_SCARS = "transplant_scars", "Hair transplant scars"
    CHEMOTHERAPY = "chemotherapy", "Chemotherapy"
    OTHER = "other", "Other"


class Scale(models.TextChoices):
    NORWOOD = "norwood", "Norwood-Hamilton"
    LUDWIG = "ludwig", "Ludwig"
    SAVIN = "savin", "Savin"


# The stages of each scale, in order; the intake pictures are drawn per stage.
STAGES = {
    Scale.NORWOOD: ["I", "II", "III", "III vertex", "IV", "V", "VI", "VII"],
    Scale.LUDWIG: ["I", "II", "III"],
    Scale.SAVIN: ["I-1", "I-2", "I-3", "I-4", "II-1", "II-2", "III", "Advanced"],
}


# Fitzpatrick skin types as the intake offers them and the client page shows them.
FITZPATRICK_TYPES = {
    1: "I: always burns, never tans",
    2: "II: usually burns, tans minimally",
    3: "III: sometimes burns, tans gradually",
    4: "IV: burns minimally, tans well",
    5: "V: rarely burns, tans deeply",
    6: "VI: never burns",
}


class Intake(models.Model):
    """A client's intake; each section is saved on its own as the practitioner goes."""

    class Transplant(models.TextChoices):
        NONE = "", "None"
        FUE = "fue", "FUE"
        FUT = "fut", "FUT (strip)"

    client = models.OneToOneField(
        Client, on_delete=models.CASCADE, related_name="intake"
    )
    # Hair loss
    hair_loss_cause = models.CharField(
        max_length=20, choices=HairLossCause.choices, blank=True
    )
    hair_loss_notes = models.TextField(blank=True)
    alopecia_active = models.BooleanField(
        default=False, help_text="Areas are still changing (loss or regrowth)."
    )
    transplant = models.CharField(max_length=3, choices=Transplant.choices, blank=True)
    transplant_on = models.DateField(
        null=True, blank=True, help_text="Date of the last transplant or scar surgery."
    )
    # Classification
    scale = models.CharField(max_length=10, choices=Scale.choices, blank=True)
    stage = models.CharField(max_length=10, blank=True)
    # Skin and hair
    fitzpatrick = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(6)],
        verbose_name="Fitzpatrick skin type",
    )
    hair_colour = models.CharField(max_length=50, blank=True)
    # Health
    medical_history = models.TextField(blank=True)
    medications = models.TextField(blank=True)
    allergies = models.TextField(blank=True)
    # None until the health section is answered (the intake is not complete without
    # it); the details say what happened.
    pigment_reaction = models.BooleanField(
        null=True, blank=True, verbose_name="Previous pigment or tattoo reactions"
    )
    pigment_reactions = models.TextField(
        blank=True, verbose_name="What happened (pigment or tattoo reaction)"
    )
    chemotherapy_ended_on = models.DateField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(fitzpatrick__isnull=True)
                | Q(fitzpatrick__gte=1, fitzpatrick__lte=6),
                name="intake_fitzpatrick_range",
            ),
            models.CheckConstraint(
                condition=Q(stage="") | ~Q(scale=""),
                name="intake_stage_needs_scale",
            ),
        ]

    def __str__(self):
        return f"Intake of {self.client}"

    @property
    def stage_text(self) -> str:
        """'Norwood-Hamilton III vertex', or '' when no stage is recorded."""
        if not (self.scale and self.stage):
            return ""
        return f"{Scale(self.scale).label} {self.stage}"

    @property
    def fitzpatrick_text(self) -> str:
        return FITZPATRICK_TYPES.get(self.fitzpatrick, "")

    @property
    def health_answered(self) -> bool:
        """The health section is saved once reactions are answered yes or no; before
        that, empty medications mean "not asked", not "none"."""
        return self.pigment_reaction is not None


class IntakeSection(models.TextChoices):
    """The intake's sections, by the slugs of the staff intake's forms."""

    HAIR_LOSS = "hair-loss", "Hair loss"
    CLASSIFICATION = "classification", "Classification"
    SKIN_HAIR = "skin-hair", "Skin and hair"
    HEALTH = "health", "Health"


# The Intake's fields in each section, as the staff intake's forms edit them.
INTAKE_SECTION_FIELDS = {
    IntakeSection.HAIR_LOSS: (
        "hair_loss_cause",
        "alopecia_active",
        "transplant",
        "transplant_on",
        "chemotherapy_ended_on",
        "hair_loss_notes",
    ),
    IntakeSection.CLASSIFICATION: ("scale", "stage"),
    IntakeSection.SKIN_HAIR: ("fitzpatrick", "hair_colour"),
    IntakeSection.HEALTH: (
        "medical_history",
        "medications",
        "allergies",
        "pigment_reaction",
        "pigment_reactions",
    ),
}


class IntakeEntry(models.Model):
    """One section of the intake as the client entered it in the portal, kept apart
    from the Intake until a practitioner confirms it: the Intake holds only what a
    practitioner recorded or confirmed, so suitability and the gates before
    treatment never read a client's unreviewed answer, and nothing the client
    enters can overwrite a confirmed one. While unreviewed there is one entry per
    section (entering again replaces its answers); a review closes it."""

    class Outcome(models.TextChoices):
        PENDING = "", "Waiting for review"
        CONFIRMED = "confirmed", "Confirmed by a practitioner"
        SET_ASIDE = "set_aside", "Set aside by a practitioner"

    client = models.ForeignKey(
        Client, on_delete=models.CASCADE, related_name="intake_entries"
    )
    section = models.CharField(max_length=20, choices=IntakeSection.choices)
    # Field name -> value as JSON (dates in ISO format), the fields of the section.
    answers = models.JSONField()
    entered_at = models.DateTimeField()
    outcome = models.CharField(
        max_length=10, choices=Outcome.choices, blank=True, default=""
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name_plural = "intake entries"
        ordering = ["client", "section", "-entered_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["client", "section"],
                condition=Q(outcome=""),
                name="intake_entry_one_pending_per_section",
            ),
            models.CheckConstraint(
                condition=Q(outcome="", reviewed_at__isnull=True)
                | (~Q(outcome="") & Q(reviewed_at__isnull=False)),
                name="intake_entry_reviewed_has_time",
            ),
        ]

    def __str__(self):
        return f"{IntakeSection(self.section).label} entered by client {self.client_id}"

    @property
    def is_pending(self) -> bool:
        return self.outcome == self.Outcome.PENDING


class TreatmentGates(models.Model):
    """Which gates before treatment this clinic enforces (appointments.gates). One
    row; every gate is on until a manager turns it off under Set-up -> Gates. The
    patch test is the service's own setting ("needs a patch test")."""

    intake = models.BooleanField(
        "Intake complete", default=True, help_text="Every section of the intake."
    )
    suitability = models.BooleanField(
        "Suitability decision allows it",
        default=True,
        help_text="A practitioner's decision that allows treatment on the day.",
    )
    consent = models.BooleanField(
        "Treatment consent signed",
        default=True,
        help_text="Signed on the current version of the treatment consent text.",
    )
    age = models.BooleanField(
        "Minimum age",
        default=True,
        help_text="Date of birth recorded and the client of the minimum age "
        "(TREATMENT_MINIMUM_AGE, 18) on the day.",
    )
    hairline = models.BooleanField(
        "Hairline design signed off",
        default=True,
        help_text="Before a plan's first session, the client agrees to the design.",
    )
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name_plural = "treatment gates"
        constraints = [
            models.CheckConstraint(condition=Q(id=1), name="treatment_gates_one_row")
        ]

    def __str__(self):
        return "Gates before treatment"


class ContraindicationKind(models.TextChoices):
    KELOID = "keloid", "Keloid or hypertrophic scarring"
    PIGMENT_ALLERGY = "pigment_allergy", "Allergy to pigment"
    BLOOD_DISORDER = "blood_disorder", "Blood disorder"
    PSORIASIS = "psoriasis", "Active scalp psoriasis"
    ECZEMA = "eczema", "Active scalp eczema"
    INFECTION = "infection", "Scalp infection, acne or sunburn"
    PREGNANCY = "pregnancy", "Pregnancy or breastfeeding"
    RETINOIDS = "retinoids", "Isotretinoin or retinoids"
    LASER = "laser", "Laser removal in the last 90 days"
    BLOOD_THINNERS = "blood_thinners", "Blood thinners"
    HEART = "heart", "Heart condition or high blood pressure"
    DIABETES = "diabetes", "Diabetes"
    EPILEPSY = "epilepsy", "Epilepsy"
    IMMUNE = "immune", "Immune disorder"
    SCARRING_ALOPECIA = "scarring_alopecia", "Scarring alopecia: stable?"
    VITILIGO = "vitiligo", "Vitiligo"
    OTHER = "other", "Other"


class Severity(models.TextChoices):
    ABSOLUTE = "absolute", "Absolute"
    TEMPORARY = "temporary", "Temporary, until a date"
    CLEARANCE = "clearance", "Needs a doctor's clearance"


class Contraindication(models.Model):
    Kind = ContraindicationKind

    client = models.ForeignKey(
        Client, on_delete=models.CASCADE, related_name="contraindications"
    )
    kind = models.CharField(max_length=20, choices=ContraindicationKind.choices)
    severity = models.CharField(max_length=10, choices=Severity.choices)
    until = models.DateField(
        null=True, blank=True, help_text="For a temporary one: when it should be over."
    )
    notes = models.TextField(blank=True)
    clearance_document = models.FileField(
        storage=private_storage,
        upload_to="clearances/%Y/%m/",
        blank=True,
        help_text="The doctor's letter: PDF, JPEG or PNG.",
    )
    cleared_on = models.DateField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-recorded_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(severity="temporary") | Q(until__isnull=False),
                name="contraindication_temporary_needs_until",
                violation_error_message="A temporary contraindication needs a date.",
            ),
            models.CheckConstraint(
                condition=Q(cleared_on__isnull=True) | ~Q(clearance_document=""),
                name="contraindication_clearance_needs_document",
                violation_error_message="Upload the doctor's clearance to clear it.",
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} ({self.get_severity_display().lower()})"

    @property
    def is_active(self) -> bool:
        return self.resolved_at is None

    @property
    def severity_text(self) -> str:
        """'Temporary until 5 Dec 2026', never 'Temporary, until a date until …'."""
        if self.severity == Severity.TEMPORARY and self.until:
            return f"Temporary until {self.until:%-d %b %Y}"
        return self.get_severity_display()


class Recommendation(models.TextChoices):
    SUITABLE = "suitable", "Suitable"
    CAUTION = "caution", "Suitable with caution"
    DEFER = "defer", "Defer until a date"
    CLEARANCE = "clearance", "Needs a doctor's clearance"
    NOT_SUITABLE = "not_suitable", "Not suitable"


def recommendation_text(recommendation: str, defer_until: date | None) -> str:
    if recommendation == Recommendation.DEFER and defer_until:
        return f"Defer until {defer_until:%-d %b %Y}"
    return Recommendation(recommendation).label


class SuitabilityDecision(models.Model):
    """A practitioner's signed decision; the latest one is the client's status."""

    client = models.ForeignKey(
        Client, on_delete=models.CASCADE, related_name="suitability_decisions"
    )
    recommended = models.CharField(max_length=12, choices=Recommendation.choices)
    reasons = models.JSONField(default=list)
    decision = models.CharField(max_length=12, choices=Recommendation.choices)
    defer_until = models.DateField(null=True, blank=True)
    override_reason = models.TextField(blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField()

    class Meta:
        ordering = ["-decided_at", "-pk"]
        indexes = [
            models.Index(fields=["client", "-decided_at"], name="suitability_latest")
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(decision=F("recommended")) | ~Q(override_reason=""),
                name="suitability_override_needs_reason",
                violation_error_message=(
                    "Give a reason for deciding against the recommendation."
                ),
            ),
            models.CheckConstraint(
                condition=~Q(decision="defer") | Q(defer_until__isnull=False),
                name="suitability_defer_needs_date",
                violation_error_message="A deferral needs a date.",
            ),
        ]

    def __str__(self):
        return f"{self.decision_text} ({self.decided_at:%-d %b %Y})"

    @property
    def allows_treatment(self) -> bool:
        return self.decision in (Recommendation.SUITABLE, Recommendation.CAUTION)

    @property
    def decision_text(self) -> str:
        """'Defer until 5 Dec 2026', never 'Defer until a date until …'."""
        return recommendation_text(self.decision, self.defer_until)

    def allows_treatment_on(self, day: date) -> bool:
        if self.decision == Recommendation.DEFER:
            return self.defer_until is not None and day >= self.defer_until
        return self.allows_treatment


class PatchTest(models.Model):
    class Result(models.TextChoices):
        PENDING = "pending", "Waiting to be read"
        PASSED = "passed", "Passed"
        FAILED = "failed", "Failed"
        WAIVED = "waived", "Waived by the client"

    client = models.ForeignKey(
        Client, on_delete=models.CASCADE, related_name="patch_tests"
    )
    lots = models.ManyToManyField("pigments.PigmentLot", related_name="patch_tests")
    applied_at = models.DateTimeField()
    read_at = models.DateTimeField(null=True, blank=True)
    result = models.CharField(
        max_length=8, choices=Result.choices, default=Result.PENDING
    )
    notes = models.TextField(blank=True)
    # A waiver is a signed consent of kind "patch test waiver".
    waiver = models.ForeignKey(
        "clients.Consent", null=True, blank=True, on_delete=models.PROTECT
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    # A test recorded by mistake (wrong client, a test never applied) is withdrawn,
    # never deleted: the row and the audit trail keep what was recorded, and the
    # gates and the suitability rules treat it as absent.
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    withdrawal_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["-applied_at", "-pk"]
        indexes = [
            models.Index(fields=["client", "-applied_at"], name="patch_test_latest")
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(read_at__isnull=True) | Q(read_at__gte=F("applied_at")),
                name="patch_test_read_after_applied",
            ),
            models.CheckConstraint(
                condition=Q(result__in=["pending", "waived"])
                | Q(read_at__isnull=False),
                name="patch_test_result_needs_reading",
                violation_error_message="A passed or failed test must have been read.",
            ),
            models.CheckConstraint(
                condition=~Q(result="waived") | Q(waiver__isnull=False),
                name="patch_test_waiver_signed",
                violation_error_message="A waived test needs the client's signature.",
            ),
            models.CheckConstraint(
                condition=Q(withdrawn_at__isnull=True) | ~Q(withdrawal_reason=""),
                name="patch_test_withdrawal_has_reason",
                violation_error_message="Say why the patch test is withdrawn.",
            ),
        ]

    def __str__(self):
        return f"Patch test {self.applied_at:%d %b %Y}: {self.get_result_display()}"

    @property
    def is_withdrawn(self) -> bool:
        return self.withdrawn_at is not None


class ConsentKind(models.TextChoices):
    TREATMENT = "treatment", "Treatment"
    # Two tiers: photos in the clinical record (seen by clinicians only), and use of
    # them in marketing or the portfolio. Withdrawing the second leaves the first.
    PHOTOS = "photos", "Photographs for the clinical record"
    PHOTOS_MARKETING = "photos_marketing", "Photographs for marketing and portfolio"
    COMMUNICATIONS = "communications", "Communications"
    PATCH_TEST_WAIVER = "patch_test_waiver", "Patch test waiver"


class ConsentText(models.Model):
    """A version of a consent's wording; a new version asks every client again."""

    kind = models.CharField(max_length=20, choices=ConsentKind.choices)
    version = models.PositiveIntegerField()
    title = models.CharField(max_length=200)
    body = models.TextField()
    published_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["kind", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "version"], name="consent_text_version_unique"
            )
        ]

    def __str__(self):
        return f"{self.title} (version {self.version})"


class Consent(models.Model):
    class Method(models.TextChoices):
        DRAWN = "drawn", "Signature drawn on screen"
        TYPED = "typed", "Name typed"
        # The client was erased: the consent was given, the signature is gone.
        ERASED = "erased", "Signed (signature erased with the client)"

    client = models.ForeignKey(
        Client, on_delete=models.CASCADE, related_name="consents"
    )
    text = models.ForeignKey(ConsentText, on_delete=models.PROTECT, related_name="+")
    method = models.CharField(max_length=6, choices=Method.choices)
    typed_name = models.CharField(max_length=200, blank=True)
    signature = models.ImageField(
        storage=private_storage, upload_to="signatures/%Y/%m/", blank=True
    )
    signed_at = models.DateTimeField()
    # None: signed by the client on their own phone (the portal), with no witness.
    witnessed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    withdrawn_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-signed_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(method="typed") & ~Q(typed_name=""))
                | (Q(method="drawn") & ~Q(signature=""))
                | Q(method="erased", typed_name="", signature=""),
                name="consent_is_signed",
                violation_error_message="Draw a signature or type the client's name.",
            )
        ]

    def __str__(self):
        return f"{self.text} signed {self.signed_at:%d %b %Y}"


# Migration clients 0008 names these validators here, where they were first written.
reminder_hours_validate = validators.reminder_hours_validate
recall_months_validate = validators.recall_months_validate
