from django.urls import path

from payments import views

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
        "appointments/<int:pk>/invoices/new/",
        views.appointment_invoice,
        name="appointment_invoice",
    ),
    path("documents/<int:pk>.pdf", views.document_pdf, name="document_pdf"),
]
