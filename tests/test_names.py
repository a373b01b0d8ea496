"""Tests for splitting BibTeX author lists and parsing person names."""

from __future__ import annotations

import pytest

from generator.loading.names import MalformedNameError, initials, parse_name, parse_names
from generator.model import PersonName


def parts(name: PersonName) -> tuple[str, str, str, str]:
    return (name.first, name.von, name.last, name.jr)


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("Donald E. Knuth", ("Donald E.", "", "Knuth", "")),
        ("Knuth, Donald E.", ("Donald E.", "", "Knuth", "")),
        ("Beeblebrox, IV, Zaphod", ("Zaphod", "", "Beeblebrox", "IV")),
        ("King, Jr., Martin Luther", ("Martin Luther", "", "King", "Jr.")),
        ("Martin Luther King, Jr.", ("Martin Luther", "", "King", "Jr.")),
        ("Ludwig van Beethoven", ("Ludwig", "van", "Beethoven", "")),
        ("van Beethoven, Ludwig", ("Ludwig", "van", "Beethoven", "")),
        ("Jean de La Fontaine", ("Jean", "de", "La Fontaine", "")),
        (r"Jean-Fran{\c{c}}ois Dupont", ("Jean-François", "", "Dupont", "")),
        (r"{Jean-Fran\c{c}ois} Biasse", ("Jean-François", "", "Biasse", "")),
        ("P.~A.~R. Ade", ("P. A. R.", "", "Ade", "")),
        ("im Walde, Sabine Schulte", ("Sabine Schulte", "im", "Walde", "")),
        (r"M{\`a}rquez, Llu{\'i}s", ("Lluís", "", "Màrquez", "")),
        (r"{Cano Rodr{\'\i}guez}, J.~L.", ("J. L.", "", "Cano Rodríguez", "")),
        ("{de Val-Borro}, M.", ("M.", "", "de Val-Borro", "")),
        ("Amnon Ta{-}Shma", ("Amnon", "", "Ta-Shma", "")),
        ("Shuaijie Shen", ("Shuaijie", "", "Shen", "")),
        ("Müller, J.", ("J.", "", "Müller", "")),
    ],
)
def test_parse_name_parts(source: str, expected: tuple[str, str, str, str]) -> None:
    name = parse_name(source)

    assert parts(name) == expected
    assert name.literal == ""
    assert name.cjk is False
    assert name.source == source


def test_corporate_author_is_literal() -> None:
    name = parse_name("{Open Science Collaboration}")

    assert name.literal == "Open Science Collaboration"
    assert parts(name) == ("", "", "", "")
    assert name.display == "Open Science Collaboration"


def test_cjk_name_family_first() -> None:
    name = parse_name("林, 晓雯")

    assert parts(name) == ("晓雯", "", "林", "")
    assert name.cjk is True
    assert name.display == "林晓雯"


def test_cjk_name_without_comma_is_family_name() -> None:
    names, et_al = parse_names("岳凌宇 and 张三 and 李四")

    assert [name.last for name in names] == ["岳凌宇", "张三", "李四"]
    assert [name.display for name in names] == ["岳凌宇", "张三", "李四"]
    assert all(name.cjk for name in names)
    assert et_al is False


def test_latin_name_is_not_cjk() -> None:
    assert parse_name("Wan, Shu").cjk is False


def test_umlaut_forms_share_key() -> None:
    assert parse_name("Müller, J.").key == parse_name(r"J. M{\"u}ller").key
    assert parse_name(r"J. M{\"u}ller").key == "j. müller"


def test_acl_name_forms_share_key() -> None:
    assert parse_name("im Walde, Sabine Schulte").key == parse_name("Schulte im Walde, Sabine").key


def test_parse_names_splits_across_lines() -> None:
    names, et_al = parse_names("Carreras, Xavier\n\t\tand M{\\`a}rquez, Llu{\\'i}s\n\t\tand Padr{\\'o}, Llu{\\'i}s")

    assert [name.display for name in names] == ["Xavier Carreras", "Lluís Màrquez", "Lluís Padró"]
    assert [name.source for name in names] == ["Carreras, Xavier", r"M{\`a}rquez, Llu{\'i}s", r"Padr{\'o}, Llu{\'i}s"]
    assert et_al is False


