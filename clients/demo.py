"""Demo clients for `seed_demo`."""

import random
from datetime import date, timedelta

from django.utils import timezone

from clients import selectors, services
from clients.models import (
    STAGES,
    Client,
    ConsentKind,
    Contraindication,
    HairLossCause,
    PatchTest,
    Scale,
    Severity,
)
from core.dates import add_months

FIRST = (
    "James",
    "Oliver",
    "Mohammed",
    "Daniel",
    "Chris",
    "Marcus",
    "Ravi",
    "Tom",
    "Sarah",
    "Emma",
    "Luca",
    "Kwame",
    "Diego",
    "Hannah",
    "Wei",
    "Patrick",
)
LAST = (
    "Smith",
    "Jones",
    "Brown",
    "Taylor",
    "Khan",
    "Walker",
    "Wright",
    "Green",
    "Hughes",
    "Garcia",
    "Chen",
    "Murphy",
    "Osei",
    "Rossi",
    "Novak",
    "Evans",
)


def seed_clients(*, rng: random.Random, count: int) -> list[Client]:
    clients = []
    for n in range(count):
        first, last = rng.choice(FIRST), rng.choice(LAST)
        born = date(1965, 1, 1) + timedelta(days=rng.randrange(40 * 365))
        clients.append(
            Client(
                first_name=first,
                last_name=last,
                date_of_birth=born,
                email=f"{first}.{last}{n}@example.com".lower(),
                phone=f"+4477009{n:05d}",
                # Every third client prefers texts (not drawn from rng, which would
                # change every later draw of the seeded demo).
                preferred_contact="sms" if n % 3 == 0 else "email",
                reminder_consent=rng.random() < 0.9,
                marketing_consent=rng.random() < 0.3,
            )
        )
    return Client.objects.bulk_create(clients)


CONSENT_TEXTS = [
    (
        ConsentKind.TREATMENT,
        "Consent to scalp micropigmentation",
        "I understand that scalp micropigmentation places pigment in the upper "
        "layer of the skin, that results vary, that several sessions are needed, "
        "and that permanent SMP needs touch-ups over the years. I have told the "
        "practitioner about my health, medicines and allergies truthfully.",
    ),
    (
        ConsentKind.PHOTOS,
        "Consent to photographs",
        "I agree that the clinic photographs my scalp before and after treatment "
        "for my treatment record. The photographs are not shown to anyone else "
        "without my further consent.",
    ),
    (
        ConsentKind.PHOTOS_MARKETING,
        "Consent to photographs in marketing and the portfolio",
        "I agree that the clinic may show photographs of my scalp, without my name, "
        "in its portfolio, website and social media. I can withdraw this at any "
        "time; my treatment record keeps its photographs either way.",
    ),
    (
        ConsentKind.COMMUNICATIONS,
        "Consent to emails",
        "I agree to receive appointment reminders, aftercare instructions and "
        "touch-up reminders by email. I can stop them at any time.",
    ),
    (
        ConsentKind.PATCH_TEST_WAIVER,
        "Patch test waiver",
        "I have been offered a patch test to check for a reaction to the pigment "
        "and I choose not to have one. I accept the risk of a reaction.",
    ),
]


