import pytest


@pytest.mark.parametrize(
    "url",
    [
        "/admin/appointments/location/",
        "/admin/appointments/practitioner/",
        "/admin/appointments/service/",
        "/admin/appointments/appointment/",
        "/admin/clients/client/",
    ],
)
def test_the_admin_fallback_lists_scheduling_records(admin_client, url, sam, jo):
    assert admin_client.get(url).status_code == 200


def test_appointments_cannot_be_added_in_the_admin(admin_client):
    assert admin_client.get("/admin/appointments/appointment/add/").status_code == 403
