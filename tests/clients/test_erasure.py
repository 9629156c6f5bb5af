"""Erasure erases (GDPR Art. 17): every row about the client, found by introspection,
loses its free text but for what the regulations keep (needles, cartridge lots, the
licence, dilutions); waitlist entries, messages, photos, intake go; what is left is
for managers only, on every page, and the client's signed links answer 410."""

from datetime import timedelta

import pytest
from django.apps import apps
from django.db import transaction
from django.utils import timezone

from appointments.models import Appointment, WaitlistEntry, WaitlistOffer
from clients.models import (
    Client,
    Consent,
    Contraindication,
    PatchTest,
    SuitabilityDecision,
)
from messaging import links
from messaging.models import OutboundMessage
from payments.models import LedgerEntry
from privacy import records as privacy
from privacy.services import client_erase
from tests.smp_clinic.test_access_matrix import (
    POST_BODIES,
    Rollback,
    World,
    project_routes,
)
from treatments.models import (
    Photo,
    SessionNeedle,
    SessionPigment,
    TreatmentPlan,
    TreatmentSession,
)

HOSTILE = '<b hx-get="/x" hx-trigger=load>"{{x}}\'</b> Finasteride, keloid\x00'


def hostile_for(field, pk: int) -> str:
    text = f"{HOSTILE.replace(chr(0), '')} {pk}"
    return text[: field.max_length] if field.max_length else text


def fill_every_free_text(client: Client) -> int:
    """Write text into every free-text field of every row about the client; return
    how many fields were written."""
    written = 0
    for model, lookups in privacy.client_row_models().items():
        if model is LedgerEntry:
            continue  # append-only (a trigger on PostgreSQL), and kept whole
        fields = [model._meta.get_field(n) for n in privacy.free_text_fields(model)]
        for row in privacy.rows_about(model, lookups, [client.pk]):
            values = {f.name: hostile_for(f, row.pk) for f in fields if not f.unique}
            if values:
                model._default_manager.filter(pk=row.pk).update(**values)
                written += len(values)
    return written


@pytest.fixture
def world(db, settings, tmp_path, manager):
    """The demo data, and one client with a row in every model about a client."""
    settings.MEDIA_ROOT = tmp_path
    world = World()
    person = world.client
    plan = world.plan
    past = Appointment.objects.filter(client=person).order_by("starts_at").first()
    past.status, past.cancellation_reason = "cancelled", "Her husband is ill"
    past.overlap_approved_by, past.overlap_reason = manager, "Squeezed in for Jo"
    past.save()
    world.appointment = (
        Appointment.objects.filter(client=person, starts_at__gt=timezone.now()).first()
        or past
    )
    world.waitlist_entry = WaitlistEntry.objects.create(
        client=person,
        service=plan.service,
        earliest_on=timezone.localdate(),
        latest_on=timezone.localdate() + timedelta(days=30),
        notes="Only after her chemo",
    )
    world.waitlist_offer = WaitlistOffer.objects.create(
        entry=world.waitlist_entry,
        freed=past,
        freed_starts_at=past.starts_at,
        practitioner=past.practitioner,
        location=past.location,
        starts_at=past.starts_at,
    )
    world.contraindication = Contraindication.objects.create(
        client=person, kind="blood_thinners", severity="clearance", notes="Warfarin"
    )
    world.patch_test = PatchTest.objects.filter(client=person).first()
    world.consent = Consent.objects.filter(client=person).first()
    world.message = OutboundMessage.objects.filter(client=person).first()
    world.photo = Photo.objects.filter(client=person).first()
    SessionNeedle.objects.create(
        session=world.session, needle="3RL", cartridge_lot="C1"
    )
    assert fill_every_free_text(person) > 20
    return world


def erase(person, manager):
    return client_erase(
        client=person,
        by=manager,
        reason="Request of 20 Nov",
        confirm_name=person.full_name,
    )


def test_every_model_with_a_foreign_key_to_the_client_is_found(capsys):
    found = privacy.client_row_models()
    direct = {
        model
        for model in apps.get_models()
        for field in model._meta.concrete_fields
        if field.is_relation and field.related_model is Client
    }

    assert direct <= set(found)
    # And the rows below them: an appointment's session record and its pigments.
    assert {TreatmentSession, SessionPigment, WaitlistOffer, TreatmentPlan} <= set(
        found
    )
    assert set(privacy.DELETED_ON_ERASURE) <= set(found)
    with capsys.disabled():
        print("\nerasure: rows about a client, and the free text emptied")
        for model in sorted(found, key=lambda m: m._meta.label):
            if model in privacy.DELETED_ON_ERASURE:
                print(f"  {model._meta.label}: deleted")
            else:
                fields = ", ".join(privacy.erased_text_fields(model)) or "-"
                print(f"  {model._meta.label}: {fields}")


