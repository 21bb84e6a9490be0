"""Indonesian verbalisation: values -> prompt ids to play as one utterance.

Asterisk ships no Indonesian sounds or number grammar, so every spoken value is a sequence
of word fragments from the prompt catalog (prompts/words.toml, plus digit-0..digit-9 from
catalog.toml for nol..sembilan). Every function here is pure: it returns the ids, and
``call.say(*ids)`` plays them. The texts of the ids joined with single spaces are exactly
the phrase spoken, which is what the transcript records ("dua ribu tiga puluh satu").
Bad input is our bug, not the caller's, and raises ValueError.
"""

from __future__ import annotations

import datetime as dt
import string
from collections.abc import Iterable, Mapping
from typing import Literal, Protocol

from num2words import num2words

Currency = Literal["IDR", "USD"]
Zone = Literal["WIB", "WITA", "WIT"]

# num2words(lang="id") names 10**15 "kuadriliun"; nothing we speak (money, years, counts)
# comes near, so a larger value is a bug upstream and is refused rather than recorded.
MAX_NUMBER = 10**15 - 1

DIGITS: Mapping[str, str] = {str(d): f"digit-{d}" for d in range(10)}
# Every word num2words(n, lang="id") produces for 0 <= n <= MAX_NUMBER, and its prompt.
NUMBER_WORDS: Mapping[str, str] = {
    "nol": "digit-0",
    "satu": "digit-1",
    "dua": "digit-2",
    "tiga": "digit-3",
    "empat": "digit-4",
    "lima": "digit-5",
    "enam": "digit-6",
    "tujuh": "digit-7",
    "delapan": "digit-8",
    "sembilan": "digit-9",
    "sepuluh": "num-sepuluh",
    "sebelas": "num-sebelas",
    "seratus": "num-seratus",
    "seribu": "num-seribu",
    "belas": "num-belas",
    "puluh": "num-puluh",
    "ratus": "num-ratus",
    "ribu": "num-ribu",
    "juta": "num-juta",
    "miliar": "num-miliar",
    "triliun": "num-triliun",
}
MONTHS: Mapping[int, str] = {m: f"month-{m}" for m in range(1, 13)}
ZONES: Mapping[str, str] = {"WIB": "tz-wib", "WITA": "tz-wita", "WIT": "tz-wit"}
CURRENCIES: Mapping[str, str] = {"IDR": "cur-idr", "USD": "cur-usd"}
LETTERS: Mapping[str, str] = {c: f"letter-{c.lower()}" for c in string.ascii_uppercase}
# Written separators in codes ("SOC-01", "GA 6101"): not spoken (see code()).
SEPARATORS = frozenset("- ")
TANGGAL = "word-tanggal"
PUKUL = "word-pukul"

# Every id a function here can return: a test checks each exists in the catalog.
VOCABULARY = frozenset(
    [
        *NUMBER_WORDS.values(),
        *DIGITS.values(),
        *MONTHS.values(),
        *ZONES.values(),
        *CURRENCIES.values(),
        *LETTERS.values(),
        TANGGAL,
        PUKUL,
    ]
)


def number(n: int) -> list[str]:
    """A cardinal: 11 -> "sebelas", 1100000 -> "satu juta seratus ribu", 0 -> "nol"."""
    if isinstance(n, bool) or not isinstance(n, int):
        raise ValueError(f"number: {n!r} is not an integer")
    if not 0 <= n <= MAX_NUMBER:
        raise ValueError(f"number: {n} is outside 0..{MAX_NUMBER}")
    words: list[str] = str(num2words(n, lang="id")).split()
    unknown = [w for w in words if w not in NUMBER_WORDS]
    if unknown:
        # num2words changed its wording: words.toml needs the new words first.
        raise ValueError(f"number: no prompt for {unknown} in {n} ({' '.join(words)})")
    return [NUMBER_WORDS[w] for w in words]


def year(y: int) -> list[str]:
    """A year, read as a number: 2031 -> "dua ribu tiga puluh satu" (Hijri 1447 likewise)."""
    if isinstance(y, bool) or not isinstance(y, int) or not 1 <= y <= 9999:
        raise ValueError(f"year: {y!r} is not a year 1..9999")
    return number(y)


def money(amount: int, currency: Currency) -> list[str]:
    """An amount in whole units: (8000, "USD") -> "delapan ribu dolar Amerika"."""
    if currency not in CURRENCIES:
        raise ValueError(f"money: currency {currency!r} is not one of {sorted(CURRENCIES)}")
    return [*number(amount), CURRENCIES[currency]]


def date(d: dt.date, *, tanggal: bool = True, with_year: bool = True) -> list[str]:
    """A calendar date: 2026-04-21 -> "tanggal dua puluh satu April dua ribu dua puluh enam".

    ``tanggal=False`` drops the leading "tanggal" for a sentence that already says it
    ("berangkat pada ..."); ``with_year=False`` drops the year when the season is clear.
    """
    spoken = [TANGGAL] if tanggal else []
    spoken += [*number(d.day), MONTHS[d.month]]
    return spoken + year(d.year) if with_year else spoken


