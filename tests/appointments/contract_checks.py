"""Schemathesis checks of our own, loaded by test_api_contract.py (SCHEMATHESIS_HOOKS).

positive_data_acceptance fails any schema-valid request that is not answered 2xx, 401,
403, 404 or 409. A booking can be well formed and still not bookable: outside working
hours, too soon, a client whose record does not allow the treatment. The API answers
that 422 with the code "refused", and the schema says so. This check is
positive_data_acceptance with that one answer allowed; a 422 "invalid" (the server
refusing what the schema accepts) still fails."""

import os

import schemathesis
from schemathesis.specs.openapi.checks import positive_data_acceptance


def _refused(response) -> bool:
    if response.status_code != 422:
        return False
    try:
        return response.json().get("code") == "refused"
    except ValueError:
        return False


@schemathesis.check
def positive_data_accepted_unless_refused(ctx, response, case):
    if _refused(response):
        return None
    return positive_data_acceptance(ctx, response, case)


@schemathesis.hook
def before_call(context, case, kwargs):
    """Django checks CSRF on POST: the token goes in a cookie and, matching, in the
    X-CSRFToken header (given on the command line)."""
    case.cookies = {**(case.cookies or {}), "csrftoken": os.environ["CONTRACT_CSRF"]}
