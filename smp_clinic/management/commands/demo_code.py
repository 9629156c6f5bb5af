from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from smp_clinic.demo import DEMO_LOGINS


class Command(BaseCommand):
    help = (
        "Print the current two-factor code of a demo login, for trying the app "
        "without an authenticator app. Refused unless DEBUG is on."
    )

    def add_arguments(self, parser):
        parser.add_argument("username", nargs="?", default="manager")

    def handle(self, *, username, **options):
        if not settings.DEBUG:
            raise CommandError("Only in development (DEBUG=1).")
        if username not in {name for name, *_ in DEMO_LOGINS}:
            raise CommandError(f"{username} is not a demo login.")
        device = TOTPDevice.objects.filter(
            user__username=username, confirmed=True
        ).first()
        if device is None:
            raise CommandError(f"{username} has no authenticator: run demo_logins.")
        code = TOTP(device.bin_key, device.step, device.t0, device.digits).token()
        self.stdout.write(f"{code:06d}")
