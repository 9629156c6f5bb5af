from django.urls import path

from treatments import views

urlpatterns = [
    path("clients/<int:pk>/plans/new/", views.plan_new, name="plan_new"),
    path("clients/<int:pk>/photos/", views.photos, name="photos"),
    path("clients/<int:pk>/ink-passport/", views.ink_passport, name="ink_passport"),
    path("plans/<int:pk>/", views.plan_detail, name="plan_detail"),
    path("plans/<int:pk>/edit/", views.plan_edit, name="plan_edit"),
    path("plans/<int:pk>/sign-off/", views.plan_sign_off, name="plan_sign_off"),
    path("plans/<int:pk>/cancel/", views.plan_cancel, name="plan_cancel"),
    path("plans/<int:pk>/book/", views.course_book, name="course_book"),
    path("sessions/<int:pk>/record/", views.session_record, name="session_record"),
    path("appointments/<int:pk>/session/new/", views.session_open, name="session_open"),
    path("sessions/<int:pk>/healing/", views.session_healing, name="session_healing"),
    path("photos/<int:pk>/<str:size>/", views.photo_file, name="photo_file"),
    path("lots/<int:pk>/recall/", views.lot_recall, name="lot_recall"),
    path("lots/<int:pk>/status/", views.lot_status, name="lot_status"),
    path("lots/<int:pk>/recall/notify/", views.lot_notify, name="lot_notify"),
]
