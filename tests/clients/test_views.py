"""Client pages as each role uses them, and what each role may not read."""

import base64
from datetime import UTC, date, datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from clients import services
from clients.models import Client, Consent, Contraindication, Intake, PatchTest

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 40


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def clinical_records(jo, practitioner, consent_texts, lot):
    """One record of every clinical kind for Jo, with a clearance file."""
    services.intake_save(
        client=jo,
        fields={"medications": "Warfarin 5mg", "allergies": "Nickel"},
        by=practitioner,
    )
    item = services.contraindication_record(
        client=jo,
        kind="blood_thinners",
        severity="clearance",
        notes="On warfarin since 2021",
        document=SimpleUploadedFile("gp.pdf", b"%PDF-1.4 letter"),
        by=practitioner,
    )
    consent = services.consent_sign(
        client=jo, text=consent_texts["treatment"], signature_png=PNG, by=practitioner
    )
    test = PatchTest.objects.create(
        client=jo,
        applied_at=datetime(2026, 1, 1, 10, tzinfo=UTC),
        notes="Behind the left ear",
    )
    return {"contraindication": item, "consent": consent, "patch_test": test}


def clinical_urls(jo, records):
    return [
        f"/clients/{jo.pk}/intake/",
        f"/clients/{jo.pk}/suitability/",
        f"/clients/{jo.pk}/patch-tests/new/",
        f"/clients/{jo.pk}/consents/treatment/sign/",
        f"/clients/contraindications/{records['contraindication'].pk}/document/",
        f"/clients/contraindications/{records['contraindication'].pk}/clear/",
        f"/clients/patch-tests/{records['patch_test'].pk}/read/",
        f"/clients/consents/{records['consent'].pk}/",
        f"/clients/consents/{records['consent'].pk}/signature.png",
    ]


class TestFieldLevelAccess:
    def test_the_front_desk_sees_contact_bookings_and_status_but_no_health_data(
        self, client, front_desk, jo, clinical_records
    ):
        client.force_login(front_desk)
        page = client.get(f"/clients/{jo.pk}/").text
        assert "jo@x.test" in page
        assert "07700 900123" in page
        assert "Not decided" in page
        for secret in (
            "Warfarin",
            "Nickel",
            "warfarin since",
            "Blood thinners",
            "Behind the left ear",
            "Contraindications",
            "Consent",
        ):
            assert secret not in page, secret

    def test_the_front_desk_cannot_reach_any_clinical_url(
        self, client, front_desk, jo, clinical_records
    ):
        client.force_login(front_desk)
        for url in clinical_urls(jo, clinical_records):
            response = client.get(url)
            assert response.status_code in (403, 404), url
            assert b"Warfarin" not in response.content
            assert b"%PDF" not in b"".join(getattr(response, "streaming_content", []))

    def test_nor_write_to_one(self, client, front_desk, jo, clinical_records):
        client.force_login(front_desk)
        posts = [
            (f"/clients/{jo.pk}/intake/health/", {"health-medications": "none"}),
            (f"/clients/{jo.pk}/contraindications/new/", {"kind": "keloid"}),
            (
                f"/clients/contraindications/"
                f"{clinical_records['contraindication'].pk}/resolve/",
                {},
            ),
            (f"/clients/{jo.pk}/suitability/", {"decision": "suitable"}),
        ]
        for url, data in posts:
            assert client.post(url, data).status_code == 403, url
        assert Intake.objects.get().medications == "Warfarin 5mg"
        assert Contraindication.objects.get().resolved_at is None

    def test_a_practitioner_reads_them_all(
        self, client, practitioner, jo, clinical_records
    ):
        client.force_login(practitioner)
        for url in clinical_urls(jo, clinical_records):
            assert client.get(url).status_code == 200, url
        page = client.get(f"/clients/{jo.pk}/").text
        assert "Blood thinners" in page
        document = client.get(clinical_urls(jo, clinical_records)[4])
        assert b"".join(document.streaming_content).startswith(b"%PDF")

    def test_no_url_serves_private_files_directly(
        self, client, practitioner, jo, clinical_records
    ):
        client.force_login(practitioner)
        name = clinical_records["contraindication"].clearance_document.name
        for prefix in ("/media/", "/private/", "/media/private/", "/static/"):
            assert client.get(prefix + name).status_code == 404


