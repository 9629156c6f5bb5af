from django.apps import AppConfig


class SmpClinicConfig(AppConfig):
    name = "smp_clinic"
    verbose_name = "SMP Clinic"

    def ready(self):
        from django.contrib.auth.signals import user_logged_in

        from smp_clinic import audit, two_factor
        from smp_clinic.sessions import session_stamp

        audit.register_models()
        user_logged_in.connect(
            two_factor.login_stamp, dispatch_uid="smp_clinic.two_factor_stamp"
        )

        user_logged_in.connect(session_stamp, dispatch_uid="smp_clinic.session_stamp")
