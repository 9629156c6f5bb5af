"""What the benchmark adds to the server it measures: a trivial view to compare
against and a count of SQL queries per response. Installed by bench.wsgi and the
runner only, never by the project's own settings."""

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.http import HttpResponse

from appointments import calendar_cache


def install() -> None:
    """Route /bench/trivial/ and count queries; before the WSGI handler is built."""
    settings.ROOT_URLCONF = "bench.urls"
    # First, so that it counts the queries of every other middleware too.
    settings.MIDDLEWARE = [
        "bench.server.count_queries",
        "bench.server.uncached",
        *settings.MIDDLEWARE,
    ]


def is_query(sql: str) -> bool:
    """A statement that reads or writes. Transaction control and session settings
    are left out: SQLite sends BEGIN and COMMIT as statements where PostgreSQL's
    driver does not, a test (inside a transaction) makes savepoints where a server
    begins and commits, and only PostgreSQL has a commit setting to change."""
    words = ("BEGIN", "COMMIT", "SAVEPOINT", "RELEASE", "ROLLBACK", "SET ", "RESET ")
    return not sql.lstrip().upper().startswith(words)


def count_queries(get_response):
    """Report the SQL queries a request made in an `X-Queries` header."""

    def middleware(request):
        queries = 0

        def counter(execute, sql, params, many, context):
            nonlocal queries
            queries += is_query(sql)
            return execute(sql, params, many, context)

        with connection.execute_wrapper(counter):
            response = get_response(request)
        response["X-Queries"] = str(queries)
        return response

    return middleware


def uncached(get_response):
    """With an `X-Bench-Uncached` header, the calendar's version starts afresh, so
    the page is rendered as after a change rather than served from the cache."""

    def middleware(request):
        if request.headers.get("X-Bench-Uncached"):
            cache.delete_many([calendar_cache.KEY, calendar_cache.SETUP_KEY])
        return get_response(request)

    return middleware


def trivial(request):
    """The yardstick: the same server, middleware and session, no work of its own."""
    return HttpResponse("ok", content_type="text/plain")
