from django.urls import path

from payments import card_refund_views, checkout_views, views

urlpatterns = [
    path(
        "appointments/<int:pk>/payments/new/",
        views.appointment_payment_new,
        name="appointment_payment_new",
    ),
    path(
        "clients/<int:pk>/payments/new/",
        views.client_payment_new,
        name="client_payment_new",
    ),
    path("payments/<int:pk>/void/", views.entry_void, name="entry_void"),
    path(
        "payments/<int:pk>/card-refund/",
        card_refund_views.card_refund,
        name="card_refund",
    ),
    path(
        "appointments/<int:pk>/invoices/new/",
        views.appointment_invoice,
        name="appointment_invoice",
    ),
    path("documents/<int:pk>.pdf", views.document_pdf, name="document_pdf"),
    path(
        "appointments/<int:pk>/deposit/request/",
        views.deposit_request,
        name="deposit_request",
    ),
    path("pay/deposit/<str:token>/", checkout_views.deposit_pay, name="deposit_pay"),
    path(
        "pay/deposit/<str:token>/paid/",
        checkout_views.deposit_paid,
        name="deposit_paid",
    ),
    path(
        "payments/stripe/webhook/",
        checkout_views.stripe_webhook,
        name="stripe_webhook",
    ),
    path("documents/<int:pk>/email/", views.document_email, name="document_email"),
]
