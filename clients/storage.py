import os

from django.conf import settings
from django.core.files.storage import FileSystemStorage
from django.utils.functional import cached_property


class PrivateStorage(FileSystemStorage):
    """Health documents and signatures: under MEDIA_ROOT/private, with no URL.

    Nothing serves MEDIA_ROOT; a view hands a file out after checking who asks.
    """

    @cached_property
    def base_location(self):
        return os.path.join(settings.MEDIA_ROOT, "private")

    def url(self, name):
        raise ValueError("Private files have no URL; serve them through a view.")


_private = PrivateStorage()


def private_storage() -> PrivateStorage:
    return _private
