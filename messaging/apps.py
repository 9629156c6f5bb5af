from django.apps import AppConfig


class MessagingConfig(AppConfig):
    name = "messaging"
    verbose_name = "Client messages"

    def ready(self):
        from clients.hooks import client_messages
        from clients.selectors import timeline_source_register
        from messaging import outbox, selectors, setup

        outbox.connect()
        setup.register()
        timeline_source_register(selectors.client_timeline_events)
        client_messages.connect(selectors.client_messages)
