from django.core.files.storage import storages
from django.db import models


def logo_storage():
    """The private files' storage (disk or S3, settings.STORAGES["private"]): where
    the app's media go, shared by every web host. The logo is served by its own
    public route, never by a storage URL."""
    return storages["private"]


class ClinicProfile(models.Model):
    """The clinic's own name and logo, one row (pk 1): shown in the header of every
    page (staff, portal, online booking) and in the emails. Without a row the name is
    settings.CLINIC_NAME and the logo the app's own mark (static/img/clinic-mark.svg).
    """

    name = models.CharField(max_length=80)
    # A PNG re-encoded from the upload's pixels (core.images), at most LOGO_SIDE.
    logo = models.ImageField(storage=logo_storage, upload_to="clinic/", blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "clinic name and logo"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(pk=1), name="clinic_profile_single_row"
            ),
            models.CheckConstraint(
                condition=~models.Q(name=""), name="clinic_profile_name_not_blank"
            ),
        ]

    def __str__(self):
        return self.name
