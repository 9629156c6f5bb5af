from django.apps import AppConfig


class AppointmentsConfig(AppConfig):
    name = "appointments"

    def ready(self):
        from appointments import calendar_cache
        from appointments.models import Appointment, WaitlistEntry
        from core import audit

        calendar_cache.connect()
        audit.register((Appointment, "client_id"), (WaitlistEntry, "client_id"))
