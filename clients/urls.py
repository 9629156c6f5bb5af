from django.urls import path

from clients import views

urlpatterns = [
    path("", views.client_list, name="client_list"),
    path("new/", views.client_new, name="client_new"),
    path("options/", views.client_options, name="client_options"),
    path("import/", views.client_import, name="client_import"),
    path("consent-texts/", views.consent_texts, name="consent_texts"),
    path("<int:pk>/", views.client_detail, name="client_detail"),
    path("<int:pk>/edit/", views.client_edit, name="client_edit"),
    path("<int:pk>/intake/", views.intake, name="intake"),
    path("<int:pk>/intake-review/", views.intake_review, name="intake_review"),
    path(
        "<int:pk>/intake/<slug:section>/",
        views.intake_section,
        name="intake_section",
    ),
    path(
        "<int:pk>/contraindications/new/",
        views.contraindication_new,
        name="contraindication_new",
    ),
    path(
        "contraindications/<int:pk>/clear/",
        views.contraindication_clear,
        name="contraindication_clear",
    ),
    path(
        "contraindications/<int:pk>/resolve/",
        views.contraindication_resolve,
        name="contraindication_resolve",
    ),
    path(
        "contraindications/<int:pk>/document/",
        views.contraindication_document,
        name="contraindication_document",
    ),
    path("<int:pk>/suitability/", views.suitability_decide, name="suitability"),
    path("<int:pk>/patch-tests/new/", views.patch_test_new, name="patch_test_new"),
    path("patch-tests/<int:pk>/read/", views.patch_test_read, name="patch_test_read"),
    path(
        "patch-tests/<int:pk>/withdraw/",
        views.patch_test_withdraw,
        name="patch_test_withdraw",
    ),
    path(
        "<int:pk>/consents/<slug:kind>/sign/",
        views.consent_sign,
        name="consent_sign",
    ),
    path("consents/<int:pk>/", views.consent_detail, name="consent_detail"),
    path(
        "consents/<int:pk>/withdraw/", views.consent_withdraw, name="consent_withdraw"
    ),
    path(
        "consents/<int:pk>/signature.png",
        views.consent_signature,
        name="consent_signature",
    ),
]
