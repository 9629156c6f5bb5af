from collections.abc import Iterable
from datetime import date

from pigments.models import PigmentLot


def lots_for_picker(on: date, *, keep: Iterable[int] = ()) -> list[PigmentLot]:
    """The lots a session or patch test on `on` may use, for a picker: in use, in
    date and within their shelf life after opening. The lots in `keep` (already
    recorded on what is being edited) stay whatever their state, with `unusable` set
    to why they would be refused now ("" when they would not)."""
    keep = set(keep)
    lots = []
    for lot in PigmentLot.objects.select_related("pigment").order_by(
        "pigment__brand", "pigment__shade", "-expires_on", "lot_number"
    ):
        lot.unusable = lot.unusable_reason(on)
        if not lot.unusable or lot.pk in keep:
            lots.append(lot)
    return lots
