"""The app as the benchmark serves it: the project's settings, plus bench.server."""

import os

import django
from django.core.handlers.wsgi import WSGIHandler

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "smp_clinic.settings")
django.setup(set_prefix=False)

from bench import server  # noqa: E402 - needs the settings set up

server.install()
application = WSGIHandler()
