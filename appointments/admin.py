from django.contrib import admin

from appointments.models import (
    Appointment,
    Closure,
    Location,
    Practitioner,
    Room,
    Service,
    TimeOff,
    WorkingHours,
)


class WorkingHoursInline(admin.TabularInline):
    model = WorkingHours
    extra = 0


@admin.register(Location)
class LocationAdmin(admin.ModelAdmin):
    list_display = ("name", "timezone", "is_active")


@admin.register(Practitioner)
class PractitionerAdmin(admin.ModelAdmin):
    list_display = ("__str__", "licence_number", "is_active")
    list_select_related = ("user",)
    filter_horizontal = ("locations",)
    inlines = [WorkingHoursInline]


@admin.register(Room)
class RoomAdmin(admin.ModelAdmin):
    list_display = ("name", "location", "is_active")
    list_filter = ("location",)


@admin.register(Service)
class ServiceAdmin(admin.ModelAdmin):
    list_display = (
        "name",
        "kind",
        "duration_minutes",
        "needs_room",
        "price_minor",
        "deposit_minor",
        "is_active",
    )


@admin.register(TimeOff)
class TimeOffAdmin(admin.ModelAdmin):
    list_display = ("practitioner", "starts_at", "ends_at", "reason")


@admin.register(Closure)
class ClosureAdmin(admin.ModelAdmin):
    list_display = ("date", "name", "location")


@admin.register(Appointment)
class AppointmentAdmin(admin.ModelAdmin):
    # Read-only: every booking change goes through appointments/services.py, which
    # enforces the overlap and workflow rules the admin would bypass.
    list_display = ("starts_at", "client", "service", "practitioner", "room", "status")
    list_filter = ("status", "location")
    list_select_related = ("client", "service", "practitioner__user", "room")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
