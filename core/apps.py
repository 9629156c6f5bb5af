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
        self._forget_cached_sign_ins()

        from auditlog.models import LogEntry
        from django.db.models.signals import pre_save

        from core.audit import entry_actor

        pre_save.connect(entry_actor, sender=LogEntry, dispatch_uid="core.entry_actor")

        from core import audit
        from core.models import ClinicProfile

        audit.register((ClinicProfile, ""))

    @staticmethod
    def _forget_cached_sign_ins():
        """The user with roles and the verifying device are cached per request's
        session (core.backends, core.two_factor): forget them when they change."""
        from django.contrib.auth import get_user_model
        from django.contrib.auth.models import Group
        from django.db.models.signals import (
            m2m_changed,
            post_delete,
            post_save,
            pre_delete,
            pre_save,
        )
        from django_otp.plugins.otp_static.models import StaticDevice
        from django_otp.plugins.otp_totp.models import TOTPDevice

        from core import backends, two_factor

        user = get_user_model()
        for signal in (post_save, post_delete):
            signal.connect(backends.invalidate_user, sender=user, weak=False)
            for device in (TOTPDevice, StaticDevice):
                signal.connect(two_factor.invalidate_device, sender=device, weak=False)
        m2m_changed.connect(
            backends.invalidate_members, sender=user.groups.through, weak=False
        )
        for signal in (pre_save, pre_delete):
            signal.connect(backends.invalidate_group, sender=Group, weak=False)
