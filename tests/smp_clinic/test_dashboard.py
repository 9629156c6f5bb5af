"""Each role lands on its own dashboard, with navigation for its role."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from smp_clinic.services import heartbeat_record


@pytest.mark.parametrize(
    ("who", "heading"),
    [
        ("front_desk", "Front desk dashboard"),
        ("practitioner", "Practitioner dashboard"),
        ("manager", "Manager dashboard"),
    ],
)
def test_each_role_sees_its_own_dashboard(client, staff_by_role, who, heading):
    client.force_login(staff_by_role[who])

    response = client.get("/")

    assert response.status_code == 200
    assert f'<h1 class="h2 mb-1">{heading}</h1>' in response.text


def test_a_user_without_a_role_is_told_to_ask_a_manager(client, outsider):
    client.force_login(outsider)

    response = client.get("/")

    assert response.status_code == 403
    assert "has no role yet" in response.text
    assert "System status" not in response.text


def test_only_managers_see_system_status_and_staff(client, front_desk, manager):
    client.force_login(front_desk)
    assert "System status" not in client.get("/").text

    client.force_login(manager)
    page = client.get("/").text
    assert "System status" in page
    assert "Staff by role" in page
    assert front_desk.first_name in page


def test_the_front_desk_is_told_it_sees_suitability_status_only(client, front_desk):
    client.force_login(front_desk)

    assert "you see the suitability status only" in client.get("/").text


def test_the_manager_sees_when_the_worker_has_stopped(client, manager):
    client.force_login(manager)
    assert "Not seen yet" in client.get("/").text

    heartbeat_record()
    assert "Running" in client.get("/").text

    with time_machine.travel(timezone.now() + timedelta(minutes=10)):
        page = client.get("/").text
    assert "Stopped" in page
    assert "Reminders are not going out" in page


def test_the_dashboard_escapes_staff_names(client, manager, make_staff):
    make_staff(None, first_name="<script>alert(1)</script>")
    client.force_login(manager)

    page = client.get("/").text

    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
