from email import message_from_bytes, policy

from django.core.mail import EmailMessage, get_connection


def test_each_message_becomes_an_eml_file_a_mail_program_opens(tmp_path):
    connection = get_connection("core.mail.EmlFileBackend", file_path=tmp_path)
    first = EmailMessage("Your appointment", "See you soon", to=["a@client.test"])
    first.attach(
        "appointment.ics", "BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n", "text/calendar"
    )
    second = EmailMessage("Aftercare", "Keep it dry", to=["b@client.test"])

    sent = connection.send_messages([first, second])

    files = sorted(tmp_path.glob("*.eml"))
    assert sent == 2
    assert len(files) == 2
    parsed = [message_from_bytes(f.read_bytes(), policy=policy.default) for f in files]
    assert {m["Subject"] for m in parsed} == {"Your appointment", "Aftercare"}
    attachment = next(
        part
        for m in parsed
        for part in m.iter_attachments()
        if part.get_filename() == "appointment.ics"
    )
    assert "BEGIN:VCALENDAR" in attachment.get_content()


def test_a_message_without_recipients_is_not_written(tmp_path):
    connection = get_connection("core.mail.EmlFileBackend", file_path=tmp_path)

    assert connection.send_messages([EmailMessage("x", "y", to=[])]) == 0
    assert list(tmp_path.glob("*.eml")) == []


def test_the_default_backend_writes_to_the_outbox_folder(settings, tmp_path):
    settings.EMAIL_BACKEND = "core.mail.EmlFileBackend"
    settings.EMAIL_FILE_PATH = tmp_path / "outbox"

    EmailMessage("Hello", "Body", to=["c@client.test"]).send()

    assert len(list((tmp_path / "outbox").glob("*.eml"))) == 1
