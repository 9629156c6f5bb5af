"""Three roles as groups, and one table of what each may do."""

import pytest
from django.contrib.auth.models import AnonymousUser, Group
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.test import RequestFactory

from core.backends import StaffBackend
from core.roles import Capability, Role, can, primary_role, require


def test_the_migration_creates_one_group_per_role(db):
    assert set(Group.objects.values_list("name", flat=True)) >= {
        "Front desk",
        "Practitioner",
        "Manager",
    }


EXPECTED = {
    # role: (booking, clinical, management), as in DESIGN.md's table
    "front_desk": (True, False, False),
    "practitioner": (True, True, False),
    "manager": (True, True, True),
    "outsider": (False, False, False),
}


@pytest.mark.parametrize("who", EXPECTED)
def test_capabilities_follow_the_design_table(who, staff_by_role):
    user = staff_by_role[who]

    granted = tuple(
        can(user, capability)
        for capability in (
            Capability.BOOKING,
            Capability.CLINICAL,
            Capability.MANAGEMENT,
        )
    )

    assert granted == EXPECTED[who]


def test_an_inactive_user_can_do_nothing(front_desk):
    front_desk.is_active = False

    assert not can(front_desk, Capability.BOOKING)


def test_anonymous_can_do_nothing():
    assert not can(AnonymousUser(), Capability.BOOKING)
    assert primary_role(AnonymousUser()) is None


def test_a_superuser_counts_as_a_manager(make_staff):
    admin = make_staff(None)
    admin.is_superuser = True
    admin.save()

    assert primary_role(admin) == Role.MANAGER
    assert can(admin, Capability.MANAGEMENT)


def test_several_roles_land_on_the_widest_dashboard(make_staff, client):
    both = make_staff(Role.FRONT_DESK)
    both.groups.add(Group.objects.get(name="Manager"))
    client.force_login(both)

    assert "Manager dashboard" in client.get("/").text


@pytest.fixture
def clinical_view():
    @require(Capability.CLINICAL)
    def view(request):
        return HttpResponse("clinical record")

    return view


def test_require_sends_anonymous_users_to_log_in(clinical_view, db):
    request = RequestFactory().get("/intake")
    request.user = AnonymousUser()

    response = clinical_view(request)

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_require_refuses_a_role_without_the_capability(clinical_view, front_desk):
    request = RequestFactory().get("/intake")
    request.user = front_desk

    with pytest.raises(PermissionDenied):
        clinical_view(request)


def test_require_lets_a_role_with_the_capability_in(clinical_view, practitioner):
    request = RequestFactory().get("/intake")
    request.user = practitioner

    assert clinical_view(request).content == b"clinical record"


class TestARequestsUser:
    """The login backend loads a request's user with their roles in one query."""

    def test_comes_with_every_role_in_the_one_query(
        self, make_staff, django_assert_num_queries
    ):
        user = make_staff(Role.FRONT_DESK)
        user.groups.add(Group.objects.get(name=Role.PRACTITIONER))
        backend = StaffBackend()

        with django_assert_num_queries(1):
            loaded = backend.get_user(user.pk)
            assert can(loaded, Capability.CLINICAL)
            assert primary_role(loaded) == Role.PRACTITIONER

    def test_without_a_role_has_none(self, make_staff):
        user = make_staff(None)
        assert primary_role(StaffBackend().get_user(user.pk)) is None

    def test_loses_a_role_at_the_next_request(self, client, make_staff):
        user = make_staff(Role.PRACTITIONER)
        client.force_login(user)
        assert client.get("/calendar/").status_code == 200

        user.groups.clear()

        assert client.get("/calendar/").status_code == 403

    def test_that_is_inactive_is_not_loaded(self, make_staff):
        user = make_staff(Role.MANAGER)
        user.is_active = False
        user.save()
        assert StaffBackend().get_user(user.pk) is None
