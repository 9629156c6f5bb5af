from django.core.management.base import BaseCommand

from messaging.outbox import messages_send_due


class Command(BaseCommand):
    help = "One sweep of the outbox: send the client messages that are due."

    def handle(self, **options):
        result = messages_send_due()
        self.stdout.write(
            f"claimed {result.claimed}, sent {result.sent}, skipped {result.skipped}, "
            f"to retry {result.retried}, failed {result.failed}"
        )
