"""Tests for the organisation file parser (bot/orgfile.py)."""

from __future__ import annotations

import textwrap
from collections import Counter
from pathlib import Path

import pytest

from bot.orgfile import load_org_file, parse_org_file
from domain.org import (
    DEFAULT_TIMEZONE,
    Group,
    Language,
    Membership,
    OrgFileInvalid,
    OrgSpec,
    Role,
    Unit,
)

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "org.example.yaml"

HEAD = """\
version: 1
units:
  - key: it
    name: IT-paja
groups:
  - key: g1
    unit: it
    name: Group one
"""
# HEAD is 8 lines; snippets appended after it start on line 9.


def org(body: str) -> str:
    return HEAD + body


def errors_of(text: str) -> list[tuple[int, str]]:
    with pytest.raises(OrgFileInvalid) as info:
        parse_org_file(text)
    return [(e.line, e.message) for e in info.value.errors]


def only_error(text: str) -> tuple[int, str]:
    errors = errors_of(text)
    assert len(errors) == 1, errors
    return errors[0]


def ok(text: str) -> OrgSpec:
    return parse_org_file(text)


# -- the example file ----------------------------------------------------------------------------


def test_example_file_parses_to_the_expected_organisation() -> None:
    spec = load_org_file(EXAMPLE)

    assert len(spec.units) == 4
    assert len(spec.groups) == 4
    assert len(spec.people) == 12
    assert spec.units[0] == Unit(key="uusix-kylasaari-it", name="Uusix Kyläsaari, IT-paja")
    assert spec.groups[0] == Group(
        key="it-torstai",
        unit_key="uusix-kylasaari-it",
        name="IT-pajan etäryhmä, torstai",
        timezone="Europe/Helsinki",
        language=Language.FI,
    )
    swedish = next(g for g in spec.groups if g.key == "distanscafe-sv")
    assert swedish.language is Language.SV
    assert swedish.timezone == DEFAULT_TIMEZONE

    roles = Counter(m.role for p in spec.people for m in p.memberships)
    assert roles == {Role.INSTRUCTOR: 4, Role.CLIENT: 10, Role.COORDINATOR: 2, Role.ADMIN: 1}
    assert all(p.person.teams_id is None for p in spec.people)


def test_example_people_are_identified_by_upn_aad_or_both() -> None:
    people = {p.person.name: p for p in load_org_file(EXAMPLE).people}

    maija = people["Maija Virtanen"]
    assert maija.person.upn == "maija.virtanen@example.hel.fi"
    assert maija.person.aad_object_id == "9c1b3f1e-2a4d-4c6b-8e0f-1a2b3c4d5e6f"
    assert maija.line == 36
    assert maija.person.language is Language.FI
    assert maija.memberships == (
        Membership(role=Role.INSTRUCTOR, group_key="it-torstai"),
        Membership(role=Role.INSTRUCTOR, group_key="etakahvila"),
    )

    pekka = people["Pekka Nieminen"]
    assert pekka.person.upn is None
    assert pekka.person.aad_object_id == "4f7e2d90-6b1a-4c3e-9d58-0e2f6a7b8c91"
    assert pekka.memberships == (Membership(role=Role.ADMIN),)

    anneli = people["Anneli Korhonen"]
    assert anneli.person.aad_object_id is None
    assert anneli.memberships == (
        Membership(role=Role.COORDINATOR, unit_key="uusix-kylasaari-it"),
        Membership(role=Role.COORDINATOR, unit_key="uusix-suvilahti-ompelimo"),
    )

    assert people["Mikko Laine"].person.upn == "mikko.laine@example.hel.fi"
    assert people["Johan Lindqvist"].person.language is Language.SV


# -- a valid snippet -----------------------------------------------------------------------------


