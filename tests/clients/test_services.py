"""Client record services: duplicates, phones, intake, decisions, patch tests,
consents and the CSV import."""

from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from clients import selectors, services
from clients.models import (
    Client,
    Consent,
    Contraindication,
    Intake,
    PatchTest,
    Recommendation,
    SuitabilityDecision,
)
from clients.phones import normalise_phone

NOW = datetime(2026, 6, 15, 10, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("07700 900123", "+447700900123"),
        ("+44 (0)7700-900123", "+447700900123"),
        ("+1 212 555 0100", "+12125550100"),
        ("", ""),
    ],
)
def test_phones_are_stored_in_one_form(settings, typed, stored):
    settings.PHONE_DEFAULT_REGION = "GB"
    assert normalise_phone(typed) == stored


@pytest.mark.parametrize("typed", ["12", "not a number", "+44 12", "+1 212"])
def test_a_bad_phone_is_refused_with_a_message(typed):
    with pytest.raises(ValidationError, match="phone number"):
        normalise_phone(typed)


class TestDuplicates:
    @pytest.mark.parametrize(
        "fields",
        [
            {"first_name": "Joanna", "last_name": "B", "email": "JO@x.test"},
            {"first_name": "J", "last_name": "B", "phone": "07700 900123"},
            {
                "first_name": "jo",
                "last_name": "BLOGGS",
                "date_of_birth": date(1985, 4, 30),
            },
        ],
        ids=["same email", "same phone", "same name and birth date"],
    )
    def test_a_likely_duplicate_is_offered_and_not_created(self, jo, fields):
        with pytest.raises(services.DuplicateClient) as caught:
            services.client_create(**fields)
        assert caught.value.candidates == [jo]
        assert Client.objects.count() == 1

    def test_the_person_creating_it_may_say_it_is_someone_else(self, jo):
        client = services.client_create(
            first_name="Jo",
            last_name="Bloggs",
            date_of_birth=date(1985, 4, 30),
            allow_duplicate=True,
        )
        assert client.pk != jo.pk

    def test_the_same_name_with_another_birth_date_is_not_a_duplicate(self, jo):
        services.client_create(
            first_name="Jo", last_name="Bloggs", date_of_birth=date(1990, 1, 1)
        )
        assert Client.objects.count() == 2


def test_intake_sections_save_on_their_own(jo, practitioner):
    services.intake_save(
        client=jo, fields={"hair_loss_cause": "androgenetic"}, by=practitioner
    )
    services.intake_save(
        client=jo, fields={"scale": "norwood", "stage": "IV"}, by=practitioner
    )
    intake = Intake.objects.get(client=jo)
    assert (intake.hair_loss_cause, intake.scale, intake.stage) == (
        "androgenetic",
        "norwood",
        "IV",
    )
    assert intake.updated_by == practitioner


class TestDecisions:
    @pytest.fixture(autouse=True)
    def _intake(self, jo, practitioner):
        services.intake_save(client=jo, fields={}, by=practitioner)

    def test_it_records_the_recommendation_beside_the_decision(self, jo, practitioner):
        services.contraindication_record(
            client=jo, kind="keloid", severity="absolute", by=practitioner
        )
        decision = services.suitability_decide(
            client=jo, decision=Recommendation.NOT_SUITABLE, by=practitioner
        )
        assert decision.recommended == Recommendation.NOT_SUITABLE
        assert decision.reasons[0].startswith("Keloid")
        assert decision.decided_by == practitioner

    def test_going_against_the_recommendation_needs_a_reason(self, jo, practitioner):
        services.contraindication_record(
            client=jo,
            kind="vitiligo",
            severity="temporary",
            until=date(2099, 1, 1),
            by=practitioner,
        )
        with pytest.raises(ValidationError, match="reason"):
            services.suitability_decide(
                client=jo, decision=Recommendation.SUITABLE, by=practitioner
            )
        assert not SuitabilityDecision.objects.exists()
        decision = services.suitability_decide(
            client=jo,
            decision=Recommendation.SUITABLE,
            override_reason="Stable for 5 years, seen the dermatologist's notes",
            by=practitioner,
        )
        assert decision.recommended == Recommendation.DEFER

    def test_without_an_intake_nothing_can_be_decided(self, practitioner):
        other = Client.objects.create(first_name="No", last_name="Intake")
        with pytest.raises(ValidationError, match="intake"):
            services.suitability_decide(
                client=other, decision="suitable", by=practitioner
            )


