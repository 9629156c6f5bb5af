"""Demo pigments and lots for `seed_demo`."""

import io
import random
from datetime import date, time, timedelta

from django.utils import timezone
from PIL import Image, ImageDraw

from appointments import selectors as schedule_selectors
from appointments import slots
from appointments.models import Appointment, Practitioner, Service, WorkingHours
from clients import selectors as client_selectors
from clients import services as client_services
from clients.models import STAGES, Client, ConsentKind, HairLossCause, PatchTest, Scale
from pigments.models import Pigment, PigmentLot
from treatments import hooks, selectors, services
from treatments.models import Healing, PlanStatus, PriceBasis, SessionPigment

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
                # Opened before the demo's first patch test or session used it.
                opened_on=today - timedelta(days=120),
            )
        )
        # An expired lot, kept for the records: it cannot be recorded on new work.
        PigmentLot.objects.create(
            pigment=pigment,
            lot_number=f"L{(today.year - 2) % 100:02d}{number:03d}Z",
            expires_on=today - timedelta(days=30),
        )
    return lots


def demo_photo(rng: random.Random, *, density: float) -> bytes:
    """A top-down scalp drawn with Pillow: skin, and dots as dense as the stage."""
    picture = Image.new("RGB", (480, 360), (224, 188, 160))
    draw = ImageDraw.Draw(picture)
    draw.ellipse((60, 20, 420, 340), fill=(232, 198, 172), outline=(160, 120, 100))
    for _ in range(int(6000 * density)):
        x, y = rng.randint(80, 400), rng.randint(40, 320)
        if ((x - 240) / 170) ** 2 + ((y - 180) / 150) ** 2 < 1:
            draw.point((x, y), fill=(40, 34, 32))
    out = io.BytesIO()
    picture.save(out, "JPEG", quality=80)
    return out.getvalue()


def _first_free(*, plan, location, day, span):
    """(start, room) of the first quarter hour on `day`, inside one of the
    practitioner's working blocks at `location`, where the session and its buffers
    fit and neither the practitioner nor a room is taken; None if there is none."""
    blocks = WorkingHours.objects.filter(
        practitioner_id=plan.practitioner_id, location=location, weekday=day.weekday()
    ).order_by("start_time")
    for block in blocks:
        opens = slots.wall_to_utc(day, block.start_time, location.zone)
        closes = slots.wall_to_utc(day, block.end_time, location.zone)
        starts_at = opens + span.buffer_before
        while starts_at + span.duration + span.buffer_after <= closes:
            held = span.busy(starts_at)
            for room in location.rooms.all():
                if not schedule_selectors.blocking_overlaps(
                    held=held, practitioner_id=plan.practitioner_id, room_id=room.pk
                ).exists():
                    return starts_at, room
            starts_at += timedelta(minutes=15)
    return None


def _historic_appointment(*, plan, location, day, by) -> Appointment:
    """A course session held in the past, written as history (the booking service
    books only from now on), at the first time and room free within the
    practitioner's working hours that day, or the working day before."""
    service = plan.service
    span = schedule_selectors.service_span(service)
    for back in range(7):
        found = _first_free(
            plan=plan, location=location, day=day - timedelta(days=back), span=span
        )
        if found:
            starts_at, room = found
            break
    else:
        raise RuntimeError(f"No free demo time in the week to {day}.")
    ends_at = starts_at + service.duration
    return Appointment.objects.create(
        client=plan.client,
        service=service,
        practitioner=plan.practitioner,
        location=location,
        room=room,
        starts_at=starts_at,
        ends_at=ends_at,
        busy_starts_at=starts_at - service.buffer_before,
        busy_ends_at=ends_at + service.buffer_after,
        status=Appointment.Status.COMPLETED,
        booked_by=by,
        notes="Demo history",
    )