def time(t: dt.time, zone: Zone) -> list[str]:
    """A 24-hour clock time and its zone, read the way schedules are written ("14.30").

    14:30 WIB -> "pukul empat belas tiga puluh Waktu Indonesia Barat": hour and minutes
    as numbers, as Indonesian news readers and airport announcements read "14.30"; it is
    shorter than "pukul empat belas lewat tiga puluh menit" for the same information.
    08:00 -> "pukul delapan" (no "nol nol"; the hour never gets a leading "nol").
    09:05 -> "pukul sembilan nol lima": minutes 1-9 keep the written zero, so hour and
    minutes never run together (20:05 is "dua puluh nol lima", not "dua puluh lima").
    00:30 -> "pukul nol tiga puluh". Seconds are not spoken. The zone is always said:
    embarkation cities span all three (Medan WIB, Makassar WITA), and the caller may
    live in another.
    """
    if zone not in ZONES:
        raise ValueError(f"time: zone {zone!r} is not one of {sorted(ZONES)}")
    spoken = [PUKUL, *number(t.hour)]
    if t.minute:
        spoken += [DIGITS["0"]] if t.minute < 10 else []
        spoken += number(t.minute)
    return [*spoken, ZONES[zone]]


def code(text: str) -> list[str]:
    """Spell a kloter code or flight number: "SOC-01" -> "es o ce nol satu".

    Letters by their Indonesian names, digits one by one ("GA 6101" -> "ge a enam satu
    nol satu"). The written separators "-" and " " are not spoken: the 0.15 s tail every
    rendered fragment carries already separates the letters, and a spoken "strip" would
    make the caller wonder whether to key it. Lower case is read like upper case.
    """
    spoken = []
    for char in text.upper():
        if char in LETTERS:
            spoken.append(LETTERS[char])
        elif char in DIGITS:
            spoken.append(DIGITS[char])
        elif char not in SEPARATORS:
            raise ValueError(f"code: cannot spell {char!r} in {text!r}")
    if not spoken:
        raise ValueError(f"code: nothing to spell in {text!r}")
    return spoken


# What separates the words of a name when it is spelled (spell()): not spoken.
NAME_SEPARATORS = frozenset(" .,&'()/-")


def spell(text: str) -> list[list[str]]:
    """Spell a name word by word, one list of ids per word: "PT. Amanah Tour" ->
    "pe te" / "a em a en a ha" / "te o u er".

    For a name only the data knows (an umrah agency, its city), which no prompt holds:
    letters by their Indonesian names and digits one by one, as code() spells a kloter,
    so the caller can compare it with the name on a brochure letter for letter. Spaces
    and the punctuation of company names (NAME_SEPARATORS) end a word and are not spoken;
    each word is its own utterance, so the transcript has one line per word heard.
    """
    words: list[list[str]] = [[]]
    for char in text.upper():
        if char in LETTERS:
            words[-1].append(LETTERS[char])
        elif char in DIGITS:
            words[-1].append(DIGITS[char])
        elif char in NAME_SEPARATORS:
            words.append([])
        else:
            raise ValueError(f"spell: cannot spell {char!r} in {text!r}")
    spoken = [word for word in words if word]
    if not spoken:
        raise ValueError(f"spell: nothing to spell in {text!r}")
    return spoken


def digits_grouped(digits: str, groups: tuple[int, ...] = (2, 4, 4)) -> list[list[str]]:
    """Read a digit string back in groups, one list of ids per group.

    "1300123456" -> [["digit-1", "digit-3"], ["digit-0", "digit-0", "digit-1", "digit-2"],
    [...]], heard as "satu tiga" / "nol nol satu dua" / "tiga empat lima enam". The
    default (2, 4, 4) is a nomor porsi: province code, then two blocks of four.

    The caller plays each group as its own utterance (``for g in groups: await
    call.say(*g)``), so the transcript has one line per group holding exactly the words
    heard. A pause fragment was rejected: the catalog is text rendered by TTS, and a
    punctuation-only text ("," or "...") is no text to gTTS, so it cannot be built; it
    would also put a "," that nobody says among the transcript's words. A flow that wants
    a longer silence between groups adds it between the ``say`` calls.
    """
    if not digits or not all(c in DIGITS for c in digits):
        raise ValueError(f"digits_grouped: {digits!r} is not a string of digits 0-9")
    if any(g < 1 for g in groups) or sum(groups) != len(digits):
        raise ValueError(f"digits_grouped: groups {groups} do not cover {len(digits)} digits")
    spoken = []
    start = 0
    for size in groups:
        spoken.append([DIGITS[c] for c in digits[start : start + size]])
        start += size
    return spoken


class _HasText(Protocol):
    """A catalog entry (ivr.prompts.catalog.Prompt); only its text is read here, so speech
    needs nothing of the prompts package (which imports speech)."""

    @property
    def text(self) -> str: ...


def text_of(ids: Iterable[str], catalog: Mapping[str, _HasText]) -> str:
    """The transcript text of ``ids``: their catalog texts joined by single spaces."""
    return " ".join(catalog[pid].text for pid in ids)
