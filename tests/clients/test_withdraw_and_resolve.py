"""Issue 20 item 5: a patch test recorded by mistake is withdrawn with a reason (kept,
audited, and from then on absent for the gates and the rules); "No longer applies" on
a contraindication asks first, on a page of its own that needs no script."""

from datetime import UTC, datetime, timedelta

import pytest
from auditlog.models import LogEntry
from django.core.exceptions import ValidationError

from clients import selectors, services
from clients.models import Contraindication, PatchTest
from tests.html_forms import forms_in

APPLIED = datetime(2026, 3, 2, 10, tzinfo=UTC)
READ = APPLIED + timedelta(hours=72)
SESSION = APPLIED + timedelta(days=10)


@pytest.fixture
def passed(jo, lot, practitioner, time_machine):
    time_machine.move_to(READ + timedelta(hours=1))
    test = services.patch_test_apply(
        client=jo, lots=[lot], applied_at=APPLIED, notes="", by=practitioner
    )
    return services.patch_test_read(
        patch_test=test, result="passed", read_at=READ, notes="", by=practitioner
    )


class TestPatchTestWithdrawal:
    def test_a_withdrawn_test_no_longer_opens_the_gate(self, jo, lot, passed, manager):
        assert selectors.patch_test_valid_for(jo, SESSION) == passed
        assert selectors.patch_test_uncovered(jo, [lot.pigment], SESSION) == []
        services.patch_test_withdraw(
            patch_test=passed, reason="Recorded on the wrong client", by=manager
        )
        assert selectors.patch_test_valid_for(jo, SESSION) is None
        assert selectors.patch_test_uncovered(jo, [lot.pigment], SESSION) == [
            lot.pigment
        ]

    def test_a_failed_test_withdrawn_no_longer_makes_the_client_unsuitable(
        self, jo, lot, practitioner, time_machine
    ):
        time_machine.move_to(READ + timedelta(hours=1))
        services.intake_save(
            client=jo,
            fields={
                "hair_loss_cause": "androgenetic",
                "scale": "norwood",
                "stage": "IV",
                "fitzpatrick": 3,
                "pigment_reaction": False,
            },
            by=practitioner,
        )
        test = services.patch_test_apply(
            client=jo, lots=[lot], applied_at=APPLIED, notes="", by=practitioner
        )
        services.patch_test_read(
            patch_test=test, result="failed", read_at=READ, notes="", by=practitioner
        )
        assert "A patch test failed." in selectors.client_assessment(jo).reasons
        services.patch_test_withdraw(
            patch_test=test, reason="Another client's arm", by=practitioner
        )
        assessment = selectors.client_assessment(jo)
        assert "A patch test failed." not in assessment.reasons
        assert assessment.recommendation == "suitable"

    def test_it_is_kept_with_who_when_and_why_and_audited(
        self, jo, passed, practitioner
    ):
        services.patch_test_withdraw(
            patch_test=passed, reason="  Never applied  ", by=practitioner
        )
        test = PatchTest.objects.get()
        assert test.withdrawn_at is not None
        assert test.withdrawn_by == practitioner
        assert test.withdrawal_reason == "Never applied"
        assert test.lots.count() == 1
        entry = LogEntry.objects.get_for_object(test).filter(
            action=LogEntry.Action.UPDATE
        )
        assert any("withdrawn_at" in e.changes_dict for e in entry)

    def test_a_reason_is_required_and_it_happens_once(self, passed, practitioner):
        with pytest.raises(ValidationError, match="Say why"):
            services.patch_test_withdraw(patch_test=passed, reason=" ", by=practitioner)
        assert PatchTest.objects.get().withdrawn_at is None
        services.patch_test_withdraw(patch_test=passed, reason="Typo", by=practitioner)
        with pytest.raises(ValidationError, match="already been withdrawn"):
            services.patch_test_withdraw(
                patch_test=passed, reason="Again", by=practitioner
            )
        assert PatchTest.objects.get().withdrawal_reason == "Typo"

    def test_a_withdrawn_pending_test_cannot_be_read(
        self, jo, lot, practitioner, time_machine
    ):
        time_machine.move_to(READ + timedelta(hours=1))
        test = services.patch_test_apply(
            client=jo, lots=[lot], applied_at=APPLIED, notes="", by=practitioner
        )
        services.patch_test_withdraw(patch_test=test, reason="Typo", by=practitioner)
        with pytest.raises(ValidationError, match="withdrawn"):
            services.patch_test_read(
                patch_test=test,
                result="passed",
                read_at=READ,
                notes="",
                by=practitioner,
            )

    def test_the_page_asks_for_a_reason_then_withdraws(
        self, client, jo, passed, practitioner
    ):
        client.force_login(practitioner)
        page = client.get(f"/clients/{jo.pk}/").text
        url = f"/clients/patch-tests/{passed.pk}/withdraw/"
        assert f'href="{url}"' in page
        refused = client.post(url, {"reason": "   "})
        assert refused.status_code == 422
        assert "Say why the patch test is withdrawn." in refused.text
        assert PatchTest.objects.get().withdrawn_at is None
        done = client.post(url, {"reason": "Wrong client <script>alert(1)</script>"})
        assert done.status_code == 302
        page = client.get(f"/clients/{jo.pk}/").text
        assert "Withdrawn" in page
        assert "Wrong client &lt;script&gt;alert(1)&lt;/script&gt;" in page
        assert "<script>alert" not in page
        assert f'href="{url}"' not in page
        again = client.get(url)
        assert "Withdrawn " in again.text
        assert "Withdraw the patch test" not in again.text

    def test_the_front_desk_cannot_withdraw(self, client, front_desk, passed):
        client.force_login(front_desk)
        url = f"/clients/patch-tests/{passed.pk}/withdraw/"
        assert client.get(url).status_code == 403
        assert client.post(url, {"reason": "x"}).status_code == 403
        assert PatchTest.objects.get().withdrawn_at is None