def seed_client_records(
    *, rng: random.Random, clients: list[Client], practitioner, lots, today: date
) -> list[Client]:
    """Clients at every stage: new, intake done, suitable (patch-tested), deferred,
    needing clearance, not suitable. Returns the clients cleared for treatment."""
    for kind, title, body in CONSENT_TEXTS:
        services.consent_text_publish(kind=kind, title=title, body=body)
    now = timezone.now()
    treatable = []
    for index, client in enumerate(clients):
        stage = index % 6
        if stage == 0:
            continue  # new: nothing recorded yet
        services.intake_save(
            client=client,
            fields={
                "hair_loss_cause": rng.choice(
                    [HairLossCause.ANDROGENETIC] * 4 + [HairLossCause.ALOPECIA_AREATA]
                ),
                "scale": Scale.NORWOOD,
                "stage": rng.choice(STAGES[Scale.NORWOOD][2:]),
                "fitzpatrick": rng.randint(1, 6),
                "hair_colour": rng.choice(["black", "dark brown", "brown", "grey"]),
                "pigment_reaction": False,
            },
            by=practitioner,
        )
        if stage == 1:
            continue  # intake done, no decision yet
        if stage == 3:
            services.contraindication_record(
                client=client,
                kind=Contraindication.Kind.PSORIASIS,
                severity=Severity.TEMPORARY,
                until=today + timedelta(days=60),
                by=practitioner,
            )
        elif stage == 4:
            services.contraindication_record(
                client=client,
                kind=Contraindication.Kind.BLOOD_THINNERS,
                severity=Severity.CLEARANCE,
                by=practitioner,
            )
        elif stage == 5:
            services.contraindication_record(
                client=client,
                kind=Contraindication.Kind.KELOID,
                severity=Severity.ABSOLUTE,
                by=practitioner,
            )
        assessment = selectors.client_assessment(client, today)
        services.suitability_decide(
            client=client,
            decision=assessment.recommendation,
            by=practitioner,
            today=today,
        )
        if stage == 2:
            test = services.patch_test_apply(
                client=client,
                lots=list(lots),  # every pigment the demo sessions use
                applied_at=now - timedelta(days=10),
                notes="Behind the left ear",
                by=practitioner,
            )
            services.patch_test_read(
                patch_test=test,
                result=PatchTest.Result.PASSED,
                read_at=now - timedelta(days=7),
                notes="No reaction",
                by=practitioner,
            )
            text = selectors.consent_texts_current()[ConsentKind.TREATMENT]
            services.consent_sign(
                client=client, text=text, typed_name=client.full_name, by=practitioner
            )
            treatable.append(client)
    return treatable


# One client held at each gate before treatment (appointments.gates), so the refusals
# can be seen: book any of them an SMP session. (A client whose patch test does not
# cover a pigment comes with the pigment gate, issue 18 item 6.)
GATE_CLIENTS = [
    ("Noah", "Fletcher", "intake", "Intake not finished: booking an SMP session is "
     "refused until the skin type and health questions are answered."),
    ("Priya", "Nair", "consent", "Treatment consent not signed: booking an SMP "
     "session is refused until she signs it."),
    ("Casey", "Morgan", "age", "Seventeen: no SMP session until 18 (Tattooing of "
     "Minors Act 1969), and suitability says not suitable."),
    ("Liam", "Doyle", "transplant", "FUE transplant three months ago: suitability "
     "defers SMP until nine months after it."),
]  # fmt: skip


def seed_gate_clients(*, practitioner, today: date) -> dict[str, Client]:
    """A client stopped at each gate before treatment, with a note that says so."""
    made = {}
    consent = selectors.consent_texts_current()[ConsentKind.TREATMENT]
    for first, last, gate, note in GATE_CLIENTS:
        born = date(1988, 6, 1)
        if gate == "age":
            born = add_months(today, -17 * 12)
        client = Client.objects.create(
            first_name=first,
            last_name=last,
            date_of_birth=born,
            email=f"{first}.{last}@example.com".lower(),
            notes=f"Demo: {note}",
        )
        fields = {
            "hair_loss_cause": HairLossCause.ANDROGENETIC,
            "scale": Scale.NORWOOD,
            "stage": "V",
            "fitzpatrick": 3,
            "pigment_reaction": False,
        }
        if gate == "intake":
            fields = {"hair_loss_cause": HairLossCause.ANDROGENETIC}
        if gate == "transplant":
            fields |= {"transplant": "fue", "transplant_on": today - timedelta(days=91)}
        services.intake_save(client=client, fields=fields, by=practitioner)
        if gate != "intake":
            assessment = selectors.client_assessment(client, today)
            services.suitability_decide(
                client=client,
                decision=assessment.recommendation,
                defer_until=assessment.defer_until,
                by=practitioner,
                today=today,
            )
        if gate != "consent":
            services.consent_sign(
                client=client,
                text=consent,
                typed_name=client.full_name,
                by=practitioner,
            )
        made[gate] = client
    return made
