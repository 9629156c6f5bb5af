"""Private files (photos, thumbnails, signatures, clearance letters): on the local disk
under MEDIA_ROOT/private by default, or in an S3-compatible bucket (MEDIA_STORAGE=s3)
when several web hosts must see the same files.

Never public either way: nothing has a URL (`url()` refuses), the bucket's objects
are written private, and a view streams a file only after the scoped selector has
let the person see its record (so the audit trail, Cache-Control: no-store and 403/404
hold as for the pages). Streaming through the app rather than handing out pre-signed
URLs keeps a link from outliving the check: a signed URL can be forwarded, lands in
browser history and proxies' logs, and cannot be revoked before it expires.
"""

import os

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.files.storage import FileSystemStorage, Storage
from django.utils.deconstruct import deconstructible

NO_URL = "Private files have no URL; serve them through a view."


class LocalPrivateStorage(FileSystemStorage):
    def url(self, name):
        raise ValueError(NO_URL)


def _s3_storage():
    from storages.backends.s3 import S3Storage

    if not settings.MEDIA_S3_BUCKET:
        raise ImproperlyConfigured("MEDIA_STORAGE=s3 needs MEDIA_S3_BUCKET.")

    class PrivateS3Storage(S3Storage):
        def url(self, name, parameters=None, expire=None, http_method=None):
            raise ValueError(NO_URL)

    return PrivateS3Storage(
        bucket_name=settings.MEDIA_S3_BUCKET,
        endpoint_url=settings.MEDIA_S3_ENDPOINT_URL or None,
        region_name=settings.MEDIA_S3_REGION or None,
        access_key=settings.MEDIA_S3_ACCESS_KEY_ID or None,
        secret_key=settings.MEDIA_S3_SECRET_ACCESS_KEY or None,
        location="private",
        default_acl="private",
        # A name already taken gets a new one, as on disk: nothing is overwritten.
        file_overwrite=False,
        querystring_auth=True,
        addressing_style=settings.MEDIA_S3_ADDRESSING_STYLE or None,
    )


@deconstructible(path="clients.storage.PrivateStorage")
class PrivateStorage(Storage):
    """The one storage of private files, on disk or S3 as the settings say at the
    time of use (the model fields hold this object from import on)."""

    def __init__(self):
        self._backends: dict[tuple, Storage] = {}

    def backend(self) -> Storage:
        if settings.MEDIA_STORAGE == "s3":
            key = (
                "s3",
                settings.MEDIA_S3_BUCKET,
                settings.MEDIA_S3_ENDPOINT_URL,
                settings.MEDIA_S3_ACCESS_KEY_ID,
            )
            make = _s3_storage
        else:
            location = os.path.join(settings.MEDIA_ROOT, "private")
            key = ("filesystem", location)

            def make():
                return LocalPrivateStorage(location=location)

        if key not in self._backends:
            self._backends[key] = make()
        return self._backends[key]

    # Storage's API, each call answered by the configured backend.
    def open(self, name, mode="rb"):
        return self.backend().open(name, mode)

    def save(self, name, content, max_length=None):
        return self.backend().save(name, content, max_length=max_length)

    def generate_filename(self, filename):
        return self.backend().generate_filename(filename)

    def get_available_name(self, name, max_length=None):
        return self.backend().get_available_name(name, max_length=max_length)

    def get_valid_name(self, name):
        return self.backend().get_valid_name(name)

    def delete(self, name):
        return self.backend().delete(name)

    def exists(self, name):
        return self.backend().exists(name)

    def listdir(self, path):
        return self.backend().listdir(path)

    def size(self, name):
        return self.backend().size(name)

    def url(self, name):
        raise ValueError(NO_URL)

    def path(self, name):
        return self.backend().path(name)

    def get_modified_time(self, name):
        return self.backend().get_modified_time(name)

    def get_created_time(self, name):
        return self.backend().get_created_time(name)


_private = PrivateStorage()


def private_storage() -> PrivateStorage:
    return _private