class TestNoLongerAppliesAsksFirst:
    @pytest.fixture
    def item(self, jo, practitioner):
        return services.contraindication_record(
            client=jo, kind="keloid", severity="absolute", by=practitioner
        )

    def test_the_button_leads_to_a_question_not_to_the_change(
        self, client, jo, item, practitioner
    ):
        client.force_login(practitioner)
        url = f"/clients/contraindications/{item.pk}/resolve/"
        page = client.get(f"/clients/{jo.pk}/").text
        assert f'href="{url}"' in page
        question = client.get(url)
        assert question.status_code == 200
        assert "Yes, it no longer applies" in question.text
        assert Contraindication.objects.get().resolved_at is None
        (form,) = [f for f in forms_in(question.text) if f["action"] in ("", url)]
        assert ("confirm", "yes") in form["fields"]

    def test_a_post_without_the_confirmation_changes_nothing(
        self, client, item, practitioner
    ):
        client.force_login(practitioner)
        url = f"/clients/contraindications/{item.pk}/resolve/"
        response = client.post(url, {})
        assert response.status_code == 200
        assert "Yes, it no longer applies" in response.text
        assert Contraindication.objects.get().resolved_at is None

    def test_confirmed_it_is_resolved_once(self, client, jo, item, practitioner):
        client.force_login(practitioner)
        url = f"/clients/contraindications/{item.pk}/resolve/"
        response = client.post(url, {"confirm": "yes"}, follow=True)
        assert "as no longer applying" in response.text
        resolved_at = Contraindication.objects.get().resolved_at
        assert resolved_at is not None
        response = client.post(url, {"confirm": "yes"}, follow=True)
        assert "already marked as over" in response.text
        assert Contraindication.objects.get().resolved_at == resolved_at
        assert "Already marked as no longer applying" in client.get(url).text