class TestClientPages:
    def test_creating_a_duplicate_warns_and_keeps_the_input(
        self, client, front_desk, jo
    ):
        client.force_login(front_desk)
        data = {
            "first_name": "Joanne",
            "last_name": "Bloggs",
            "email": "jo@x.test",
            "phone": "",
            "preferred_contact": "email",
            "notes": "Referred by a friend",
        }
        response = client.post("/clients/new/", data)
        assert "this looks like a client already on file" in response.text
        assert f'href="/clients/{jo.pk}/"' in response.text
        assert "Referred by a friend" in response.text
        assert Client.objects.count() == 1
        response = client.post("/clients/new/", {**data, "different_person": "on"})
        assert response.status_code == 302
        assert Client.objects.count() == 2

    def test_a_bad_phone_is_explained(self, client, front_desk):
        client.force_login(front_desk)
        response = client.post(
            "/clients/new/",
            {
                "first_name": "A",
                "last_name": "B",
                "phone": "12",
                "preferred_contact": "phone",
            },
        )
        assert "is not a valid phone number" in response.text
        assert not Client.objects.exists()

    def test_search_as_you_type_by_name_email_or_phone(self, client, front_desk, jo):
        client.force_login(front_desk)
        for query in ("blog", "JO@X", "07700 900123", "900123", "jo bloggs"):
            response = client.get(
                "/clients/", {"q": query}, headers={"HX-Request": "true"}
            )
            assert "Jo Bloggs" in response.text, query
            assert "<html" not in response.text
        assert "No client matches" in client.get("/clients/", {"q": "zzz"}).text

    def test_search_at_10000_clients_uses_as_many_queries_as_at_10(
        self, client, front_desk
    ):
        client.force_login(front_desk)
        client.get("/clients/")  # the signed-in user, cached from now

        def queries_with(count: int) -> int:
            Client.objects.all().delete()
            Client.objects.bulk_create(
                Client(
                    first_name=f"First{n}",
                    last_name=f"Smith{n % 97}",
                    email=f"c{n}@x.test",
                    phone=f"+4477009{n:05d}",
                )
                for n in range(count)
            )
            with CaptureQueriesContext(connection) as captured:
                response = client.get("/clients/", {"q": "smith1"})
            assert response.status_code == 200
            return len(captured)

        assert queries_with(10) == queries_with(10_000)

    def test_intake_sections_save_alone_and_keep_input_on_an_error(
        self, client, practitioner, jo
    ):
        client.force_login(practitioner)
        url = f"/clients/{jo.pk}/intake/hair-loss/"
        response = client.post(
            url,
            {
                "hair-loss-hair_loss_cause": "transplant_scars",
                "hair-loss-transplant": "fut",
                "hair-loss-hair_loss_notes": "Strip scar 14 cm",
            },
            headers={"HX-Request": "true"},
        )
        assert response.status_code == 422
        assert "Give the date of the transplant." in response.text
        assert "Strip scar 14 cm" in response.text
        assert not Intake.objects.exists()

        response = client.post(
            url,
            {
                "hair-loss-hair_loss_cause": "transplant_scars",
                "hair-loss-transplant": "fut",
                "hair-loss-transplant_on": "2025-12-01",
                "hair-loss-hair_loss_notes": "Strip scar 14 cm",
            },
            headers={"HX-Request": "true"},
        )
        assert "Saved ✓" in response.text
        response = client.post(
            f"/clients/{jo.pk}/intake/classification/",
            {"classification-stage": "norwood:III vertex"},
            headers={"HX-Request": "true"},
        )
        assert "Saved ✓" in response.text
        intake = Intake.objects.get()
        assert intake.transplant_on == date(2025, 12, 1)
        assert (intake.scale, intake.stage) == ("norwood", "III vertex")
        assert intake.hair_loss_notes == "Strip scar 14 cm"

    def test_the_intake_offers_a_picture_for_every_stage(
        self, client, practitioner, jo
    ):
        client.force_login(practitioner)
        page = client.get(f"/clients/{jo.pk}/intake/").text
        assert page.count('class="stage-picture"') == 8 + 3 + 8
        assert "Norwood-Hamilton VII" in page and "Ludwig III" in page

    def test_a_practitioner_decides_and_an_override_needs_a_reason(
        self, client, practitioner, jo
    ):
        services.intake_save(client=jo, fields={}, by=practitioner)
        client.force_login(practitioner)
        url = f"/clients/{jo.pk}/suitability/"
        response = client.post(url, {"decision": "not_suitable"})
        assert response.status_code == 422
        assert "give the reason" in response.text
        client.post(url, {"decision": "suitable"})
        page = client.get(f"/clients/{jo.pk}/").text
        assert "Suitable</span>" in page

    def test_a_signature_drawn_on_screen_is_kept(
        self, client, practitioner, jo, consent_texts
    ):
        client.force_login(practitioner)
        data_url = "data:image/png;base64," + base64.b64encode(PNG).decode()
        response = client.post(
            f"/clients/{jo.pk}/consents/photos/sign/", {"signature": data_url}
        )
        assert response.status_code == 302
        consent = Consent.objects.get()
        assert consent.signature.read() == PNG
        copy = client.get(f"/clients/consents/{consent.pk}/").text
        assert "Photographs for the clinical record consent" in copy
        assert f"/clients/consents/{consent.pk}/signature.png" in copy

    def test_a_forged_signature_is_refused(
        self, client, practitioner, jo, consent_texts
    ):
        client.force_login(practitioner)
        for bad in ("data:image/svg+xml;base64,PHN2Zz4=", "data:image/png;base64,!!"):
            response = client.post(
                f"/clients/{jo.pk}/consents/photos/sign/", {"signature": bad}
            )
            assert response.status_code == 422
        assert not Consent.objects.exists()

    def test_a_clearance_document_must_be_a_pdf_or_image(
        self, client, practitioner, jo
    ):
        client.force_login(practitioner)
        response = client.post(
            f"/clients/{jo.pk}/contraindications/new/",
            {
                "kind": "heart",
                "clearance_document": SimpleUploadedFile(
                    "letter.pdf", b"<script>alert(1)</script>"
                ),
            },
        )
        assert response.status_code == 422
        assert "PDF, JPEG or PNG" in response.text
        assert not Contraindication.objects.exists()

    def test_the_severity_follows_the_kind_unless_chosen(
        self, client, practitioner, jo
    ):
        client.force_login(practitioner)
        client.post(f"/clients/{jo.pk}/contraindications/new/", {"kind": "keloid"})
        assert Contraindication.objects.get().severity == "absolute"


