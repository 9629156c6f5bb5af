"""Sign-in links: django-sesame's tokens, for clients rather than staff accounts.

django-sesame signs a primary key, the time and a revocation key; it reads the
revocation key from the object it is given, so the object here is a client's
identity (SignInIdentity), never a staff user, and the token is checked with
`parse_token`, never through an authentication backend or Django's login(): a valid
link can only ever open the client portal's session (portal/access.py).

The settings (SESAME_* in smp_clinic/settings.py) make a token expire after
PORTAL_LINK_MINUTES, work once (the client's last sign-in is in the revocation key,
and signing in moves it) and die when the client's email address changes.
"""

from dataclasses import dataclass
from datetime import datetime

from sesame.tokens import create_token, parse_token

SCOPE = "portal:sign-in"


@dataclass(frozen=True)
class SignInIdentity:
    """What django-sesame reads of a "user": the client's id, email address and
    last sign-in."""

    pk: int
    email: str
    last_login: datetime | None
    # Clients have no password: the address and the last sign-in revoke.
    password = None

    @staticmethod
    def get_email_field_name() -> str:
        return "email"


def token_for(identity: SignInIdentity) -> str:
    return create_token(identity, scope=SCOPE)


def identity_from(token: str, get_identity) -> SignInIdentity | None:
    """The identity a token names, if it is genuine, unexpired and unused.
    `get_identity(client_id)` loads the current identity (None: no such client)."""
    return parse_token(token, get_identity, scope=SCOPE)
