"""French numbers and dates written in words, and words found back as a text writes them (storage/french.py)."""

import pytest

from storage.french import add_to_date, find_words, french_number


@pytest.mark.parametrize(
    "words, number",
    [
        ("trente", 30),
        ("quinze", 15),
        ("un", 1),
        ("vingt et un", 21),
        ("quarante-cinq", 45),
        ("soixante et onze", 71),
        ("soixante-dix-neuf", 79),
        ("quatre-vingts", 80),
        ("quatre-vingt-dix", 90),
        ("cent vingt", 120),
        ("deux cents", 200),
        ("trois mille", 3000),
        ("30", 30),
        ("Trente", 30),
        ("", None),
        ("trente ans", None),
        ("quelques", None),
    ],
)
def test_french_number(words, number):
    assert french_number(words) == number


def test_add_to_date():
    assert add_to_date("2021-08-18", days=30) == "2021-09-17"
    assert add_to_date("2026-06-13", months=1) == "2026-07-13"
    assert add_to_date("2026-01-31", months=1) == "2026-02-28"
    assert add_to_date("2026-12-15", months=1) == "2027-01-15"


@pytest.mark.parametrize(
    "text, keys, written",
    [
        ("Chargée ou chargé de mission design des services numériques", ["design", "servic"], "design des services"),
        ("chargé(e)s de missions", ["charg", "mission"], "chargé(e)s de missions"),
        ("Chargé·e·s de mission", ["charg", "mission"], "Chargé·e·s de mission"),
        ("laboratoire d'innovation publique", ["innovation", "publiqu"], "innovation publique"),
        ("beta.gouv.fr (place-de-marche)", ["march"], "marche"),
        ("Développeur ou développeuse", ["design"], None),
    ],
)
def test_words_are_found_back_as_the_text_writes_them(text, keys, written):
    # What an explanation shows of a term: the offer's own words, never match keys.
    assert find_words(text, keys) == written


def test_fold_drops_what_strip_accents_drops_then_what_is_not_ascii():
    """fold() decomposes and drops everything not ASCII in one pass: the same as taking accents off with
    strip_accents() first, for every Latin letter, ligature, quote, dash and space of French text."""
    from storage.french import _SPECIAL, fold, strip_accents

    def by_strip_accents(text: str) -> str:
        text = text.lower()
        for char, replacement in _SPECIAL:
            text = text.replace(char, replacement)
        return strip_accents(text).encode("ascii", "ignore").decode("ascii")

    characters = [chr(code) for code in (*range(0x20, 0x250), *range(0x1E00, 0x1F00), *range(0x2000, 0x2070))]
    texts = [*characters, "".join(characters), "Chargé·e de mission « Transformation » – Île-de-France, Œuvre, ½"]
    assert [fold(text) for text in texts] == [by_strip_accents(text) for text in texts]
