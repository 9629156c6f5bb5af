"""Every page a front desk uses all day costs the same queries whatever the data's
size: the budgets the benchmark (bench/run.py) checks at large scale, held here at
small scale, before and after the data grows."""

import json
import random
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext, override_settings
from django.utils import timezone

from appointments.demo import seed_history
from bench.run import EXPECTED_QUERIES, World
from bench.server import is_query
from clients.models import Client


def request(browser, case, bodies):
    if case.method == "POST":
        return browser.post(
            case.path, json.dumps(next(bodies)), content_type="application/json"
        )
    return browser.get(case.path)


def page_queries(browser, world) -> dict[str, int]:
    counts = {}
    for case in world.cases(requests=2):
        bodies = iter(case.bodies)
        warm_up = request(browser, case, bodies)
        assert warm_up.status_code in (200, 201), case.title
        with CaptureQueriesContext(connection) as captured:
            response = request(browser, case, bodies)
        assert response.status_code in (200, 201), case.title
        counts[case.name] = sum(
            1 for query in captured.captured_queries if is_query(query["sql"])
        )
    return counts


def grow(world) -> None:
    """Ten times the history, a hundred more clients the search finds, and the
    client on the page booked a hundred more times."""
    front_desk = get_user_model().objects.get(username="frontdesk")
    rng = random.Random(2)  # noqa: S311 - demo data
    seed_history(
        rng=rng,
        count=2_000,
        client_ids=list(Client.objects.values_list("pk", flat=True)),
        today=timezone.localdate(),
        booked_by=front_desk,
    )
    seed_history(
        rng=rng,
        count=100,
        client_ids=[world.client.pk],
        today=timezone.localdate() - timedelta(days=400),
        booked_by=front_desk,
    )
    Client.objects.bulk_create(
        Client(first_name="James", last_name=f"Smithers{n}", email=f"js{n}@example.com")
        for n in range(100)
    )


@override_settings(ROOT_URLCONF="bench.urls")
def test_each_page_costs_the_same_queries_with_ten_times_the_data(db, client):
    call_command("seed_demo")
    client.force_login(get_user_model().objects.get(username="frontdesk"))
    world = World("small")
    small = page_queries(client, world)

    grow(world)
    grown = page_queries(client, World("small"))

    assert small == grown == EXPECTED_QUERIES
