from django.urls import path

from messaging import public_views, setup_views, views, webhooks

urlpatterns = [
    # Staff: the outbox.
    path("clients/messages/", views.outbox_list, name="outbox"),
    path("clients/messages/<int:pk>/", views.message_detail, name="message_detail"),
    path(
        "clients/messages/<int:pk>/email.html",
        views.message_email_html,
        name="message_email_html",
    ),
    path("clients/messages/<int:pk>/retry/", views.message_retry, name="message_retry"),
    # Staff: texts clients sent that need an answer.
    path("clients/replies/", views.replies_list, name="replies"),
    path("clients/replies/<int:pk>/reply/", views.reply_send, name="reply_send"),
    path("clients/replies/<int:pk>/done/", views.reply_done, name="reply_done"),
    # Set-up: the clinic's timing and texts (before appointments' setup/<kind>/).
    path("setup/messages/", setup_views.messages_setup, name="setup_messages"),
    path(
        "setup/messages/<slug:key>/",
        setup_views.message_text_edit,
        name="setup_message_text",
    ),
    path(
        "setup/messages/<slug:key>/reset/",
        setup_views.message_text_reset,
        name="setup_message_text_reset",
    ),
    # Clients: the signed links in their messages.
    path("m/<str:token>/", public_views.message_link, name="message_link"),
    path(
        "m/waitlist/<str:token>/",
        public_views.waitlist_offer_link,
        name="waitlist_offer_link",
    ),
    path("m/unsubscribe/<str:token>/", public_views.unsubscribe, name="unsubscribe"),
    # Clients: the short links in their text messages.
    path("s/<str:code>/", public_views.short_link, name="short_link"),
    # The SMS provider: delivery status and texts received (signature checked).
    path("sms/status/", webhooks.sms_status, name="sms_status"),
    path("sms/inbound/", webhooks.sms_inbound, name="sms_inbound"),
]