class TestImportPage:
    def test_preview_then_import(self, client, manager):
        client.force_login(manager)
        csv = SimpleUploadedFile(
            "clients.csv", b"first_name,last_name,email\nAnn,Lee,ann@x.test\n"
        )
        response = client.post("/clients/import/", {"file": csv})
        assert "All 1 rows are ready to import." in response.text
        assert not Client.objects.exists()
        digest = response.context["digest"]
        response = client.post("/clients/import/", {"confirm": "1", "digest": digest})
        assert response.status_code == 302
        assert Client.objects.get().email == "ann@x.test"

    def test_errors_are_listed_by_row_and_nothing_is_offered(self, client, manager):
        client.force_login(manager)
        csv = SimpleUploadedFile(
            "clients.csv", b"first_name,last_name,phone\nAnn,Lee,12\nBo,Ray,\n"
        )
        response = client.post("/clients/import/", {"file": csv})
        assert "1 of 2 rows have errors" in response.text
        assert 'name="confirm"' not in response.text
        assert client.post("/clients/import/", {"confirm": "1"}).status_code == 302
        assert not Client.objects.exists()

    def test_only_managers_import(self, client, front_desk):
        client.force_login(front_desk)
        assert client.get("/clients/import/").status_code == 403


class TestClinicalSummary:
    """Issue 20 item 4: what a practitioner needs before touching a scalp leads the
    client page, above the timeline; the front desk sees none of it."""

    @pytest.fixture
    def record(self, jo, practitioner):
        services.intake_save(
            client=jo,
            fields={
                "hair_loss_cause": "androgenetic",
                "scale": "norwood",
                "stage": "III vertex",
                "fitzpatrick": 4,
                "medications": "Finasteride <script>alert(1)</script>",
                "allergies": "Nickel 💥",
                "pigment_reaction": False,
            },
            by=practitioner,
        )
        active = services.contraindication_record(
            client=jo,
            kind="psoriasis",
            severity="temporary",
            until=date(2027, 3, 1),
            notes="",
            document=None,
            by=practitioner,
        )
        gone = services.contraindication_record(
            client=jo,
            kind="retinoids",
            severity="temporary",
            until=date(2027, 1, 1),
            notes="",
            document=None,
            by=practitioner,
        )
        services.contraindication_resolve(contraindication=gone, by=practitioner)
        return active

    def summary(self, page: str) -> str:
        start = page.index('id="summary-heading"')
        return page[start : page.index("</section>", start)]

    @pytest.mark.parametrize("role", ["practitioner", "manager"])
    def test_a_clinical_role_sees_the_summary_above_the_timeline(
        self, client, request, role, jo, record
    ):
        client.force_login(request.getfixturevalue(role))
        page = client.get(f"/clients/{jo.pk}/").text
        assert page.index("Clinical summary") < page.index("Timeline")
        summary = self.summary(page)
        assert "Norwood-Hamilton III vertex" in summary
        assert 'class="stage-picture"' in summary
        assert "Androgenetic (pattern) hair loss" in summary
        assert "Fitzpatrick IV: burns minimally, tans well" in summary
        assert "Finasteride &lt;script&gt;alert(1)&lt;/script&gt;" in summary
        assert "<script>alert" not in page
        assert "Nickel 💥" in summary
        assert "Active scalp psoriasis" in summary
        assert "Temporary until 1 Mar 2027" in summary
        # A contraindication that no longer applies is history, not a warning.
        assert "Isotretinoin" not in summary

    def test_the_front_desk_sees_no_summary(self, client, front_desk, jo, record):
        client.force_login(front_desk)
        page = client.get(f"/clients/{jo.pk}/").text
        for secret in (
            "Clinical summary",
            "Finasteride",
            "Nickel",
            "psoriasis",
            "Norwood",
            "Fitzpatrick",
            "stage-picture",
        ):
            assert secret not in page, secret

    def test_without_an_intake_it_says_so_and_offers_to_start_one(
        self, client, practitioner, jo
    ):
        client.force_login(practitioner)
        summary = self.summary(client.get(f"/clients/{jo.pk}/").text)
        assert "No intake yet" in summary
        assert f'href="/clients/{jo.pk}/intake/"' in summary
        assert "Start the intake" in summary
        assert "None active." in summary

    def test_health_questions_not_yet_asked_are_not_shown_as_none(
        self, client, practitioner, jo
    ):
        services.intake_save(
            client=jo, fields={"hair_loss_cause": "chemotherapy"}, by=practitioner
        )
        client.force_login(practitioner)
        summary = self.summary(client.get(f"/clients/{jo.pk}/").text)
        assert summary.count("Not asked yet") == 2
        assert "Stage</dt><dd>Not recorded" in summary
        assert "Intake not complete" in summary
        assert "the date chemotherapy ended" in summary

    def test_a_stage_outside_the_pictures_is_named_without_a_picture(
        self, client, practitioner, jo
    ):
        Intake.objects.create(client=jo, scale="norwood", stage="IX")
        client.force_login(practitioner)
        summary = self.summary(client.get(f"/clients/{jo.pk}/").text)
        assert "Norwood-Hamilton IX" in summary
        assert "stage-picture" not in summary
