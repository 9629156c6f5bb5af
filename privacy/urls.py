from django.urls import path

from privacy import views

urlpatterns = [
    path("clients/<int:pk>/export/", views.client_export, name="client_export"),
    path("clients/<int:pk>/erase/", views.client_erase, name="client_erase"),
]
