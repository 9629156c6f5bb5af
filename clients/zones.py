"""Time zones as people say them: 'London time', not 'Europe/London time'."""


def zone_city(zone_name: str) -> str:
    """The city of an IANA zone: 'America/New_York' -> 'New York'. A zone with no
    city ('UTC') is its own name."""
    return zone_name.rsplit("/", 1)[-1].replace("_", " ")


def zone_label(zone_name: str, reader_zone: str | None = None) -> str:
    """'London time' for a time in `zone_name`; nothing when the reader (a client
    whose zone is known) is in the same zone, where a label says nothing new."""
    if not zone_name or zone_name == reader_zone:
        return ""
    return f"{zone_city(zone_name)} time"
