from django.db import models


class Heartbeat(models.Model):
    """When a background process last proved it runs (the beat schedule's heartbeat).

    Reminders depend on the worker and beat; a stale heartbeat is how a manager learns
    that messages have stopped going out.
    """

    name = models.CharField(max_length=50, unique=True)
    beat_at = models.DateTimeField()

    def __str__(self):
        return f"{self.name} at {self.beat_at:%Y-%m-%d %H:%M:%S}"
