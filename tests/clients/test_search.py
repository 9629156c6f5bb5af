"""Client search: every word matched against names and email, and on PostgreSQL
served by one trigram index whatever the number of clients."""

import pytest
from django.db import connection

from clients.models import Client
from clients.selectors import client_search


@pytest.fixture
def clients(db):
    return Client.objects.bulk_create(
        [
            Client(first_name="James", last_name="Smith", email="js@example.com"),
            Client(first_name="Jamie", last_name="Smithers", email="jamie@example.com"),
            Client(first_name="Ann", last_name="James", email="ann@example.org"),
            Client(first_name="Dan", last_name="Osei", phone="+447700900123"),
        ]
    )


def found(user, query: str) -> set[str]:
    return {c.full_name for c in client_search(user=user, query=query, limit=None)}


def test_every_word_must_match_a_name_or_the_email(clients, front_desk):
    assert found(front_desk, "james smi") == {"James Smith"}
    assert found(front_desk, "JAMES") == {"James Smith", "Ann James"}
    assert found(front_desk, "smith example.com") == {"James Smith", "Jamie Smithers"}
    assert found(front_desk, "jam ann") == {"Ann James"}


def test_a_word_does_not_match_across_two_fields(clients, front_desk):
    # The fields are joined with spaces: "smith js" would be one word too many.
    assert found(front_desk, "smithjs") == set()


def test_digits_find_a_phone_number(clients, front_desk):
    assert found(front_desk, "0900123") == {"Dan Osei"}


@pytest.mark.postgres
def test_on_postgresql_the_trigram_index_serves_the_search(clients, front_desk):
    query = client_search(user=front_desk, query="james smi", limit=None)
    with connection.cursor() as cursor:
        # Four rows are cheaper to read whole: forbid that, to see the index match.
        cursor.execute("SET LOCAL enable_seqscan = off")
        plan = query.explain()
    assert "client_search_trgm" in plan


def test_a_changed_name_is_found_by_its_new_spelling_only(clients, front_desk):
    james = clients[0]
    james.last_name = "Smyth"
    james.save()

    assert found(front_desk, "smyth") == {"James Smyth"}
    assert found(front_desk, "james smith") == set()
    james.delete()
    assert found(front_desk, "smyth") == set()


def test_words_under_three_letters_still_match(clients, front_desk):
    assert found(front_desk, "an") == {"Ann James", "Dan Osei"}


def test_on_sqlite_the_trigram_text_index_serves_the_search(clients, front_desk):
    if connection.vendor != "sqlite":
        pytest.skip("PostgreSQL's index has its own test")
    query = client_search(user=front_desk, query="james smi", limit=None)
    assert "clients_client_search VIRTUAL TABLE" in query.explain()


def test_on_sqlite_a_table_rebuild_that_drops_the_triggers_is_repaired_by_migrate(
    clients, front_desk
):
    """Adding a field with a default rebuilds clients_client on SQLite, which drops
    its triggers (clients 0021 did): the index then missed every new client."""
    if connection.vendor != "sqlite":
        pytest.skip("PostgreSQL's trigram index is an index, not triggers")
    from clients import sqlite_search

    assert sqlite_search.present(connection) == {
        sqlite_search.TABLE,
        *sqlite_search.TRIGGERS,
    }, "migrate left the search index without its triggers"
    with connection.cursor() as cursor:
        cursor.execute("DROP TRIGGER clients_client_search_insert")
    Client.objects.create(first_name="Zed", last_name="Quorum")
    assert found(front_desk, "quorum") == set()

    assert sqlite_search.ensure_index(connection.alias) is True
    assert found(front_desk, "quorum") == {"Zed Quorum"}
    Client.objects.create(first_name="Yan", last_name="Quorum")
    assert found(front_desk, "quorum") == {"Zed Quorum", "Yan Quorum"}
    assert sqlite_search.ensure_index(connection.alias) is False
