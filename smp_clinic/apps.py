from django.apps import AppConfig


class SmpClinicConfig(AppConfig):
    """The project: settings, urls, the beat schedule, dashboards and reports. It sits
    above every app and no app imports it."""

    name = "smp_clinic"
    verbose_name = "SMP Clinic"
