"""The portal's one table: when each client last signed in by a link.

A sign-in link's signature covers this time (portal/links.py), so a sign-in voids
every link sent before it: each link works once."""

from django.db import models

from clients.models import Client


class PortalSignIn(models.Model):
    client = models.OneToOneField(
        Client, on_delete=models.CASCADE, related_name="portal_sign_in"
    )
    last_signed_in_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "portal sign-in"

    def __str__(self):
        return f"Portal sign-in of client {self.client_id}"
