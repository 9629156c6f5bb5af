"""Set-up -> Messages: the text message of each kind, with its character and
segment count (GSM-7 or UCS-2) computed on the server and kept live by
static/js/sms-count.js."""

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

from messaging.models import MessageText
from messaging.segments import sms_count


class TestSegments:
    @pytest.mark.parametrize(
        ("text", "encoding", "segments"),
        [
            ("a" * 160, "GSM-7", 1),
            ("a" * 161, "GSM-7", 2),
            ("a" * 306, "GSM-7", 2),
            ("a" * 307, "GSM-7", 3),
            # € takes two places in GSM-7.
            ("€" * 80, "GSM-7", 1),
            ("€" * 81, "GSM-7", 2),
            ("a" * 69 + "’", "UCS-2", 1),
            ("a" * 70 + "’", "UCS-2", 2),
            ("a" * 134, "GSM-7", 1),
            # A 💈 is beyond the BMP: two UCS-2 places.
            ("a" * 68 + "💈", "UCS-2", 1),
            ("a" * 69 + "💈", "UCS-2", 2),
            ("a" * 133 + "💈", "UCS-2", 3),
        ],
    )
    def test_it_counts_as_carriers_do(self, text, encoding, segments):
        count = sms_count(text)
        assert (count.encoding, count.segments) == (encoding, segments)

    def test_it_reads_as_a_sentence(self):
        assert str(sms_count("Hello")) == "5 characters, 1 segment (GSM-7)"
        assert str(sms_count("a" * 161)) == "161 characters, 2 segments (GSM-7)"


def edit_url(key: str) -> str:
    return reverse("setup_message_text", args=[key])


class TestEditing:
    def test_the_page_shows_the_text_message_with_its_count_without_javascript(
        self, client, manager
    ):
        client.force_login(manager)
        page = client.get(edit_url("reminder")).content.decode()
        assert 'name="sms"' in page
        count = re.search(r'<output id="sms-count"[^>]*>([^<]+)</output>', page)
        assert count and count.group(1).endswith("segment (GSM-7)")
        assert "js/sms-count.js" in page
        # CSP: no inline script; the examples are data attributes.
        assert not re.search(r"<script(?![^>]*\bsrc=)", page)

    def test_saving_keeps_the_clinic_s_words_and_counts_an_emoji_as_ucs2(
        self, client, manager
    ):
        client.force_login(manager)
        response = client.post(
            edit_url("reminder"),
            {
                "subject": "Reminder",
                "body": "See you.",
                "sms": "See you {date} 💈 <script>alert(1)</script>",
            },
        )
        assert response.status_code == 302
        assert MessageText.objects.get(key="reminder").sms.startswith("See you")
        page = client.get(edit_url("reminder")).content.decode()
        assert "<script>alert(1)</script>" not in page
        assert "(UCS-2)" in page
        listing = client.get(reverse("setup_messages")).content.decode()
        assert "(UCS-2)" in listing
        assert "Email only" in listing  # the ink passport, for one

    def test_a_placeholder_it_cannot_use_is_refused_and_nothing_saved(
        self, client, manager
    ):
        client.force_login(manager)
        response = client.post(
            edit_url("reminder"),
            {"subject": "Reminder", "body": "See you.", "sms": "Hi {first_name!r}"},
        )
        assert response.status_code == 422
        assert "is not a placeholder here" in response.content.decode()
        # The count is of what was typed.
        assert "Hi {first_name!r}" in response.content.decode()
        assert not MessageText.objects.filter(key="reminder").exists()

    def test_a_kind_sent_by_email_only_has_no_text_message(self, client, manager):
        client.force_login(manager)
        page = client.get(edit_url("ink_passport")).content.decode()
        assert 'name="sms"' not in page
        assert "sms-count" not in page

    def test_the_front_desk_cannot_edit_texts(self, client, front_desk):
        client.force_login(front_desk)
        assert client.get(edit_url("reminder")).status_code == 403


# The live count in the browser: static/js/sms-count.js run by node against a
# stand-in for the page, compared with the server's count of the same texts.
JS_HARNESS = """
const fs = require("fs");
const [file, text] = process.argv.slice(1);
let ready;
const field = { value: text, addEventListener() {} };
const output = {
  dataset: {
    smsCount: "id_sms",
    examples: JSON.stringify({ date: "Wed 4 Mar", first_name: "Jo" }),
    suffix: " Reply STOP to opt out.",
  },
  textContent: "",
};
globalThis.document = {
  addEventListener: (name, callback) => { ready = callback; },
  querySelectorAll: () => [output],
  getElementById: () => field,
};
eval(fs.readFileSync(file, "utf8"));
ready();
console.log(output.textContent);
"""


@pytest.mark.skipif(shutil.which("node") is None, reason="needs node")
@pytest.mark.parametrize(
    "text",
    [
        "Hi {first_name}, see you {date}.",
        "a" * 140,
        "€" * 70,
        "Curly ’quotes’ {date}",
        "💈" * 30,
        "{unknown} [brackets] ~ ^",
    ],
)
def test_the_browser_counts_as_the_server_does(text):
    script = Path(settings.BASE_DIR) / "static" / "js" / "sms-count.js"
    shown = subprocess.run(
        ["node", "-e", JS_HARNESS, str(script), text],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    filled = text.replace("{first_name}", "Jo").replace("{date}", "Wed 4 Mar")
    assert shown == str(sms_count(filled + " Reply STOP to opt out."))
