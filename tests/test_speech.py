"""Indonesian verbalisation: each value's prompt ids, read back as transcript text."""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path

import pytest

from ivr import speech
from ivr.prompts.catalog import Catalog

PROMPTS = Path(__file__).resolve().parent.parent / "prompts"


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return Catalog.load(PROMPTS)


@pytest.mark.parametrize(
    ("n", "text"),
    [
        (0, "nol"),
        (1, "satu"),
        (10, "sepuluh"),
        (11, "sebelas"),
        (12, "dua belas"),
        (19, "sembilan belas"),
        (20, "dua puluh"),
        (21, "dua puluh satu"),
        (100, "seratus"),
        (111, "seratus sebelas"),
        (250, "dua ratus lima puluh"),
        (1000, "seribu"),
        (1001, "seribu satu"),
        (11000, "sebelas ribu"),
        (100000, "seratus ribu"),
        (1000000, "satu juta"),
        (1100000, "satu juta seratus ribu"),
        (221000, "dua ratus dua puluh satu ribu"),
        (56046172, "lima puluh enam juta empat puluh enam ribu seratus tujuh puluh dua"),
        (10**9, "satu miliar"),
        (10**12, "satu triliun"),
    ],
)
def test_number_value_reads_indonesian_words(catalog: Catalog, n: int, text: str) -> None:
    assert speech.text_of(speech.number(n), catalog) == text


def test_number_max_value_ends_in_triliun_words(catalog: Catalog) -> None:
    nines = "sembilan ratus sembilan puluh sembilan"
    expected = f"{nines} triliun {nines} miliar {nines} juta {nines} ribu {nines}"
    assert speech.text_of(speech.number(speech.MAX_NUMBER), catalog) == expected


def test_number_digit_words_reuse_digit_prompts() -> None:
    assert speech.number(2031) == ["digit-2", "num-ribu", "digit-3", "num-puluh", "digit-1"]


@pytest.mark.parametrize("n", [-1, speech.MAX_NUMBER + 1, 10**21])
def test_number_out_of_range_raises_valueerror(n: int) -> None:
    with pytest.raises(ValueError, match="outside"):
        speech.number(n)


@pytest.mark.parametrize("n", [1.5, True, "12"])
def test_number_non_integer_raises_valueerror(n: object) -> None:
    with pytest.raises(ValueError, match="not an integer"):
        speech.number(n)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("y", "text"),
    [
        (2031, "dua ribu tiga puluh satu"),
        (2026, "dua ribu dua puluh enam"),
        (2000, "dua ribu"),
        (1999, "seribu sembilan ratus sembilan puluh sembilan"),
        (1447, "seribu empat ratus empat puluh tujuh"),
    ],
)
def test_year_value_reads_as_number(catalog: Catalog, y: int, text: str) -> None:
    assert speech.text_of(speech.year(y), catalog) == text


@pytest.mark.parametrize("y", [0, -2026, 10000])
def test_year_out_of_range_raises_valueerror(y: int) -> None:
    with pytest.raises(ValueError, match="year"):
        speech.year(y)


@pytest.mark.parametrize(
    ("amount", "currency", "text"),
    [
        (25000000, "IDR", "dua puluh lima juta rupiah"),
        (
            54193807,
            "IDR",
            "lima puluh empat juta seratus sembilan puluh tiga ribu delapan ratus tujuh rupiah",
        ),
        (1000, "IDR", "seribu rupiah"),
        (0, "IDR", "nol rupiah"),
        (8000, "USD", "delapan ribu dolar Amerika"),
        (4000, "USD", "empat ribu dolar Amerika"),
        (1, "USD", "satu dolar Amerika"),
    ],
)
def test_money_amount_reads_number_then_currency(
    catalog: Catalog, amount: int, currency: speech.Currency, text: str
) -> None:
    assert speech.text_of(speech.money(amount, currency), catalog) == text


def test_money_unknown_currency_raises_valueerror() -> None:
    with pytest.raises(ValueError, match="currency"):
        speech.money(750, "SAR")  # type: ignore[arg-type]