def test_person_with_every_role_gets_one_membership_per_role() -> None:
    spec = ok(
        org(
            textwrap.dedent("""\
        people:
          - name: Kaisa Salo
            upn: KAISA.SALO@Example.Hel.FI
            aad: "{A1B2C3D4-0000-4000-8000-00000000000A}"
            language: EN
            client: [g1]
            coordinator:
              - it
            admin: yes
        """)
        )
    )
    (kaisa,) = spec.people
    assert kaisa.line == 10
    assert kaisa.person.upn == "kaisa.salo@example.hel.fi"
    assert kaisa.person.aad_object_id == "a1b2c3d4-0000-4000-8000-00000000000a"
    assert kaisa.person.language is Language.EN
    assert kaisa.memberships == (
        Membership(role=Role.CLIENT, group_key="g1"),
        Membership(role=Role.COORDINATOR, unit_key="it"),
        Membership(role=Role.ADMIN),
    )


def test_aad_without_hyphens_is_normalised() -> None:
    spec = ok(org("people:\n  - name: A\n    aad: A1B2C3D40000400080000000000000AA\n"))
    assert spec.people[0].person.aad_object_id == "a1b2c3d4-0000-4000-8000-0000000000aa"


def test_empty_sections_and_null_role_lists_are_allowed() -> None:
    spec = ok(
        "version: 1\nunits:\ngroups: []\npeople:\n  - name: A\n    upn: a@x.fi\n    client:\n"
    )
    assert spec.units == ()
    assert spec.groups == ()
    assert spec.people[0].memberships == ()


# -- whole-file problems -------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["", "\n\n", "# only a comment\n"])
def test_empty_file_is_reported_on_line_1(text: str) -> None:
    line, message = only_error(text)
    assert line == 1
    assert "empty" in message


def test_yaml_syntax_error_reports_the_line_of_the_mark() -> None:
    line, message = only_error("version: 1\nunits:\n  - key: it\n    name: [unclosed\n\n")
    assert line == 6
    assert "not valid YAML" in message


def test_bad_indentation_is_reported_on_its_line() -> None:
    line, message = only_error("version: 1\nunits:\n  - key: it\n   name: x\n")
    assert line == 4
    assert "not valid YAML" in message


def test_tab_indentation_gets_a_hint() -> None:
    line, message = only_error("version: 1\npeople:\n\t- name: x\n")
    assert line == 3
    assert "tabs" in message


def test_second_document_is_rejected() -> None:
    assert only_error("version: 1\n---\nversion: 1\n")[0] == 2


def test_top_level_must_be_a_mapping() -> None:
    line, message = only_error("\n- version: 1\n")
    assert line == 2
    assert "must be a mapping" in message


def test_control_character_is_reported_on_its_line() -> None:
    line, message = only_error("version: 1\nunits:\n  - key: a\x07\n")
    assert line == 3
    assert "U+0007" in message


def test_yaml_tags_are_refused_and_never_constructed() -> None:
    line, message = only_error(org("people:\n  - !!python/object/apply:os.system [echo]\n"))
    assert line == 10
    assert "'!!python/object/apply:os.system' are not allowed" in message


def test_missing_version() -> None:
    assert only_error("units: []\n") == (1, "'version: 1' is missing from the file")


@pytest.mark.parametrize("value", ["2", '"1"', "1.0", "[1]"])
def test_wrong_version_stops_checking(value: str) -> None:
    text = f"units:\n  - bogus\nversion: {value}\n"
    line, message = only_error(text)
    assert line == 3
    assert message.startswith("version must be 1")


def test_unknown_top_level_key_is_reported_with_a_suggestion() -> None:
    line, message = only_error(org("peopel: []\n"))
    assert line == 9
    assert "unknown key 'peopel' at the top of the file (did you mean 'people'?)" in message


def test_repeated_top_level_key() -> None:
    assert only_error(org("units: []\n")) == (
        9,
        "'units' is given twice at the top of the file (first on line 2)",
    )


def test_section_must_be_a_list() -> None:
    line, message = only_error("version: 1\nunits:\n  it:\n    name: IT\n")
    assert line == 2
    assert message.startswith("units must be a list")


def test_section_items_must_be_mappings() -> None:
    errors = errors_of(org("people:\n  - Maija Virtanen\n  -\n"))
    assert [line for line, _ in errors] == [10, 11]
    assert "must be a person with fields, not text" in errors[0][1]
    assert "empty entry in people" in errors[1][1]


