"""Photos: two consent tiers (clinical record; marketing and portfolio), a standard
view on every photo, and before and after compared view by view."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from clients.services import consent_sign
from tests.treatments.test_photos import jpeg_with_gps
from treatments import selectors, services

pytestmark = pytest.mark.usefixtures("frozen_now")

HOSTILE = '<b hx-get="/x" hx-trigger=load>"{{x}}\'</b>'


@pytest.fixture
def both_consents(jo, practitioner, consent_texts):
    return {
        kind: consent_sign(
            client=jo, text=consent_texts[kind], typed_name="Jo", by=practitioner
        )
        for kind in ("photos", "photos_marketing")
    }


def upload(client, jo, kind, view, caption=""):
    return client.post(
        reverse("photos", args=[jo.pk]),
        {
            "image": SimpleUploadedFile("IMG.jpg", jpeg_with_gps(), "image/jpeg"),
            "kind": kind,
            "view": view,
            "caption": caption,
        },
    )


def test_withdrawing_marketing_consent_never_hides_clinical_photos(
    client, practitioner, jo, both_consents
):
    client.force_login(practitioner)
    assert upload(client, jo, "before", "front").status_code == 302
    photo = jo.photos.get()
    page = client.get(reverse("photos", args=[jo.pk])).text
    assert "Marketing and portfolio use: allowed" in page

    response = client.post(
        reverse("consent_withdraw", args=[both_consents["photos_marketing"].pk])
    )
    assert response.status_code == 302
    assert not selectors.has_marketing_photo_consent(jo)
    assert selectors.has_photo_consent(jo)
    page = client.get(reverse("photos", args=[jo.pk])).text
    assert "Marketing and portfolio use: not allowed" in page
    assert reverse("photo_file", args=[photo.pk, "full"]) in page
    url = reverse("photo_file", args=[photo.pk, "thumb"])
    assert client.get(url).status_code == 200
    assert upload(client, jo, "after", "front").status_code == 302

    # The clinical tier is the one that lets photos be taken and shown at all.
    client.post(reverse("consent_withdraw", args=[both_consents["photos"].pk]))
    assert client.get(url).status_code == 404


def test_marketing_consent_alone_lets_no_photo_into_the_record(
    client, practitioner, jo, consent_texts
):
    consent_sign(
        client=jo,
        text=consent_texts["photos_marketing"],
        typed_name="Jo",
        by=practitioner,
    )
    client.force_login(practitioner)
    assert upload(client, jo, "before", "front").status_code == 422
    assert not jo.photos.exists()


def test_a_consent_is_withdrawn_once(client, practitioner, jo, both_consents):
    client.force_login(practitioner)
    url = reverse("consent_withdraw", args=[both_consents["photos_marketing"].pk])
    client.post(url)
    again = client.post(url, follow=True)
    assert "already withdrawn" in again.text


def test_a_photo_needs_a_standard_view(client, practitioner, jo, both_consents):
    client.force_login(practitioner)
    for view in ("", "sideways", HOSTILE, "front\x00"):
        response = upload(client, jo, "before", view)
        assert response.status_code == 422
        assert HOSTILE not in response.text
    assert not jo.photos.exists()


def test_before_and_after_are_paired_by_view(client, practitioner, jo, both_consents):
    client.force_login(practitioner)
    upload(client, jo, "before", "front", "front before " + HOSTILE)
    upload(client, jo, "before", "crown", "crown before")
    upload(client, jo, "after", "crown", "crown after")
    upload(client, jo, "after", "front", "front after")
    photos = list(selectors.photos_for_client(jo))
    pairs = selectors.photo_pairs(photos)
    assert [(p.view, p.first.caption, p.latest.caption) for p in pairs] == [
        ("Front", "front before " + HOSTILE, "front after"),
        ("Crown", "crown before", "crown after"),
    ]
    page = client.get(reverse("photos", args=[jo.pk])).text
    assert HOSTILE not in page
    front, crown = (
        page.index('<h3 class="h6 mt-3">Front</h3>'),
        page.index('<h3 class="h6 mt-3">Crown</h3>'),
    )
    assert front < page.index("front after") < crown < page.index("crown after")


def test_a_photo_without_a_view_is_compared_apart(jo, practitioner, both_consents):
    old = services.photo_add(
        client=jo, data=jpeg_with_gps(), kind="before", by=practitioner
    )
    new = services.photo_add(
        client=jo, data=jpeg_with_gps(), kind="after", view="top", by=practitioner
    )
    pairs = selectors.photo_pairs([old, new])
    assert [(p.view, p.first, p.latest) for p in pairs] == [
        ("Top", new, new),
        ("View not recorded", old, old),
    ]
