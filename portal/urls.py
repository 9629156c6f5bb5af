from django.urls import path

from portal import views

app_name = "portal"

urlpatterns = [
    path("", views.home, name="home"),
    path("sign-in/", views.sign_in, name="sign_in"),
    path("sign-in/sent/", views.sign_in_sent, name="sign_in_sent"),
    path("link/<str:token>/", views.link, name="link"),
    path("sign-out/", views.sign_out, name="sign_out"),
    path("history/", views.history, name="history"),
    path("book/", views.book, name="book"),
    path("book/<slug:slug>/", views.book_times, name="book_times"),
    path(
        "appointments/<int:pk>/move/", views.appointment_move, name="appointment_move"
    ),
    path(
        "appointments/<int:pk>/cancel/",
        views.appointment_cancel,
        name="appointment_cancel",
    ),
    path("plan/", views.plan, name="plan"),
    path("aftercare/", views.aftercare, name="aftercare"),
    path("forms/", views.consents, name="consents"),
    path("forms/health/", views.intake, name="intake"),
    path("forms/<int:pk>/", views.consent_detail, name="consent_detail"),
    path("forms/sign/<slug:kind>/", views.consent_sign, name="consent_sign"),
    path(
        "forms/<int:pk>/signature.png",
        views.consent_signature,
        name="consent_signature",
    ),
    path("forms/<int:pk>/withdraw/", views.consent_withdraw, name="consent_withdraw"),
    path("ink-passport/", views.ink_passport, name="ink_passport"),
    path("messages/", views.message_list, name="messages"),
    path("messages/<int:pk>/", views.message_detail, name="message_detail"),
    path("details/", views.details, name="details"),
]
