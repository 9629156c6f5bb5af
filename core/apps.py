from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = "SMP Clinic (base)"

    def ready(self):
        from django.contrib.auth.signals import user_logged_in

        from core import two_factor
        from core.sessions import session_stamp

        user_logged_in.connect(
            two_factor.login_stamp, dispatch_uid="smp_clinic.two_factor_stamp"
        )
        user_logged_in.connect(session_stamp, dispatch_uid="smp_clinic.session_stamp")
