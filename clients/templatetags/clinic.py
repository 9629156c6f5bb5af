"""Filters for what clients and staff read: phone numbers and time zones, each in
one format everywhere."""

from django import template

from clients.phones import display_phone
from clients.zones import zone_label

register = template.Library()


@register.filter
def phone(value: str) -> str:
    return display_phone(value)


@register.filter
def zone_time(zone_name: str, reader_zone: str = "") -> str:
    """'Europe/London' -> 'London time'; '' when the reader is in that zone."""
    return zone_label(zone_name, reader_zone or None)