class TestPatchTests:
    def test_it_is_read_no_sooner_than_48_hours_after_it_was_applied(
        self, jo, lot, practitioner
    ):
        with time_machine.travel(NOW, tick=False):
            test = services.patch_test_apply(
                client=jo,
                lots=[lot],
                applied_at=NOW - timedelta(hours=47),
                notes="",
                by=practitioner,
            )
            with pytest.raises(ValidationError, match="48 hours"):
                services.patch_test_read(
                    patch_test=test,
                    result="passed",
                    read_at=NOW,
                    notes="",
                    by=practitioner,
                )
            test.refresh_from_db()
            assert test.result == PatchTest.Result.PENDING

            with time_machine.travel(NOW + timedelta(hours=1), tick=False):
                services.patch_test_read(
                    patch_test=test,
                    result="passed",
                    read_at=NOW + timedelta(hours=1),
                    notes="No reaction",
                    by=practitioner,
                )
        test.refresh_from_db()
        assert test.result == PatchTest.Result.PASSED

    def test_an_expired_lot_cannot_be_tested(self, jo, lot, practitioner):
        lot.expires_on = date(2026, 1, 1)
        lot.save()
        with pytest.raises(
            ValidationError, match=r"cannot be used: .* \(expired 01 Jan 2026\)"
        ):
            services.patch_test_apply(
                client=jo, lots=[lot], applied_at=NOW, notes="", by=practitioner
            )
        assert not PatchTest.objects.exists()

    def test_a_waiver_needs_the_clients_signature(
        self, jo, practitioner, consent_texts
    ):
        waiver = services.consent_sign(
            client=jo,
            text=consent_texts["patch_test_waiver"],
            typed_name="Jo Bloggs",
            by=practitioner,
        )
        test = services.patch_test_waive(
            client=jo, waiver=waiver, notes="", by=practitioner
        )
        assert test.result == PatchTest.Result.WAIVED
        assert selectors.patch_test_valid_for(jo, waiver.signed_at + timedelta(days=1))
        treatment = services.consent_sign(
            client=jo, text=consent_texts["treatment"], typed_name="Jo", by=practitioner
        )
        with pytest.raises(ValidationError, match="waiver"):
            services.patch_test_waive(
                client=jo, waiver=treatment, notes="", by=practitioner
            )


class TestConsents:
    def test_a_new_version_asks_for_a_new_signature(
        self, jo, practitioner, consent_texts
    ):
        services.consent_sign(
            client=jo, text=consent_texts["photos"], typed_name="Jo", by=practitioner
        )
        photos = {s.kind: s for s in selectors.consent_statuses(jo)}["photos"]
        assert not photos.needs_signature

        new = services.consent_text_publish(
            kind="photos", title="Photos v2", body="New wording."
        )
        assert new.version == 2
        photos = {s.kind: s for s in selectors.consent_statuses(jo)}["photos"]
        assert photos.needs_signature
        assert photos.signed.text == consent_texts["photos"]

        with pytest.raises(ValidationError, match="newer version"):
            services.consent_sign(
                client=jo,
                text=consent_texts["photos"],
                typed_name="Jo",
                by=practitioner,
            )
        services.consent_sign(client=jo, text=new, typed_name="Jo", by=practitioner)
        photos = {s.kind: s for s in selectors.consent_statuses(jo)}["photos"]
        assert not photos.needs_signature

    def test_a_drawn_signature_is_stored_as_an_image(
        self, jo, practitioner, consent_texts, settings, tmp_path
    ):
        settings.MEDIA_ROOT = tmp_path
        png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
        consent = services.consent_sign(
            client=jo,
            text=consent_texts["treatment"],
            signature_png=png,
            by=practitioner,
        )
        assert consent.method == Consent.Method.DRAWN
        assert consent.signature.read() == png
        assert str(tmp_path / "private") in consent.signature.path

    def test_an_unsigned_consent_is_refused(self, jo, practitioner, consent_texts):
        with pytest.raises(ValidationError):
            services.consent_sign(
                client=jo, text=consent_texts["treatment"], by=practitioner
            )
        assert not Consent.objects.exists()


def test_a_clearance_needs_its_document(jo, practitioner, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    item = services.contraindication_record(
        client=jo, kind="blood_thinners", severity="clearance", by=practitioner
    )
    letter = SimpleUploadedFile("letter.pdf", b"%PDF-1.4 cleared", "application/pdf")
    services.contraindication_clear(
        contraindication=item,
        document=letter,
        cleared_on=date(2026, 6, 1),
        by=practitioner,
    )
    item.refresh_from_db()
    assert item.cleared_on == date(2026, 6, 1)
    assert Contraindication.objects.get().clearance_document.read().startswith(b"%PDF")


class TestImport:
    HEADER = "first_name,last_name,email,phone,date_of_birth,reminder_consent\n"

    def test_a_clean_file_imports_every_row(self, db):
        text = (
            self.HEADER
            + "Ann,Lee,ann@x.test,07700 900001,1980-01-02,yes\n"
            + "Bob,Ray,,+1 212 555 0100,02/03/1975,no\n"
        )
        preview = services.clients_import_preview(text)
        assert preview.is_valid
        services.clients_import(text)
        ann, bob = Client.objects.order_by("first_name")
        assert ann.phone == "+447700900001"
        assert bob.date_of_birth == date(1975, 3, 2)
        assert bob.reminder_consent is False

    def test_one_bad_row_imports_nothing_and_every_error_is_listed(self, jo):
        text = (
            self.HEADER
            + "Ann,Lee,ann@x.test,07700 900001,1980-01-02,yes\n"
            + "Cat,Day,not-an-email,12,yesterday,maybe\n"
            + "Jo,Bloggs,jo@x.test,,,\n"
            + ",Nobody,,,,\n"
            + "Dup,Row,ann@x.test,,,\n"
        )
        preview = services.clients_import_preview(text)
        assert not preview.is_valid
        errors = {row.number: " ".join(row.errors) for row in preview.error_rows}
        assert set(errors) == {3, 4, 5, 6}
        assert "phone number" in errors[3]
        assert "not a date" in errors[3]
        assert "not yes or no" in errors[3]
        assert "email" in errors[3]
        assert "already on file" in errors[4]
        assert "first name" in errors[5]
        assert "same email as row 2" in errors[6]
        with pytest.raises(ValidationError):
            services.clients_import(text)
        assert list(Client.objects.all()) == [jo]

    def test_a_file_without_the_name_columns_is_refused(self, db):
        preview = services.clients_import_preview("email\nann@x.test\n")
        assert preview.errors == ["The file needs the columns first_name, last_name."]
