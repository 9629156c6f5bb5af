"""The clinic's name and logo, as every page header and email shows them.

One row (core.models.ClinicProfile), read through the cache: a page costs no query
for it once the cache holds it, and a change writes the cache anew at once (after
commit). Without a row the name is settings.CLINIC_NAME and the logo the app's mark.
The 500 page reads the cache only (the database may be what failed).
"""

import hashlib
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.db import DatabaseError, transaction
from django.templatetags.static import static
from django.urls import reverse

from core.models import ClinicProfile

CACHE_KEY = "clinic-identity:1"
DEFAULT_LOGO = "img/clinic-mark.svg"


@dataclass(frozen=True)
class ClinicIdentity:
    name: str
    # A short hash of the uploaded logo's bytes ("" when none): its URL changes with
    # it, so browsers and mail clients may keep the picture for a year.
    logo_version: str = ""

    @property
    def logo_url(self) -> str:
        """The logo for pages: the uploaded one, or the app's own mark."""
        if self.logo_version:
            return reverse("clinic_logo", kwargs={"version": self.logo_version})
        return static(DEFAULT_LOGO)

    @property
    def email_logo_url(self) -> str:
        """An absolute URL of the uploaded logo for HTML email (a PNG on a public
        route), or "" for none: the default mark is an SVG, which many mail
        programs do not show, and an email reads the same without it."""
        if not self.logo_version:
            return ""
        return settings.SITE_URL + self.logo_url


def clinic_identity() -> ClinicIdentity:
    """The clinic's name and logo version, from the cache or (once) the database."""
    identity = cache.get(CACHE_KEY)
    if identity is None:
        try:
            profile = ClinicProfile.objects.filter(pk=1).first()
        except DatabaseError:
            # A database not yet migrated (or not answering): the page that asked
            # fails on its own queries, if it has any; the header is not the cause.
            return ClinicIdentity(name=settings.CLINIC_NAME)
        identity = _identity_of(profile)
        cache.set(CACHE_KEY, identity, timeout=None)
    return identity


def cached_clinic_name() -> str:
    """The name without asking the database (the 500 page): the cached name, or the
    configured one."""
    try:
        identity = cache.get(CACHE_KEY)
    except Exception:  # noqa: BLE001 - the error page must render whatever broke
        identity = None
    return identity.name if identity is not None else settings.CLINIC_NAME


def _identity_of(profile: ClinicProfile | None) -> ClinicIdentity:
    if profile is None:
        return ClinicIdentity(name=settings.CLINIC_NAME)
    version = ""
    if profile.logo:
        version = hashlib.sha256(profile.logo.name.encode()).hexdigest()[:12]
    return ClinicIdentity(name=profile.name, logo_version=version)


def clinic_logo_file(version: str):
    """The uploaded logo's open file when `version` is the current one, else None."""
    identity = clinic_identity()
    if not version or version != identity.logo_version:
        return None
    profile = ClinicProfile.objects.filter(pk=1).first()
    if profile is None or not profile.logo:
        return None
    return profile.logo.open("rb")


@transaction.atomic
def clinic_profile_save(
    *, name: str, logo_png: bytes | None = None, remove_logo: bool = False
) -> ClinicProfile:
    """Set the clinic's name, and its logo when `logo_png` is given (bytes that
    core.images.clean_logo returned: checked and re-encoded), or remove the logo.
    The change is audited (django-auditlog); the old logo file is deleted after
    commit, the cache written anew."""
    profile = ClinicProfile.objects.select_for_update().filter(pk=1).first()
    if profile is None:
        profile = ClinicProfile(pk=1)
    old_logo = profile.logo.name if profile.logo else ""
    profile.name = name.strip()
    if logo_png is not None:
        digest = hashlib.sha256(logo_png).hexdigest()[:16]
        profile.logo.save(f"logo-{digest}.png", ContentFile(logo_png), save=False)
    elif remove_logo:
        profile.logo = ""
    profile.full_clean()
    profile.save()
    new_logo = profile.logo.name if profile.logo else ""
    storage = ClinicProfile._meta.get_field("logo").storage

    def after_commit():
        if old_logo and old_logo != new_logo:
            storage.delete(old_logo)
        cache.set(CACHE_KEY, _identity_of(profile), timeout=None)

    # Forget the old now (this process, and a test inside one transaction); the new
    # is written once it is committed, so no reader caches a change rolled back.
    cache.delete(CACHE_KEY)
    transaction.on_commit(after_commit)
    return profile