def test_money_negative_amount_raises_valueerror() -> None:
    with pytest.raises(ValueError, match="outside"):
        speech.money(-1, "IDR")


MONTH_NAMES = [
    "Januari",
    "Februari",
    "Maret",
    "April",
    "Mei",
    "Juni",
    "Juli",
    "Agustus",
    "September",
    "Oktober",
    "November",
    "Desember",
]


@pytest.mark.parametrize(("month", "name"), list(enumerate(MONTH_NAMES, start=1)))
def test_date_each_month_reads_its_name(catalog: Catalog, month: int, name: str) -> None:
    text = speech.text_of(speech.date(dt.date(2026, month, 11)), catalog)
    assert text == f"tanggal sebelas {name} dua ribu dua puluh enam"


@pytest.mark.parametrize(
    ("d", "kwargs", "text"),
    [
        (dt.date(2026, 4, 21), {}, "tanggal dua puluh satu April dua ribu dua puluh enam"),
        (dt.date(2026, 5, 26), {"tanggal": False}, "dua puluh enam Mei dua ribu dua puluh enam"),
        (dt.date(2026, 6, 1), {"with_year": False}, "tanggal satu Juni"),
        (dt.date(2031, 12, 31), {"tanggal": False, "with_year": False}, "tiga puluh satu Desember"),
        (dt.datetime(2026, 7, 1, 9, 30), {}, "tanggal satu Juli dua ribu dua puluh enam"),
    ],
)
def test_date_options_read_expected_phrase(
    catalog: Catalog, d: dt.date, kwargs: dict[str, bool], text: str
) -> None:
    assert speech.text_of(speech.date(d, **kwargs), catalog) == text


ZONE_NAMES = {
    "WIB": "Waktu Indonesia Barat",
    "WITA": "Waktu Indonesia Tengah",
    "WIT": "Waktu Indonesia Timur",
}


@pytest.mark.parametrize("zone", sorted(ZONE_NAMES))
@pytest.mark.parametrize(
    ("t", "text"),
    [
        (dt.time(14, 30), "pukul empat belas tiga puluh"),
        (dt.time(8, 0), "pukul delapan"),
        (dt.time(9, 5), "pukul sembilan nol lima"),
        (dt.time(20, 5), "pukul dua puluh nol lima"),
        (dt.time(15, 0), "pukul lima belas"),
        (dt.time(23, 59), "pukul dua puluh tiga lima puluh sembilan"),
        (dt.time(0, 30), "pukul nol tiga puluh"),
        (dt.time(0, 0), "pukul nol"),
        (dt.time(10, 10, 45), "pukul sepuluh sepuluh"),
    ],
)
def test_time_value_and_zone_read_pukul_phrase(
    catalog: Catalog, t: dt.time, text: str, zone: speech.Zone
) -> None:
    assert speech.text_of(speech.time(t, zone), catalog) == f"{text} {ZONE_NAMES[zone]}"


def test_time_unknown_zone_raises_valueerror() -> None:
    with pytest.raises(ValueError, match="zone"):
        speech.time(dt.time(9, 0), "WAS")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("written", "text"),
    [
        ("SOC-01", "es o ce nol satu"),
        ("SOC 01", "es o ce nol satu"),
        ("soc-01", "es o ce nol satu"),
        ("GA 6101", "ge a enam satu nol satu"),
        ("SV 5101", "es fe lima satu nol satu"),
        ("UPG-12", "u pe ge satu dua"),
        ("JKG-101", "je ka ge satu nol satu"),
        ("BDJ", "be de je"),
        ("QXYZ-WHIM", "ki eks ye zet we ha i em"),
        ("EFLNRT", "e ef el en er te"),
    ],
)
def test_code_written_form_spelled_by_letter_and_digit(
    catalog: Catalog, written: str, text: str
) -> None:
    assert speech.text_of(speech.code(written), catalog) == text


@pytest.mark.parametrize("written", ["", " - ", "SOC/01", "GA_6101", "É1"])
def test_code_unspellable_raises_valueerror(written: str) -> None:
    with pytest.raises(ValueError, match="code"):
        speech.code(written)


