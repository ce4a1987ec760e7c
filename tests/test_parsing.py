"""Contacts read out of page text (crawler/parsing.py)."""

from crawler.parsing import find_emails, find_phones


def test_phones_and_emails():
    text = (
        "téléphone : 05-34-45-33-02, tél. +33 1 42 75 80 00 ou 01.42.75.80.01 ; "
        "courriel : [email protected], j.dupont@interieur.gouv.fr."
    )
    assert find_phones(text) == ["05 34 45 33 02", "01 42 75 80 00", "01 42 75 80 01"]
    assert find_emails(text) == ["j.dupont@interieur.gouv.fr"]
    assert find_phones("décret n° 2009-587 du 25 mai 2009, 1,2 million d'euros") == []