def test_parse_names_keeps_braced_and() -> None:
    names, _ = parse_names("{Simon and Schuster} and Ada Lovelace")

    assert [name.display for name in names] == ["Simon and Schuster", "Ada Lovelace"]
    assert names[0].literal == "Simon and Schuster"


@pytest.mark.parametrize(
    "source",
    [
        "A. Smith and B. Jones and others",
        "A. Smith and B. Jones and Others",
        "A. Smith and B. Jones and et al.",
        "A. Smith and B. Jones and et~al.",
        "A. Smith and\n    B. Jones and\n    others",
    ],
)
def test_parse_names_others_sets_flag(source: str) -> None:
    names, et_al = parse_names(source)

    assert [name.display for name in names] == ["A. Smith", "B. Jones"]
    assert et_al is True


def test_parse_names_real_astropy_line() -> None:
    source = (
        r"{Astropy Collaboration} and {Price-Whelan}, A.~M. and {Sip{\H{o}}cz}, B.~M. and "
        r"{G{\"u}nther}, H.~M. and {Ivezi{\'c}}, {\v{Z}}. and {Depagne}, {\'E}. and "
        r"{van Kerkwijk}, M.~H. and {Astropy Contributors}"
    )

    names, et_al = parse_names(source)

    assert [name.display for name in names] == [
        "Astropy Collaboration",
        "A. M. Price-Whelan",
        "B. M. Sipőcz",
        "H. M. Günther",
        "Ž. Ivezić",
        "É. Depagne",
        "M. H. van Kerkwijk",
        "Astropy Contributors",
    ]
    assert names[0].literal == "Astropy Collaboration"
    assert names[-1].literal == "Astropy Contributors"
    assert et_al is False


def test_parse_names_empty_value() -> None:
    assert parse_names("  \n ") == ([], False)


@pytest.mark.parametrize(
    ("source", "reason", "literal"),
    [
        ("Smith, John, Jr., III", "too many commas", "Smith, John, Jr., III"),
        ("Smith, {John", "unterminated opening brace", "Smith, John"),
        ("Bad}, X", "unmatched closing brace", "Bad, X"),
        ("Smith, John,", "trailing comma at end of name", "Smith, John,"),
    ],
)
def test_malformed_name_falls_back_to_literal(source: str, reason: str, literal: str) -> None:
    with pytest.raises(MalformedNameError) as caught:
        parse_name(source)

    assert str(caught.value) == f"invalid name '{source}' ({reason}), so it is shown unsplit as '{literal}'"
    assert caught.value.names == [PersonName(literal=literal, source=source)]


def test_malformed_name_keeps_whole_list() -> None:
    with pytest.raises(MalformedNameError) as caught:
        parse_names("Ada Lovelace and Smith, John, Jr., III and Alan Turing and others")

    error = caught.value
    assert [name.display for name in error.names] == ["Ada Lovelace", "Smith, John, Jr., III", "Alan Turing"]
    assert error.names[1].literal == "Smith, John, Jr., III"
    assert error.et_al is True
    assert "invalid name 'Smith, John, Jr., III' (too many commas)" in str(error)


@pytest.mark.parametrize(
    ("source", "short"),
    [
        ("Jean-François Dupont", "J.-F. Dupont"),
        (r"Jean-Fran{\c{c}}ois Dupont", "J.-F. Dupont"),
        ("Donald Ervin Knuth", "D. E. Knuth"),
        ("P.~A.~R. Ade", "P. A. R. Ade"),
        ("Ludwig van Beethoven", "L. van Beethoven"),
        ("King, Jr., Martin Luther", "M. L. King, Jr."),
        (r"{\'E}mile Zola", "É. Zola"),
        ("Knuth", "Knuth"),
        ("{Open Science Collaboration}", "Open Science Collaboration"),
        ("林, 晓雯", "林晓雯"),
    ],
)
def test_initials_short_form(source: str, short: str) -> None:
    assert initials(parse_name(source)) == short
