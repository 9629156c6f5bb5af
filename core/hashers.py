"""Password hashing with the parameters OWASP recommends for Argon2id.

Django's defaults ask for 100 MiB of memory per hash, so every login held a web
worker at twice its usual size (measured in bench/RESULTS.md), and a burst of logins
could exhaust a small server's memory. OWASP's Password Storage Cheat Sheet gives
19 MiB, 2 passes and 1 lane as a recommended configuration. The algorithm keeps its
name, so existing hashes verify and are re-hashed with these values at the next login.
"""

from django.contrib.auth.hashers import Argon2PasswordHasher


class OwaspArgon2PasswordHasher(Argon2PasswordHasher):
    memory_cost = 19 * 1024  # KiB
    time_cost = 2
    parallelism = 1
