"""The staff login backend: Django's, but a request's user comes with their roles.

Every page asks `core.roles` what the user may do. Loaded lazily, the roles were
a query of their own on every request; joined here they are part of the query that
loads the user (bench/RESULTS.md). Still read on every request, so a role taken away
takes effect at once.
"""

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.db.models import Aggregate, CharField

from core.roles import roles_from_names

SEPARATOR = "\x1f"  # a character no group name holds


class JoinedNames(Aggregate):
    """Values joined by SEPARATOR: STRING_AGG on PostgreSQL, GROUP_CONCAT on SQLite."""

    function = "STRING_AGG"
    template = f"%(function)s(%(expressions)s, '{SEPARATOR}')"
    output_field = CharField()

    def as_sqlite(self, compiler, connection, **extra_context):
        return self.as_sql(
            compiler, connection, function="GROUP_CONCAT", **extra_context
        )


class StaffBackend(ModelBackend):
    def get_user(self, user_id):
        user = (
            get_user_model()
            ._default_manager.annotate(group_names=JoinedNames("groups__name"))
            .filter(pk=user_id)
            .first()
        )
        if user is None or not self.user_can_authenticate(user):
            return None
        names = user.group_names.split(SEPARATOR) if user.group_names else []
        user._smp_roles = roles_from_names(names, superuser=user.is_superuser)
        return user
