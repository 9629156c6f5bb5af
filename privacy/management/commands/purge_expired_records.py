from django.core.management.base import BaseCommand

from privacy.services import records_purge_expired


class Command(BaseCommand):
    help = (
        "Delete what has passed its retention period: erased clients' kept facts, "
        "clients inactive for RECORD_RETENTION_YEARS, audit entries as old, and "
        "login records older than LOGIN_LOG_RETENTION_DAYS. Runs daily on the beat."
    )

    def handle(self, **options):
        result = records_purge_expired()
        self.stdout.write(
            f"erased clients purged {result.erased_clients_purged}, inactive clients "
            f"purged {result.inactive_clients_purged}, audit entries purged "
            f"{result.audit_entries_purged}, login records purged "
            f"{result.login_records_purged}"
        )
