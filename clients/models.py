from django.db import models
from django.db.models.functions import Lower


class Client(models.Model):
    """A person who books consultations and treatments. Clients have no login."""

    first_name = models.CharField(max_length=100)
    last_name = models.CharField(max_length=100)
    date_of_birth = models.DateField(null=True, blank=True)
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=32, blank=True)
    reminder_consent = models.BooleanField(
        default=True, help_text="Appointment reminders and aftercare by email."
    )
    marketing_consent = models.BooleanField(default=False)
    notes = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["last_name", "first_name", "pk"]
        indexes = [
            models.Index(
                Lower("last_name"), Lower("first_name"), name="client_name_idx"
            ),
            models.Index(Lower("email"), name="client_email_idx"),
        ]

    def __str__(self):
        return self.full_name

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()
