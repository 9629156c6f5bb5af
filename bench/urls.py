from django.urls import include, path

from bench import server

urlpatterns = [
    path("bench/trivial/", server.trivial, name="bench_trivial"),
    path("", include("smp_clinic.urls")),
]
