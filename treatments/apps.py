from django.apps import AppConfig


class TreatmentsConfig(AppConfig):
    name = "treatments"

    def ready(self):
        from core import audit
        from treatments import gates
        from treatments.models import (
            Photo,
            Pigment,
            PigmentLot,
            SessionNeedle,
            SessionPigment,
            TreatmentPlan,
            TreatmentSession,
        )

        gates.register()
        audit.register(
            (TreatmentPlan, "client_id"),
            (TreatmentSession, "client_id"),
            (SessionPigment, "session.client_id"),
            (SessionNeedle, "session.client_id"),
            (Photo, "client_id"),
            (Pigment, ""),
            (PigmentLot, ""),
        )
