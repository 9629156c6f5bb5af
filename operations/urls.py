from django.urls import path

from operations import views

urlpatterns = [
    path("metrics", views.metrics, name="metrics"),
]
