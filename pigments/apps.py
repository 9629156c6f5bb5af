from django.apps import AppConfig


class PigmentsConfig(AppConfig):
    name = "pigments"
    verbose_name = "Pigment stock"

    def ready(self):
        from core import audit
        from pigments.models import Pigment, PigmentLot

        audit.register((Pigment, ""), (PigmentLot, ""))
