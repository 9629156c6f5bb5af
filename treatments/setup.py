"""The pigment and lot lists of Set-up (appointments.setup_views), registered by
TreatmentsConfig.ready()."""

from appointments.setup_views import RecordKind, setup_kind_register, yes_no
from pigments.models import Pigment, PigmentLot
from treatments.forms import PigmentForm, PigmentLotForm


def register() -> None:
    setup_kind_register(
        "pigments",
        RecordKind(
            "Pigments",
            "pigment",
            PigmentForm,
            lambda: Pigment.objects.all(),
            (
                ("Brand", lambda r: r.brand),
                ("Shade", lambda r: r.shade),
                ("In use", lambda r: yes_no(r.is_active)),
            ),
            "Pigment products with their label data; each batch is a lot.",
        ),
        before="closures",
    )
    setup_kind_register(
        "lots",
        RecordKind(
            "Pigment lots",
            "lot",
            PigmentLotForm,
            lambda: PigmentLot.objects.select_related("pigment"),
            (
                ("Pigment", lambda r: r.pigment),
                ("Lot", lambda r: r.lot_number),
                ("Expires", lambda r: f"{r.expires_on:%d %b %Y}"),
                ("Opened", lambda r: f"{r.opened_on:%d %b %Y}" if r.opened_on else "—"),
                ("Use by", lambda r: f"{r.use_by():%d %b %Y}"),
                ("Status", lambda r: r.get_status_display()),
            ),
            "Every batch in stock. A lot past its expiry or its shelf life after "
            "opening, quarantined or recalled cannot be recorded on a patch test or a "
            "session. Recall lists every client who received a lot, and quarantines or "
            "recalls it.",
        ),
        before="closures",
    )
