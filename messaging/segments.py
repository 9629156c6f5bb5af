"""How many SMS segments a text takes, as a carrier counts them (3GPP TS 23.038).

A text written only in the GSM-7 alphabet fits 160 characters in one segment, 153 in
each of several (the rest carries the joining header); a few characters (€ [ ] { } ...)
take two places. One character outside the alphabet (an emoji, a curly quote) sends
the whole text as UCS-2: 70 in one segment, 67 in each of several, and a character
beyond the Basic Multilingual Plane (most emoji) takes two places. The same rules are
in static/js/sms-count.js for the live count while editing.
"""

from dataclasses import dataclass

GSM7_BASIC = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENDED = set("^{}\\[~]|€\f")


@dataclass(frozen=True)
class SmsCount:
    characters: int
    encoding: str  # "GSM-7" or "UCS-2"
    units: int
    segments: int

    def __str__(self) -> str:
        plural = "" if self.segments == 1 else "s"
        return (
            f"{self.characters} characters, {self.segments} segment{plural} "
            f"({self.encoding})"
        )


def sms_count(text: str) -> SmsCount:
    if all(ch in GSM7_BASIC or ch in GSM7_EXTENDED for ch in text):
        units = sum(2 if ch in GSM7_EXTENDED else 1 for ch in text)
        single, multi, encoding = 160, 153, "GSM-7"
    else:
        units = sum(2 if ord(ch) > 0xFFFF else 1 for ch in text)
        single, multi, encoding = 70, 67, "UCS-2"
    segments = 1 if units <= single else -(-units // multi)
    return SmsCount(len(text), encoding, units, segments)
