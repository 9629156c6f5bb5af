from django.apps import AppConfig


class SmpClinicConfig(AppConfig):
    """The project: settings, urls, the beat schedule, dashboards and reports. It sits
    above every app and no app imports it."""

    name = "smp_clinic"
    verbose_name = "SMP Clinic"

    def ready(self):
        from messaging import hooks as message_hooks
        from payments import hooks as payment_hooks
        from smp_clinic import wiring

        # Receipts and invoices reach the client through the outbox, which draws
        # each PDF from its Document when it sends.
        payment_hooks.document_to_send.connect(wiring.document_to_outbox)
        message_hooks.document_file.connect(wiring.document_file)
