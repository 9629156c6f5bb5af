"""What goes into a CSV that staff open in a spreadsheet."""


def safe_cell(value):
    """Neutralise spreadsheet formulas (CSV injection) in text we did not write."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return f"'{value}"
    return value
