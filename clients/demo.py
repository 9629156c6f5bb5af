"""Demo clients for `seed_demo`."""

import random
from datetime import date, timedelta

from clients.models import Client

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
                reminder_consent=rng.random() < 0.9,
                marketing_consent=rng.random() < 0.3,
            )
        )
    return Client.objects.bulk_create(clients)
