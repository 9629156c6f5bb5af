"""Validators of settings that staff type as lists of numbers ("48, 24")."""

from django.core.exceptions import ValidationError


def number_list(value: str, *, low: int, high: int, unit: str) -> list[int]:
    numbers = []
    for part in value.replace(" ", "").split(","):
        if not part:
            continue
        if not part.isdigit() or not low <= int(part) <= high:
            raise ValidationError(
                f"“{part}” is not a number of {unit} from {low} to {high}. "
                "Separate several with commas, e.g. 48, 24."
            )
        numbers.append(int(part))
    return sorted(set(numbers), reverse=True)


def reminder_hours_validate(value: str) -> None:
    number_list(value, low=1, high=14 * 24, unit="hours")


def recall_months_validate(value: str) -> None:
    number_list(value, low=1, high=120, unit="months")
