from django.apps import AppConfig


class ClientsConfig(AppConfig):
    name = "clients"

    def ready(self):
        from clients.models import (
            Client,
            Consent,
            Contraindication,
            Intake,
            PatchTest,
            SuitabilityDecision,
            TreatmentGates,
        )
        from core import audit

        audit.register(
            (Client, "pk"),
            (Intake, "client_id"),
            (Contraindication, "client_id"),
            (SuitabilityDecision, "client_id"),
            (PatchTest, "client_id"),
            (Consent, "client_id"),
            (TreatmentGates, ""),
        )