# -- units ---------------------------------------------------------------------------------------


def test_unit_missing_fields_are_reported_on_the_entry_line() -> None:
    errors = errors_of("version: 1\nunits:\n  - name: No key\n  - key: no-name\n")
    assert errors == [
        (3, "this unit has no 'key'"),
        (4, "unit 'no-name' has no 'name'"),
    ]


def test_unknown_unit_field_typo() -> None:
    line, message = only_error("version: 1\nunits:\n  - key: a\n    name: A\n    nmae: B\n")
    assert line == 5
    assert "unknown key 'nmae' in unit 'a' (did you mean 'name'?)" in message


@pytest.mark.parametrize("key", ["IT", "-it", "it_paja", "kylä", "a" * 64, '""'])
def test_invalid_keys(key: str) -> None:
    line, message = only_error(f"version: 1\nunits:\n  - key: {key}\n    name: A\n")
    assert line == 3
    assert "not a valid key" in message or "is empty" in message


def test_key_of_63_characters_is_fine() -> None:
    assert ok(f"version: 1\nunits:\n  - key: {'a' * 63}\n    name: A\n").units[0].key == "a" * 63


def test_numeric_key_must_be_quoted() -> None:
    line, message = only_error("version: 1\nunits:\n  - key: 2024\n    name: A\n")
    assert line == 3
    assert message == "'key' of this unit must be text, not a number (put it in quotes)"


def test_duplicate_unit_key() -> None:
    text = "version: 1\nunits:\n  - key: a\n    name: A\n  - key: a\n    name: B\n"
    assert only_error(text) == (5, "unit key 'a' is used twice (first on line 3)")


def test_unit_name_must_be_text() -> None:
    line, message = only_error("version: 1\nunits:\n  - key: a\n    name: [x]\n")
    assert line == 4
    assert "'name' of unit 'a' must be text, not a list" in message


# -- groups --------------------------------------------------------------------------------------


def test_group_defaults() -> None:
    (group,) = ok(HEAD).groups
    assert group == Group(key="g1", unit_key="it", name="Group one")
    assert group.timezone == "Europe/Helsinki"
    assert group.language is Language.FI


def test_group_unit_must_be_defined() -> None:
    text = (
        "version: 1\n"
        "units:\n"
        "  - key: uusix-kylasaari-it\n"
        "    name: IT\n"
        "groups:\n"
        "  - key: g\n"
        "    unit: uusix-kylasari-it\n"
        "    name: G\n"
    )
    assert only_error(text) == (
        7,
        "unit 'uusix-kylasari-it' is not defined in units (did you mean 'uusix-kylasaari-it'?)",
    )


def test_group_missing_fields() -> None:
    errors = errors_of("version: 1\ngroups:\n  - key: g\n")
    assert errors == [(3, "group 'g' has no 'unit'"), (3, "group 'g' has no 'name'")]


def test_invalid_timezone_with_case_hint() -> None:
    line, message = only_error(org("    timezone: europe/helsinki\n"))
    assert line == 9
    assert "timezone 'europe/helsinki' of group 'g1' is not a known time zone" in message
    assert "did you mean 'Europe/Helsinki'?" in message


@pytest.mark.parametrize("zone", ["Mars/Olympus", "Europe", "../../etc/passwd", "localtime"])
def test_invalid_timezones(zone: str) -> None:
    line, message = only_error(org(f"    timezone: {zone}\n"))
    assert line == 9
    assert "is not a known time zone" in message


def test_other_timezone_is_kept() -> None:
    assert ok(org("    timezone: Europe/Stockholm\n")).groups[0].timezone == "Europe/Stockholm"


def test_invalid_group_language() -> None:
    assert only_error(org("    language: de\n")) == (
        9,
        "language of group 'g1' must be fi, sv or en, not 'de'",
    )


def test_yaml_no_as_language_is_reported_as_written() -> None:
    assert only_error(org("    language: no\n"))[1].endswith("not 'no'")


def test_duplicate_group_key() -> None:
    text = org("  - key: g1\n    unit: it\n    name: Again\n")
    assert only_error(text) == (9, "group key 'g1' is used twice (first on line 6)")