def _record_history(session, *, rng, lots, by, photo_density=None):
    zones = {
        "frontal_hairline": "light",
        "left_temple": "light",
        "right_temple": "light",
        "mid_scalp": rng.choice(["medium", "dense"]),
        "crown": rng.choice(["medium", "dense"]),
    }
    session.zones = zones
    session.needle = rng.choice(["1RL", "3RL"])
    session.cartridge_lot = f"C{rng.randint(1000, 9999)}"
    session.depth_note = "Upper dermis, light hand at the hairline"
    session.anaesthetic = "None"
    session.skin_reaction = rng.choice(["Mild redness", "None"])
    session.licence_number = session.appointment.practitioner.licence_number
    session.recorded_by = by
    session.recorded_at = session.appointment.ends_at
    session.healing = Healing.HEALED
    session.healing_checked_by = by
    session.healing_checked_at = min(
        session.appointment.ends_at + timedelta(days=9), timezone.now()
    )
    session.save()
    lot = rng.choice(lots)
    SessionPigment.objects.create(
        session=session, lot=lot, dilution=rng.choice(["30%", "50%", "undiluted"])
    )


COURSE_PRICES = (240000, 280000, 320000)
SESSION_PRICE = 95000


def _demo_course_price(index: int) -> dict:
    if index % 5 == 4:
        return {"price_basis": PriceBasis.PER_SESSION, "price_minor": SESSION_PRICE}
    return {
        "price_basis": PriceBasis.COURSE,
        "price_minor": COURSE_PRICES[index % len(COURSE_PRICES)],
    }