@pytest.mark.parametrize(
    ("name", "texts"),
    [
        ("PT AMANAH TOUR", ["pe te", "a em a en a ha", "te o u er"]),
        ("PT. Barokah & Sons", ["pe te", "be a er o ka a ha", "es o en es"]),
        ("CV ALIF-99 (PUSAT)", ["ce fe", "a el i ef", "sembilan sembilan", "pe u es a te"]),
        ("D'ARAFAH/WISATA", ["de", "a er a ef a ha", "we i es a te a"]),
    ],
)
def test_spell_name_one_list_per_word_separators_unspoken(
    catalog: Catalog, name: str, texts: list[str]
) -> None:
    assert [speech.text_of(word, catalog) for word in speech.spell(name)] == texts


@pytest.mark.parametrize("name", ["", " . & ", "PT ÇAĞRI", "PT_AMANAH", "PT\tAMANAH"])
def test_spell_unspellable_raises_valueerror(name: str) -> None:
    with pytest.raises(ValueError, match="spell"):
        speech.spell(name)


@pytest.mark.parametrize(
    ("digits", "groups", "texts"),
    [
        ("1300123456", (2, 4, 4), ["satu tiga", "nol nol satu dua", "tiga empat lima enam"]),
        ("0900000001", (2, 4, 4), ["nol sembilan", "nol nol nol nol", "nol nol nol satu"]),
        ("500425", (3, 3), ["lima nol nol", "empat dua lima"]),
        ("7", (1,), ["tujuh"]),
    ],
)
def test_digits_grouped_porsi_reads_one_list_per_group(
    catalog: Catalog, digits: str, groups: tuple[int, ...], texts: list[str]
) -> None:
    spoken = speech.digits_grouped(digits, groups)
    assert [speech.text_of(group, catalog) for group in spoken] == texts


def test_digits_grouped_default_groups_fit_nomor_porsi() -> None:
    assert [len(g) for g in speech.digits_grouped("1300123456")] == [2, 4, 4]


@pytest.mark.parametrize(
    ("digits", "groups"),
    [
        ("130012345", (2, 4, 4)),
        ("13001234567", (2, 4, 4)),
        ("13001A3456", (2, 4, 4)),
        ("", ()),
        ("1234", (0, 4)),
        ("1234", (-1, 5)),
    ],
)
def test_digits_grouped_bad_input_raises_valueerror(digits: str, groups: tuple[int, ...]) -> None:
    with pytest.raises(ValueError, match="digits_grouped"):
        speech.digits_grouped(digits, groups)


def test_vocabulary_every_id_exists_in_catalog(catalog: Catalog) -> None:
    assert sorted(speech.VOCABULARY - set(catalog)) == []


def test_vocabulary_number_sweep_returns_only_vocabulary_ids() -> None:
    rng = random.Random(500425)
    samples = [*range(100001), *(10**k + d for k in range(5, 15) for d in (-1, 0, 1))]
    samples += [rng.randrange(10 ** rng.randint(6, 15)) for _ in range(20000)]
    used = {pid for n in samples for pid in speech.number(n)}
    assert used <= speech.VOCABULARY
    assert {p for p in speech.VOCABULARY if p.startswith("num-")} <= used


def test_vocabulary_dates_times_codes_return_only_vocabulary_ids() -> None:
    used: set[str] = set()
    day = dt.date(2026, 1, 1)
    while day.year == 2026:
        used.update(speech.date(day))
        day += dt.timedelta(days=1)
    for minute in range(24 * 60):
        for zone in ZONE_NAMES:
            used.update(speech.time(dt.time(minute // 60, minute % 60), zone))  # type: ignore[arg-type]
    used.update(speech.code("ABCDEFGHIJKLMNOPQRSTUVWXYZ 0123456789-"))
    used.update(speech.money(1, "IDR") + speech.money(1, "USD"))
    assert used <= speech.VOCABULARY
    assert all(pid.startswith("num-") for pid in speech.VOCABULARY - used)


def test_text_of_words_joined_by_single_spaces(catalog: Catalog) -> None:
    assert speech.text_of(["word-tanggal", "digit-1", "month-4"], catalog) == "tanggal satu April"
