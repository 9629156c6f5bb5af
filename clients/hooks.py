"""Hooks of the clients app (core.hooks; docs/architecture.md lists them).

`client_messages`: the emails a client was sent, for the client's own pages (the
portal). The outbox is messaging's and the portal may not import it (they are
siblings), so messaging answers here, in its AppConfig.ready().
"""

from dataclasses import dataclass
from datetime import datetime

from core.hooks import Hook


@dataclass(frozen=True)
class ClientMessage:
    """An email as its client may see it: what it was about and, when one message
    is asked for, its plain text."""

    pk: int
    label: str
    subject: str
    # Sent, or (aftercare still to come) when it is due.
    sent_at: datetime | None
    due_at: datetime
    is_aftercare: bool
    appointment_id: int | None
    text: str = ""


# Listeners take (client, pk): pk None lists the client's sent messages and the
# aftercare still to come, newest first, without text; a pk asks for that one
# message of the client's, with its text (none if it is not theirs, or not sent).
# Each returns a list of ClientMessage.
client_messages = Hook("client_messages", "client, pk")


def messages_of(client, pk: int | None = None) -> list[ClientMessage]:
    return [
        message for found in client_messages(client=client, pk=pk) for message in found
    ]
