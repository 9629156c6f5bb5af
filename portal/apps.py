from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "portal"
    verbose_name = "Client portal"

    def ready(self):
        from django.contrib.auth.signals import user_logged_in

        from portal import access

        # A staff login in a browser a client signed in with ends the client's
        # session there: one session is never both.
        user_logged_in.connect(
            access.forget_client_on_staff_login, dispatch_uid="portal.staff_login"
        )
