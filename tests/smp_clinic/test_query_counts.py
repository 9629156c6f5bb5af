"""Every page a front desk uses all day costs the same queries whatever the data's
size: the budgets the benchmark (bench/run.py) checks at large scale, held here at
small scale, before and after the data grows."""

import json
import random
from datetime import UTC, datetime, timedelta

import time_machine
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext, override_settings
from django.utils import timezone

from appointments import calendar_cache
from appointments.demo import seed_history
from bench.run import EXPECTED_QUERIES, UNCACHED, World
from bench.server import is_query
from clients.models import Client
from messaging.models import OutboundMessage
from tests.smp_clinic.test_access_matrix import World as MatrixWorld
from tests.smp_clinic.test_access_matrix import project_routes


def request(browser, case, bodies):
    if UNCACHED in case.headers:  # as bench/server.py does
        cache.delete_many([calendar_cache.KEY, calendar_cache.SETUP_KEY])
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


def walk(browser, world) -> dict[str, int]:
    """Each route's queries for one GET, after a first GET to warm caches."""
    # The public links' rate limit counts in the cache: earlier tests' requests must
    # not turn a page into a refusal (which costs fewer queries).
    cache.clear()
    counts = {}
    for route in project_routes():
        if route == "accounts/logout/":
            continue
        url = world.url(route)
        browser.get(url)
        with CaptureQueriesContext(connection) as captured:
            browser.get(url)
        counts[route] = sum(1 for q in captured.captured_queries if is_query(q["sql"]))
    return counts


@time_machine.travel(datetime(2026, 3, 2, 8, 0, tzinfo=UTC), tick=False)
def test_no_page_of_the_project_costs_more_queries_with_more_data(
    client, manager, settings, tmp_path, capsys
):
    """No N+1 anywhere: every URL pattern, as a manager in the demo world, costs the
    same queries after the history grows tenfold and the client on every client page
    gains a hundred appointments and their messages."""
    settings.MEDIA_ROOT = tmp_path
    world = MatrixWorld()
    client.force_login(manager)
    before = walk(client, world)

    grow(world)
    appointments = world.client.appointments.all()
    OutboundMessage.objects.bulk_create(
        OutboundMessage(
            client=world.client,
            appointment=appointment,
            kind="reminder",
            due_at=appointment.starts_at,
            status="sent",
            sent_at=appointment.starts_at,
            dedupe_key=f"grown:{appointment.pk}",
        )
        for appointment in appointments
    )
    after = walk(client, world)

    grew = {route: (before[route], after[route]) for route in before}
    grew = {route: counts for route, counts in grew.items() if len(set(counts)) > 1}
    with capsys.disabled():
        print(
            f"\nqueries per page: {len(before)} URLs walked twice, changed {len(grew)}"
        )
    assert grew == {}
