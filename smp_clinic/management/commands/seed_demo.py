import random

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.utils import timezone

from appointments.demo import (
    seed_history,
    seed_remote_consultations,
    seed_schedule,
    seed_waitlist,
)
from clients.demo import (
    seed_client_records,
    seed_clients,
    seed_gate_clients,
)
from messaging.demo import (
    seed_due_sms_reminders,
    seed_message_history,
    seed_replies,
)
from payments.demo import seed_ledger
from smp_clinic import demo
from treatments.demo import (
    seed_pigments,
    seed_plans,
    seed_untested_pigment_client,
)

SCALES = {
    "small": {
        "locations": 2,
        "practitioners": 6,
        "clients": 120,
        "records": 120,
        "history": 2_000,
        "history_gap_hours": 3,
        "messages": 1_000,
    },
    # A chain with years behind it: what the benchmarks in bench/ run on.
    "large": {
        "locations": 3,
        "practitioners": 20,
        "clients": 100_000,
        "records": 600,
        "history": 1_000_000,
        "history_gap_hours": 0,
        "messages": 200_000,
    },
}


class Command(BaseCommand):
    help = "Fill an empty database with deterministic demo data (same seed, same data)."

    def add_arguments(self, parser):
        parser.add_argument("--scale", choices=sorted(SCALES), default="small")
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="Do nothing, successfully, when demo data is already there.",
        )

    def handle(self, *, scale, seed, if_empty, **options):
        if demo.is_seeded():
            if if_empty:
                self.stdout.write("Demo data is already there; nothing to do.")
                return
            raise CommandError(
                "Demo data is already there. Seed an empty database "
                "(or pass --if-empty to skip quietly)."
            )
        # Deterministic on purpose: the same seed gives the same demo data.
        rng = random.Random(seed)  # noqa: S311
        sizes = SCALES[scale]
        with transaction.atomic():
            practitioner_users = demo.seed_staff(
                rng=rng, practitioners=sizes["practitioners"]
            )
            clients = seed_clients(rng=rng, count=sizes["clients"])
            today = timezone.localdate()
            lots = seed_pigments(today=today)
            treatable = seed_client_records(
                rng=rng,
                clients=clients[: sizes["records"]],
                practitioner=practitioner_users[0],
                lots=lots,
                today=today,
            )
            seed_gate_clients(practitioner=practitioner_users[0], today=today)
            front_desk = get_user_model().objects.get(username="frontdesk")
            seed_schedule(
                rng=rng,
                practitioner_users=practitioner_users,
                clients=clients,
                treatable_clients=treatable,
                booked_by=front_desk,
                locations=sizes["locations"],
            )
            seed_waitlist(rng=rng, clients=clients, booked_by=front_desk)
            seed_plans(
                rng=rng,
                clients=treatable,
                lots=lots,
                manager=get_user_model().objects.get(username="manager"),
                booked_by=front_desk,
                today=today,
            )
            seed_untested_pigment_client(
                lots=lots,
                manager=get_user_model().objects.get(username="manager"),
                today=today,
            )
            # Last: the history steps around the courses' past sessions.
            days = seed_history(
                rng=rng,
                count=sizes["history"],
                client_ids=[client.pk for client in clients],
                today=today,
                booked_by=front_desk,
                gap_hours=sizes["history_gap_hours"],
            )
            seed_message_history(count=sizes["messages"], today=today)
            seed_remote_consultations()
            # Texts: reminders for var/sms/ at the first sweep, replies waiting.
            seed_due_sms_reminders(now=timezone.now())
            seed_replies(now=timezone.now())
            # The ledger over the recent history, with its own draws (string seeds
            # are stable across runs), so the rest of the demo stays as it was.
            rows = seed_ledger(
                rng=random.Random(f"ledger-{seed}"),  # noqa: S311
                today=today,
                desk=front_desk,
                manager=get_user_model().objects.get(username="manager"),
            )
        if connection.vendor == "postgresql":
            # Fresh statistics, so the planner knows the tables are no longer empty.
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
        self.stdout.write(
            self.style.SUCCESS(
                f"Seeded {scale} demo data (seed {seed}): {sizes['clients']:,} "
                f"clients, {sizes['history']:,} past appointments over {days:,} "
                f"days, {sizes['messages']:,} past messages and {rows:,} ledger rows."
            )
        )
