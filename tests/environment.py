"""Loaded by pytest before Django reads its settings (`-p tests.environment`).

The settings refuse to start without a SECRET_KEY when DEBUG is off, as production must;
the tests run with DEBUG off and a key that is only ever used here.
"""

import os

os.environ.setdefault("SECRET_KEY", "tests-only-secret-key-not-for-any-deployment")
