from django.apps import AppConfig


class TreatmentsConfig(AppConfig):
    name = "treatments"

    def ready(self):
        from appointments import hooks as appointment_hooks
        from appointments.views import appointment_page_section_register
        from clients.selectors import (
            client_list_facts_register,
            timeline_source_register,
        )
        from clients.views import client_page_section_register
        from core import audit
        from treatments import gates, selectors, services, setup, views
        from treatments.models import (
            Photo,
            SessionNeedle,
            SessionPigment,
            TreatmentPlan,
            TreatmentSession,
        )

        gates.register()
        setup.register()
        timeline_source_register(selectors.client_timeline_events)
        client_page_section_register(views.client_page_section)
        client_list_facts_register(selectors.client_list_courses)
        appointment_page_section_register(views.appointment_page_section)
        # A completed course session moves its course on (recalls, the next nudge).
        appointment_hooks.appointment_completed.connect(services.plan_session_completed)
        appointment_hooks.online_booking_photos_sent.connect(
            services.photos_from_online_booking
        )
        audit.register(
            (TreatmentPlan, "client_id"),
            (TreatmentSession, "client_id"),
            (SessionPigment, "session.client_id"),
            (SessionNeedle, "session.client_id"),
            (Photo, "client_id"),
        )