def test_no_free_text_of_an_erased_clients_rows_holds_text(world, manager):
    person = world.client
    row_models = privacy.client_row_models()
    before = {
        model: privacy.rows_about(model, lookups, [person.pk]).count()
        for model, lookups in row_models.items()
    }
    assert before[WaitlistEntry] and before[TreatmentSession] and before[Appointment]

    erase(person, manager)

    checked = 0
    for model, lookups in row_models.items():
        rows = privacy.rows_about(model, lookups, [person.pk])
        if model in privacy.DELETED_ON_ERASURE:
            assert not rows.exists(), model._meta.label
            continue
        placeholders = privacy.PLACEHOLDERS.get(model, {})
        for name in privacy.erased_text_fields(model):
            for value in rows.values_list(name, flat=True):
                checked += 1
                assert value in ("", placeholders.get(name)), (
                    f"{model._meta.label}.{name} holds {value!r}"
                )
    assert checked > 20
    person.refresh_from_db()
    for name in privacy.free_text_fields(Client):
        if name not in ("first_name", "last_name"):
            assert getattr(person, name) == "", name
    assert not WaitlistOffer.objects.filter(entry__client=person).exists()
    # Kept for pigment traceability.
    session = TreatmentSession.objects.get(pk=world.session.pk)
    assert session.licence_number and session.needle
    assert SessionPigment.objects.filter(session=session).exists()
    further = SessionNeedle.objects.get(session=session)
    assert further.needle and further.cartridge_lot
    assert SuitabilityDecision.objects.filter(client=person).exists()
    assert Consent.objects.filter(client=person).exists()


def client_scoped_routes(world) -> dict[str, str]:
    """Every route whose id names the client or a row about them: route -> URL."""
    person = world.client
    row_models = privacy.client_row_models()
    scoped = {}
    for route in project_routes():
        if "<int:pk>" not in route and "<appointment_id>" not in route:
            continue
        record = world.record_for(route)
        model = type(record)
        if record == person or (
            model in row_models
            and privacy.rows_about(model, row_models[model], [person.pk])
            .filter(pk=record.pk)
            .exists()
        ):
            scoped[route] = world.url(route)
    return scoped


def test_what_is_left_of_an_erased_client_is_for_managers_only_on_every_page(
    client, world, front_desk, practitioner, manager, outsider, capsys
):
    scoped = client_scoped_routes(world)
    erase(world.client, manager)
    counts = {"requests": 0, "refused": 0, "manager served": 0}
    leaks, errors = [], []
    for route, url in scoped.items():
        for role, user in (
            ("front desk", front_desk),
            ("practitioner", practitioner),
            ("outsider", outsider),
            ("manager", manager),
        ):
            for method in ("GET", "POST"):
                # Outside the rolled-back block: the session's row must outlive it
                # as its cached copy does (cached_db sessions).
                client.force_login(user)
                try:
                    with transaction.atomic():
                        if method == "POST" and route in POST_BODIES:
                            response = client.post(
                                url, POST_BODIES[route], content_type="application/json"
                            )
                        else:
                            response = getattr(client, method.lower())(url)
                        raise Rollback(response.status_code)
                except Rollback as done:
                    status = done.args[0]
                counts["requests"] += 1
                if status >= 500:
                    errors.append((role, method, route, status))
                elif role == "manager":
                    counts["manager served"] += status < 400
                elif status in (403, 404, 405):
                    counts["refused"] += 1
                else:
                    leaks.append((role, method, route, status))

    with capsys.disabled():
        print(
            f"\nerased client: {len(scoped)} client pages x 4 roles x GET/POST, "
            f"{counts['requests']} requests; refused to staff {counts['refused']}, "
            f"served to managers {counts['manager served']}, shown to others "
            f"{len(leaks)}, server errors {len(errors)}"
        )
    assert not leaks, "\n".join(map(str, leaks))
    assert not errors, "\n".join(map(str, errors))
    assert len(scoped) >= 25
    # The manager still reads what is kept.
    client.force_login(manager)
    assert client.get(f"/clients/{world.client.pk}/").status_code == 200
    assert client.get(f"/plans/{world.plan.pk}/").status_code == 200


def test_an_erased_clients_signed_links_answer_410(client, world, manager):
    appointment = world.appointment
    person = world.client
    urls = [
        links.action_url(action, appointment) for action in ("confirm", "cancel")
    ] + [links.unsubscribe_url(person), links.waitlist_url(world.waitlist_offer)]
    urls = [url.removeprefix("http://127.0.0.1:8000") for url in urls]
    assert client.get(urls[0]).status_code == 200

    erase(person, manager)

    for url in urls:
        assert client.get(url).status_code == 410, url
        assert client.post(url).status_code == 410, url
