import secrets
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django_otp.plugins.otp_totp.models import TOTPDevice

from core import two_factor
from smp_clinic.demo import DEMO_LOGINS


class Command(BaseCommand):
    help = (
        "Print the demo login of each role, giving each a random password the first "
        "time (kept in var/demo-logins.txt, readable by this machine's user only)."
    )

    def handle(self, **options):
        path = Path(settings.VAR_DIR) / "demo-logins.txt"
        known = _read(path)
        users = get_user_model().objects.filter(
            username__in=[username for username, *_ in DEMO_LOGINS]
        )
        users = {user.username: user for user in users}
        if len(users) != len(DEMO_LOGINS):
            raise CommandError("No demo staff yet: run `manage.py seed_demo` first.")
        rows = []
        for username, _first, _last, role in DEMO_LOGINS:
            user = users[username]
            password = known.get(username)
            if not password or not user.check_password(password):
                password = secrets.token_urlsafe(12)
                user.set_password(password)
                user.save(update_fields=["password"])
            rows.append((role.value, username, password))
        _write(path, rows)
        width = max(len(role) for role, *_ in rows)
        self.stdout.write("Demo logins (one per role):")
        for role, username, password in rows:
            self.stdout.write(f"  {role:<{width}}  {username:<13} {password}")
        for username, *_ in DEMO_LOGINS:
            if two_factor.required_for(users[username]):
                self._print_authenticator(users[username])

    def _print_authenticator(self, user) -> None:
        """Managers need a code as well: give the demo one an app key to type in."""
        device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
        if device is None:
            device = TOTPDevice.objects.create(
                user=user, name="Authenticator app", confirmed=True
            )
        self.stdout.write(
            f"Two-factor login for {user.username}: add the key "
            f"{two_factor.secret_of(device)} to an authenticator app, or print "
            f"the current code with `manage.py demo_code {user.username}`."
        )


def _read(path: Path) -> dict[str, str]:
    if not path.exists():
        return {}
    rows = (line.split("\t") for line in path.read_text().splitlines() if "\t" in line)
    return {row[1]: row[2] for row in rows if len(row) == 3}


def _write(path: Path, rows) -> None:
    path.touch(mode=0o600, exist_ok=True)
    path.write_text(
        "".join(f"{role}\t{user}\t{password}\n" for role, user, password in rows)
    )