def seed_plans(
    *, rng: random.Random, clients, lots, manager, booked_by, today: date
) -> None:
    """Plans at every stage for clients cleared for treatment: planned, course booked,
    in progress (session 1 held and recorded), and completed with recalls written."""
    service = Service.objects.get(kind=Service.Kind.SMP_SESSION)
    practitioners = list(Practitioner.objects.prefetch_related("locations"))
    photo_text = client_selectors.consent_texts_current()[ConsentKind.PHOTOS]
    now = timezone.now()
    for index, client in enumerate(clients):
        stage = index % 4
        # Each practitioner takes plans at every stage, four in turn, so no one
        # practitioner has more past sessions on a day than fit.
        practitioner = practitioners[index // 4 % len(practitioners)]
        location = practitioner.locations.first()
        plan = services.plan_create(
            client=client,
            practitioner=practitioner,
            service=service,
            variant=rng.choice(["permanent", "permanent", "temporary"]),
            goal=rng.choice(["full_head", "density", "hairline"]),
            hairline_style=rng.choice(["soft", "broken"]),
            recession=rng.choice(["mature", "receded"]),
            design_notes="Temple points level with the outer eye corners.",
            created_by=practitioner.user,
            # The course's price, in its clinic's currency: most a package for the
            # whole course, every fifth priced by the session.
            **_demo_course_price(index),
        )
        # The client agreed the hairline at planning (the hairline gate): these
        # clients may already have sessions booked by the schedule.
        plan = services.plan_design_sign_off(plan=plan, typed_name=client.full_name)
        if stage == 0:
            continue  # planned, not booked yet
        held = {1: 0, 2: 1, 3: plan.sessions_planned}[stage]
        client_services.consent_sign(
            client=client, text=photo_text, typed_name=client.full_name, by=manager
        )
        services.photo_add(
            client=client,
            data=demo_photo(rng, density=0.05),
            kind="before",
            view="top",
            plan=plan,
            caption="Before session 1",
            by=practitioner.user,
        )
        # In progress: session 1 five days ago, so session 2 falls due next week.
        # Completed: the course ended a month ago.
        done = held == plan.sessions_planned
        start_day = today - timedelta(days=12 * (held - 1) + (30 if done else 5))
        for number in range(1, held + 1):
            day = start_day + timedelta(days=12 * (number - 1))
            session = plan.sessions.get(number=number)
            session.appointment = _historic_appointment(
                plan=plan, location=location, day=day, by=booked_by
            )
            _record_history(session, rng=rng, lots=lots, by=practitioner.user)
            services.photo_add(
                client=client,
                data=demo_photo(rng, density=0.3 * number),
                kind="after" if number == plan.sessions_planned else "progress",
                view="top",
                session=session,
                caption=f"After session {number}",
                by=practitioner.user,
                taken_at=session.appointment.ends_at,
            )
        if done:
            plan.status = PlanStatus.COMPLETED
            plan.completed_at = now - timedelta(days=1)
            plan.save()
            hooks.plan_completed(plan=plan, location=location, now=plan.completed_at)
            continue
        plan = selectors.plan_get_for_user(manager, plan.pk)
        for first in range(1, 30, 3):
            proposal = selectors.course_proposal(
                plan=plan, first_day=today + timedelta(days=first), location=location
            )
            starts = {r.session.number: r.slot.start for r in proposal.rows if r.slot}
            if len(starts) != len(proposal.rows):
                continue
            try:
                services.course_book(
                    plan=plan, starts=starts, location=location, booked_by=booked_by
                )
            except services.CourseError:
                continue
            break


def seed_untested_pigment_client(*, lots, manager, today: date):
    """Robin Untested: cleared for treatment and patch-tested with the first demo
    pigment only, checked in early today for session 1. Recording any other pigment
    on the session is refused, naming it."""
    service = Service.objects.get(kind=Service.Kind.SMP_SESSION)
    practitioner = Practitioner.objects.order_by("pk").first()
    location = practitioner.locations.first()
    robin = Client.objects.create(
        first_name="Robin",
        last_name="Untested",
        date_of_birth=date(1988, 5, 5),
        email="robin.untested@example.com",
    )
    client_services.intake_save(
        client=robin,
        fields={
            "hair_loss_cause": HairLossCause.ANDROGENETIC,
            "scale": Scale.NORWOOD,
            "stage": STAGES[Scale.NORWOOD][4],
            "fitzpatrick": 3,
            "hair_colour": "dark brown",
            "pigment_reaction": False,
        },
        by=manager,
    )
    texts = client_selectors.consent_texts_current()
    client_services.consent_sign(
        client=robin,
        text=texts[ConsentKind.TREATMENT],
        typed_name=robin.full_name,
        by=manager,
    )
    now = timezone.now()
    test = client_services.patch_test_apply(
        client=robin,
        lots=[lots[0]],
        applied_at=now - timedelta(days=10),
        notes="Behind the left ear: one pigment only",
        by=manager,
    )
    client_services.patch_test_read(
        patch_test=test,
        result=PatchTest.Result.PASSED,
        read_at=now - timedelta(days=7),
        notes="No reaction",
        by=manager,
    )
    client_services.suitability_decide(
        client=robin,
        decision=client_selectors.client_assessment(robin, today).recommendation,
        by=manager,
        today=today,
    )
    plan = services.plan_create(
        client=robin,
        practitioner=practitioner,
        service=service,
        variant="permanent",
        goal="full_head",
        hairline_style="soft",
        recession="mature",
        created_by=manager,
        **_demo_course_price(0),
    )
    plan = services.plan_design_sign_off(plan=plan, typed_name=robin.full_name)
    # Early, before the day's bookings (from 09:00 with their buffers), so it
    # overlaps nobody's time.
    starts_at = slots.wall_to_utc(today, time(5), location.zone)
    ends_at = starts_at + service.duration
    session = plan.sessions.get(number=1)
    session.appointment = Appointment.objects.create(
        client=robin,
        service=service,
        practitioner=practitioner,
        location=location,
        room=location.rooms.first(),
        starts_at=starts_at,
        ends_at=ends_at,
        busy_starts_at=starts_at - service.buffer_before,
        busy_ends_at=ends_at + service.buffer_after,
        status=Appointment.Status.CHECKED_IN,
        booked_by=manager,
        notes="Demo: the patch test covers only one pigment",
    )
    session.save(update_fields=["appointment"])
    return robin
