from django.contrib import admin
from django.urls import include, path

from appointments.api import api
from smp_clinic import views

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("favicon.ico", views.favicon, name="favicon"),
    path("setup/clinic/", views.setup_clinic, name="setup_clinic"),
    path("clinic/logo/<slug:version>.png", views.clinic_logo, name="clinic_logo"),
    path("audit/", views.audit_log, name="audit_log"),
    path("reports/", views.reports_page, name="reports"),
    path("reports/money/", views.money_reports_page, name="money_reports"),
    path("reports/accounting.csv", views.accounting_export, name="accounting_export"),
    path("reports/<slug:slug>.csv", views.report_csv, name="report_csv"),
    path(
        "accounts/password_reset/",
        views.PasswordResetView.as_view(),
        name="password_reset",
    ),
    path("accounts/two-factor/", views.two_factor_status, name="two_factor"),
    path("accounts/two-factor/setup/", views.two_factor_setup, name="two_factor_setup"),
    path(
        "accounts/two-factor/verify/",
        views.two_factor_verify,
        name="two_factor_verify",
    ),
    path("accounts/", include("django.contrib.auth.urls")),
    path("", include("messaging.urls")),
    path("", include("privacy.urls")),
    path("", include("appointments.urls")),
    path("clients/", include("clients.urls")),
    path("", include("treatments.urls")),
    path("", include("payments.urls")),
    path("", include("operations.urls")),
    path("my/", include("portal.urls")),
    path("api/", api.urls),
    path("admin/", admin.site.urls),
]

# 403 and 404 use Django's handlers with templates/403.html and 404.html (the app's
# layout); the 500 page is rendered without the database (core.errors).
handler500 = "core.errors.server_error"
