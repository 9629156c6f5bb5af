"""Demo staff for `seed_demo`; each app adds its own demo data in its demo module."""

import random

from django.contrib.auth import get_user_model

from core.accounts import staff_create
from core.roles import Role

# One demo login per role; `manage.py demo_logins` gives them passwords.
DEMO_LOGINS = (
    ("frontdesk", "Dana", "Reid", Role.FRONT_DESK),
    ("practitioner", "Sam", "Okafor", Role.PRACTITIONER),
    ("manager", "Morgan", "Hale", Role.MANAGER),
)

FIRST_NAMES = ("Alex", "Jordan", "Priya", "Tomasz", "Leah", "Marco", "Aisha", "Ben")
LAST_NAMES = ("Nguyen", "Kowalski", "Bauer", "Silva", "Haddad", "Moreau", "Evans")


def seed_staff(*, rng: random.Random, practitioners: int) -> list:
    """The demo logins, plus further practitioners without a password.

    Returns the practitioners' user accounts, the demo practitioner first.
    """
    practitioner_users = []
    for username, first_name, last_name, role in DEMO_LOGINS:
        user = staff_create(
            username=username,
            email=f"{username}@demo.smp-clinic.test",
            first_name=first_name,
            last_name=last_name,
            roles=[role],
        )
        if role == Role.PRACTITIONER:
            practitioner_users.append(user)
    existing = {"practitioner"}
    for number in range(2, practitioners + 1):
        first_name, last_name = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        username = f"{first_name}.{last_name}".lower()
        while username in existing:
            username = f"{first_name}.{last_name}{number}".lower()
        existing.add(username)
        practitioner_users.append(
            staff_create(
                username=username,
                email=f"{username}@demo.smp-clinic.test",
                first_name=first_name,
                last_name=last_name,
                roles=[Role.PRACTITIONER],
            )
        )
    return practitioner_users


def is_seeded() -> bool:
    return get_user_model().objects.filter(username=DEMO_LOGINS[0][0]).exists()
