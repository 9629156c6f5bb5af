"""The base every app builds on: roles, two-factor, sessions, rate limiting, mail
helpers, the cache, pagination, redirects, response headers and the audit machinery.

It imports no app of the project (an import-linter contract in pyproject.toml keeps it
so): a module here that needs to know about clients, appointments or treatments is in
the wrong place, or needs a hook that the higher app fills in (see core/audit.py).
"""
