from django.apps import AppConfig
from django.db.models.signals import post_save


class PaymentsConfig(AppConfig):
    name = "payments"

    def ready(self):
        from appointments import hooks as appointment_hooks
        from appointments.views import appointment_page_section_register
        from clients.views import client_page_section_register
        from core import audit
        from payments import checkout, services, views
        from payments.models import LedgerEntry
        from treatments.views import plan_page_section_register

        # The cancellation policy: a late cancellation or a no-show forfeits the
        # deposit, in the same transaction.
        appointment_hooks.appointment_cancelled.connect(
            services.deposit_forfeit_on_cancel
        )
        appointment_hooks.appointment_missed.connect(services.deposit_forfeit_on_missed)
        # Card deposits (Stripe): an online booking is held while its deposit is paid.
        appointment_hooks.online_deposit_by_card.connect(
            checkout.online_deposit_by_card
        )
        appointment_hooks.online_deposit_pay_url.connect(
            checkout.online_deposit_pay_url
        )
        # A deposit taken, or the appointment cancelled: its open Checkout tabs close.
        post_save.connect(
            checkout.open_checkouts_expire_on_entry,
            sender=LedgerEntry,
            dispatch_uid="payments-checkouts-expire",
        )
        appointment_hooks.appointment_cancelled.connect(
            checkout.open_checkouts_expire_on_cancel
        )
        client_page_section_register(views.client_page_section)
        appointment_page_section_register(views.appointment_page_section)
        plan_page_section_register(views.plan_page_section)
        audit.register((LedgerEntry, "client_id"))
