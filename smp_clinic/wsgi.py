import gc
import itertools
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "smp_clinic.settings")


class FrozenAfterWarmUp:
    """Moves what the process holds once it has served its first requests (modules,
    URL patterns, compiled templates, the API's schemas) out of the garbage
    collector's sight (gc.freeze).

    Python's full collection walks every object the process holds; in a web worker
    that is some 170,000 objects that live as long as it does, and each full
    collection stopped the worker for about 60 ms, every few seconds under load:
    every request queued behind it waited too (the p99 of bench/RESULTS.md, issue
    25). Frozen, the full collection walks only what requests made since, about 5 ms.
    Garbage is still collected; only the long-lived objects are no longer rescanned.
    After the first requests, not at start-up, because Django loads much lazily;
    the one request that waits for it waits once.
    """

    def __init__(self, application, after: int = 200):
        self.application = application
        self.after = after
        self.served = itertools.count(1)  # thread-safe under the GIL

    def __call__(self, environ, start_response):
        # Before the request after the warm-up, not at the end of the last one: its
        # request and response are gone by then, not frozen with the rest.
        if next(self.served) == self.after + 1:
            gc.collect()  # what is garbage now is not kept for ever
            gc.freeze()
        return self.application(environ, start_response)


application = FrozenAfterWarmUp(get_wsgi_application())
