from django.apps import AppConfig
from django.db.models.signals import post_migrate


class ClientsConfig(AppConfig):
    name = "clients"

    def ready(self):
        from clients import sqlite_search

        # A table rebuild by a later migration drops the search index's triggers.
        post_migrate.connect(
            sqlite_search.ensure_index, sender=self, dispatch_uid="clients-search"
        )
        from clients.models import (
            Client,
            Consent,
            Contraindication,
            Intake,
            IntakeEntry,
            PatchTest,
            SuitabilityDecision,
            TreatmentGates,
        )
        from core import audit

        audit.register(
            (Client, "pk"),
            (Intake, "client_id"),
            (IntakeEntry, "client_id"),
            (Contraindication, "client_id"),
            (SuitabilityDecision, "client_id"),
            (PatchTest, "client_id"),
            (Consent, "client_id"),
            (TreatmentGates, ""),
        )
