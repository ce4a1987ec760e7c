"""French numbers and dates written in words (storage/french.py)."""

import pytest

from storage.french import add_to_date, french_number


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