# -- people --------------------------------------------------------------------------------------


def test_person_typo_in_role_field() -> None:
    text = org("people:\n  - name: Maija\n    upn: m@x.fi\n    instrutor: [g1]\n")
    line, message = only_error(text)
    assert line == 12
    assert message.startswith(
        "unknown key 'instrutor' for person 'Maija' (did you mean 'instructor'?)"
    )


def test_person_needs_name_and_upn_or_aad() -> None:
    errors = errors_of(org("people:\n  - upn: m@x.fi\n  - name: Nobody\n    client: [g1]\n"))
    assert errors == [
        (10, "this person has no 'name'"),
        (11, "person 'Nobody' needs an 'upn' (e-mail) or an 'aad' object id, or both"),
    ]


@pytest.mark.parametrize(
    "upn", ["maija", "maija@", "@hel.fi", "maija@hel", "a b@hel.fi", "a@@hel.fi"]
)
def test_upn_must_look_like_an_email(upn: str) -> None:
    line, message = only_error(org(f"people:\n  - name: M\n    upn: '{upn}'\n"))
    assert line == 11
    assert "does not look like an e-mail address" in message


@pytest.mark.parametrize("aad", ["not-a-guid", "9c1b3f1e-2a4d-4c6b-8e0f", "12345"])
def test_aad_must_be_a_guid(aad: str) -> None:
    line, message = only_error(org(f"people:\n  - name: M\n    aad: '{aad}'\n"))
    assert line == 11
    assert "is not an AAD object id" in message


def test_duplicate_upn_ignores_case() -> None:
    text = org(
        "people:\n"
        "  - name: Jari Mäkinen\n"
        "    upn: jari.makinen@example.hel.fi\n"
        "  - name: Jari M.\n"
        "    upn: Jari.Makinen@EXAMPLE.hel.fi\n"
    )
    assert only_error(text) == (
        13,
        "upn 'jari.makinen@example.hel.fi' of person 'Jari M.' is already given to "
        "Jari Mäkinen on line 10; each person must be listed once",
    )


def test_duplicate_aad_ignores_case() -> None:
    text = org(
        "people:\n"
        "  - name: A\n"
        "    aad: 4f7e2d90-6b1a-4c3e-9d58-0e2f6a7b8c91\n"
        "  - name: B\n"
        "    aad: 4F7E2D90-6B1A-4C3E-9D58-0E2F6A7B8C91\n"
    )
    line, message = only_error(text)
    assert line == 13
    assert "already given to A on line 10" in message


def test_role_references_must_be_defined() -> None:
    text = org(
        "people:\n"
        "  - name: M\n"
        "    upn: m@x.fi\n"
        "    instructor:\n"
        "      - g1\n"
        "      - it-torstai\n"
        "    coordinator: [g1]\n"
    )
    assert errors_of(text) == [
        (14, "group 'it-torstai' is not defined in groups"),
        (15, "unit 'g1' is not defined in units"),
    ]


def test_client_and_instructor_of_same_group() -> None:
    text = org("people:\n  - name: M\n    upn: m@x.fi\n    instructor: [g1]\n    client: [g1]\n")
    assert only_error(text) == (13, "person 'M' cannot be both client and instructor of group 'g1'")


def test_role_field_must_be_a_list() -> None:
    line, message = only_error(org("people:\n  - name: M\n    upn: m@x.fi\n    client: g1\n"))
    assert line == 12
    assert "'client' of person 'M' must be a list of group keys, e.g. [g1]" in message


def test_role_list_items_must_be_keys_and_not_repeated() -> None:
    text = org(
        "people:\n  - name: M\n    upn: m@x.fi\n    client:\n      - g1\n      - g1\n      - 7\n"
    )
    assert errors_of(text) == [
        (14, "group 'g1' is listed twice in 'client' of person 'M'"),
        (15, "each entry in 'client' of person 'M' must be a group key, not a number"),
    ]


@pytest.mark.parametrize("value", ['"true"', "1", "[true]"])
def test_admin_must_be_true_or_false(value: str) -> None:
    line, message = only_error(org(f"people:\n  - name: M\n    upn: m@x.fi\n    admin: {value}\n"))
    assert line == 12
    assert "'admin' of person 'M' must be true or false" in message


