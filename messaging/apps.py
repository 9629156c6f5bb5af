from django.apps import AppConfig


class MessagingConfig(AppConfig):
    name = "messaging"
    verbose_name = "Client messages"

    def ready(self):
        from django.db.models.signals import post_delete, post_save

        from clients.hooks import client_messages
        from clients.selectors import timeline_source_register
        from messaging import outbox, selectors, setup
        from messaging.models import MessageSettings

        outbox.connect()
        setup.register()
        timeline_source_register(selectors.client_timeline_events)
        client_messages.connect(selectors.client_messages)
        for signal in (post_save, post_delete):
            signal.connect(
                selectors.message_settings_forget,
                sender=MessageSettings,
                dispatch_uid=f"message-settings-{signal is post_save}",
            )
