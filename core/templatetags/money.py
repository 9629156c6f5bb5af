from django import template

from core.money import Money, format_money

register = template.Library()


@register.filter
def money(value, where=None) -> str:
    """An amount with its currency symbol in a locale's format.

    `{{ service.price_minor|money:location }}` takes the currency and locale of a
    location (anything with .currency and .locale); `{{ amount|money }}` a Money;
    `{{ minor|money:"USD" }}` a currency code in its home locale.
    """
    if value is None or value == "":
        return ""
    locale = getattr(where, "locale", None)
    if isinstance(value, Money):
        return value.format(locale)
    currency = where if isinstance(where, str) else getattr(where, "currency", None)
    if not currency:
        raise template.TemplateSyntaxError("money needs a currency or a location.")
    return format_money(int(value), currency, locale)