def test_admin_false_gives_no_membership() -> None:
    spec = ok(org("people:\n  - name: M\n    upn: m@x.fi\n    admin: false\n"))
    assert spec.people[0].memberships == ()


# -- many problems at once -----------------------------------------------------------------------


def test_every_problem_is_reported_sorted_by_line() -> None:
    text = textwrap.dedent("""\
        version: 1
        units:
          - key: Uusix
            name: Uusix
        groups:
          - key: it-torstai
            unit: uusix
            name: IT
            timezone: Helsinki
        people:
          - name: Maija Virtanen
            upn: maija.virtanen
            instrutor: [it-torstai]
            client: [it-tiistai]
          - name: Pekka
            aad: xyz
            coordinator: [uusix]
            admin: maybe
        extra: 1
        """)
    errors = errors_of(text)
    assert [line for line, _ in errors] == [3, 7, 9, 12, 13, 14, 16, 17, 18, 19]
    messages = dict(errors)
    assert messages[7] == "unit 'uusix' is not defined in units (did you mean 'Uusix'?)"
    assert (
        messages[14] == "group 'it-tiistai' is not defined in groups (did you mean 'it-torstai'?)"
    )


def test_exception_text_lists_every_error_as_line_prefixed() -> None:
    with pytest.raises(OrgFileInvalid) as info:
        parse_org_file("version: 1\nunits:\n  - key: A\n  - name: x\n")
    assert str(info.value).splitlines() == [
        "line 3: 'A' is not a valid key: use 1 to 63 lower-case letters a-z, digits and '-', "
        "starting with a letter or digit",
        "line 3: unit 'A' has no 'name'",
        "line 4: this unit has no 'key'",
    ]


# -- loading from disk ---------------------------------------------------------------------------


def test_missing_file_is_line_0(tmp_path: Path) -> None:
    with pytest.raises(OrgFileInvalid) as info:
        load_org_file(tmp_path / "nope.yaml")
    (error,) = info.value.errors
    assert error.line == 0
    assert "does not exist" in error.message


def test_non_utf8_file_reports_the_line(tmp_path: Path) -> None:
    path = tmp_path / "org.yaml"
    path.write_bytes(b"version: 1\nunits:\n  - key: a\n    name: Kyl\xe4saari\n")
    with pytest.raises(OrgFileInvalid) as info:
        load_org_file(path)
    (error,) = info.value.errors
    assert error.line == 4
    assert "not UTF-8" in error.message


def test_utf8_bom_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "org.yaml"
    path.write_bytes("\ufeffversion: 1\nunits:\n  - key: a\n    name: Kyläsaari\n".encode())
    assert load_org_file(path).units == (Unit(key="a", name="Kyläsaari"),)


def test_errors_name_the_file_when_loaded_from_disk(tmp_path: Path) -> None:
    path = tmp_path / "org.yaml"
    path.write_text("", encoding="utf-8")
    with pytest.raises(OrgFileInvalid) as info:
        load_org_file(path)
    assert info.value.errors[0].message.startswith(f"'{path}' is empty")


def test_a_units_language_is_its_groups_unless_a_group_gives_its_own() -> None:
    spec = ok(
        "version: 1\n"
        "units:\n"
        "  - key: sv\n    name: Svenska\n    language: sv\n"
        "  - key: fi\n    name: Suomi\n"
        "groups:\n"
        "  - key: a\n    unit: sv\n    name: A\n"
        "  - key: b\n    unit: sv\n    name: B\n    language: en\n"
        "  - key: c\n    unit: fi\n    name: C\n"
    )
    assert [u.language for u in spec.units] == [Language.SV, None]
    assert [g.language for g in spec.groups] == [Language.SV, Language.EN, Language.FI]


def test_invalid_unit_language() -> None:
    assert only_error("version: 1\nunits:\n  - key: a\n    name: A\n    language: de\n") == (
        5,
        "language of unit 'a' must be fi, sv or en, not 'de'",
    )
