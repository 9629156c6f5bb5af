from django.apps import AppConfig


class SmpClinicConfig(AppConfig):
    name = "smp_clinic"
    verbose_name = "SMP Clinic"
