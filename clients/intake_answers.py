"""The intake's answers as the client entered them, kept as JSON in an IntakeEntry
until a practitioner confirms them (dates in ISO format, numbers and yes or no as
JSON has them)."""

from datetime import date

from clients.models import INTAKE_SECTION_FIELDS, Intake


def answers_to_json(section: str, values: dict) -> dict:
    """A section's answers as JSON: the section's fields only."""
    return {
        name: value.isoformat() if isinstance(value, date) else value
        for name, value in values.items()
        if name in INTAKE_SECTION_FIELDS[section]
    }


def answers_from_json(answers: dict) -> dict:
    """The Intake's values back from an entry's JSON."""
    return {
        name: Intake._meta.get_field(name).to_python(value)
        for name, value in answers.items()
    }
