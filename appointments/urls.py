from django.urls import path

from appointments import public_views, setup_views, views

urlpatterns = [
    path("calendar/", views.calendar_day, name="calendar_day"),
    path("calendar/week/", views.calendar_week, name="calendar_week"),
    path("calendar/feed/", views.calendar_feed_settings, name="calendar_feed_settings"),
    path("feeds/<str:token>.ics", views.calendar_feed, name="calendar_feed"),
    path("book/", public_views.book_location, name="book_location"),
    path("book/<int:location_id>/", public_views.book_service, name="book_service"),
    path(
        "book/<int:location_id>/<int:service_id>/",
        public_views.book_time,
        name="book_time",
    ),
    path(
        "book/<int:location_id>/<int:service_id>/details/",
        public_views.book_details,
        name="book_details",
    ),
    path("book/done/<str:token>/", public_views.book_done, name="book_done"),
    path("appointments/new/", views.appointment_new, name="appointment_new"),
    path("appointments/today/", views.appointments_today, name="appointments_today"),
    path("appointments/next-free/", views.next_free, name="next_free"),
    path("appointments/<int:pk>/", views.appointment_detail, name="appointment_detail"),
    path(
        "appointments/<int:pk>/cancel/",
        views.appointment_cancel,
        name="appointment_cancel",
    ),
    path(
        "appointments/<int:pk>/reschedule/",
        views.appointment_reschedule,
        name="appointment_reschedule",
    ),
    path(
        "appointments/<int:pk>/<slug:action>/",
        views.appointment_status,
        name="appointment_status",
    ),
    path("waitlist/", views.waitlist, name="waitlist"),
    path("waitlist/add/", views.waitlist_add_pick, name="waitlist_add_pick"),
    path("waitlist/<int:pk>/remove/", views.waitlist_remove, name="waitlist_remove"),
    path("clients/<int:pk>/waitlist/", views.waitlist_add, name="waitlist_add"),
    path("setup/", setup_views.setup_home, name="setup_home"),
    path(
        "setup/practitioners/",
        setup_views.practitioner_list,
        name="setup_practitioners",
    ),
    path(
        "setup/practitioners/new/",
        setup_views.practitioner_new,
        name="setup_practitioner_new",
    ),
    path(
        "setup/practitioners/<int:pk>/",
        setup_views.practitioner_edit,
        name="setup_practitioner_edit",
    ),
    path(
        "setup/practitioners/<int:pk>/hours/",
        setup_views.practitioner_hours,
        name="setup_practitioner_hours",
    ),
    path(
        "setup/practitioners/<int:pk>/time-off/",
        setup_views.time_off_add,
        name="setup_time_off_add",
    ),
    path(
        "setup/time-off/<int:pk>/delete/",
        setup_views.time_off_delete,
        name="setup_time_off_delete",
    ),
    path(
        "setup/closures/<int:pk>/delete/",
        setup_views.closure_delete,
        name="setup_closure_delete",
    ),
    path("setup/gates/", setup_views.gates_setup, name="setup_gates"),
    path("setup/<slug:kind>/", setup_views.record_list, name="setup_list"),
    path("setup/<slug:kind>/new/", setup_views.record_edit, name="setup_new"),
    path("setup/<slug:kind>/<int:pk>/", setup_views.record_edit, name="setup_edit"),
]
