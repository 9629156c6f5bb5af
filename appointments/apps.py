from django.apps import AppConfig


class AppointmentsConfig(AppConfig):
    name = "appointments"

    def ready(self):
        from appointments import (
            booking_cache,
            calendar_cache,
            clinical_gates,
            selectors,
            views,
        )
        from appointments.models import Appointment, WaitlistEntry
        from clients.selectors import (
            client_list_facts_register,
            client_list_order_register,
            timeline_source_register,
        )
        from clients.views import client_page_section_register
        from core import audit

        booking_cache.connect()
        calendar_cache.connect()
        clinical_gates.register()
        timeline_source_register(selectors.client_timeline_events)
        client_page_section_register(views.client_page_section)
        client_list_facts_register(selectors.client_list_visits)
        for sort, order in selectors.CLIENT_LIST_ORDERS.items():
            client_list_order_register(sort, order)
        audit.register((Appointment, "client_id"), (WaitlistEntry, "client_id"))
