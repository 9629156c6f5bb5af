def is_htmx(request) -> bool:
    """Whether htmx made the request (and wants a partial back)."""
    return request.headers.get("HX-Request") == "true"
