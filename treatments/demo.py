"""Demo pigments and lots for `seed_demo`."""

from datetime import date, timedelta

from treatments.models import Pigment, PigmentLot

PIGMENTS = [
    ("Perma Blend", "SMP Dark", "Carbon black (CI 77266), glycerin, water, alcohol."),
    ("Perma Blend", "SMP Medium", "Carbon black (CI 77266), iron oxides, glycerin."),
    ("Scalp Ink Co", "Ash Grey", "Carbon black (CI 77266), titanium dioxide, water."),
]


def seed_pigments(*, today: date) -> list[PigmentLot]:
    lots = []
    for number, (brand, shade, ingredients) in enumerate(PIGMENTS, start=1):
        pigment = Pigment.objects.create(
            brand=brand,
            shade=shade,
            ingredients=ingredients,
            warnings="Avoid contact with eyes. Not for use on irritated skin.",
        )
        lots.append(
            PigmentLot.objects.create(
                pigment=pigment,
                lot_number=f"L{today:%y}{number:03d}A",
                expires_on=today + timedelta(days=400),
                opened_on=today - timedelta(days=20),
            )
        )
        # An expired lot, kept for the records: it cannot be recorded on new work.
        PigmentLot.objects.create(
            pigment=pigment,
            lot_number=f"L{(today.year - 2) % 100:02d}{number:03d}Z",
            expires_on=today - timedelta(days=30),
        )
    return lots
