"""Pages of a search without counting every match.

Django's Paginator counts the whole result to know the number of pages; for a search
over a hundred thousand clients that count is a second full search. A page that
fetches one row more than it shows knows whether there is a next page, which is all
the search pages offer (bench/RESULTS.md).
"""

from dataclasses import dataclass

from django.db.models import QuerySet


@dataclass(frozen=True)
class PeekPage:
    object_list: list
    number: int
    has_next: bool

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    def next_page_number(self) -> int:
        return self.number + 1

    def previous_page_number(self) -> int:
        return self.number - 1


def peek_page(queryset: QuerySet, page: str | None, per_page: int) -> PeekPage:
    """The page asked for (the first when `page` is not a positive number)."""
    number = int(page) if page and page.isdigit() and 0 < int(page) < 10**6 else 1
    start = (number - 1) * per_page
    rows = list(queryset[start : start + per_page + 1])
    return PeekPage(rows[:per_page], number, has_next=len(rows) > per_page)
