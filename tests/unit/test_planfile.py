"""Tests for the plan file parser (bot/planfile.py)."""

from __future__ import annotations

import textwrap
from datetime import date, time, timedelta
from pathlib import Path

import pytest

from bot.planfile import load_plan_file, parse_plan_file
from domain.org import Language
from domain.plans import ItemKind, PlanFile, PlanFileInvalid, PlanItem, WeeklySchedule, check_plan
from domain.templates import TEMPLATE_KEYS

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
EXAMPLE = EXAMPLES / "plans.example.yaml"

HEAD = """\
version: 1
plans:
  - key: p1
    name: Plan one
    items:
      - {kind: check_in, title: Check-in, start: "09:00", duration: 15min}
"""
# HEAD is 6 lines; snippets appended after it start on line 7.


def body(text: str) -> str:
    return HEAD + textwrap.dedent(text)


def errors_of(text: str) -> list[tuple[int, str]]:
    with pytest.raises(PlanFileInvalid) as info:
        parse_plan_file(text)
    return [(e.line, e.message) for e in info.value.errors]


def only_error(text: str) -> tuple[int, str]:
    errors = errors_of(text)
    assert len(errors) == 1, errors
    return errors[0]


def item_line(line: str) -> str:
    """HEAD plus one more item for plan p1 (on line 7)."""
    return HEAD + f"      - {line}\n"


# -- the example file ----------------------------------------------------------------------------


def test_example_file_parses() -> None:
    spec = load_plan_file(EXAMPLE)

    assert [p.key for p in spec.plans] == ["it-torstai-paiva", "ompelimo-aamupaiva"]
    for plan in spec.plans:
        check_plan(plan)
    it_day = spec.plans[0]
    assert it_day.name == "IT-pajan torstaipäivä"
    assert it_day.items[0] == PlanItem(
        ItemKind.CHECK_IN, "Ilmoittautuminen", time(9, 0), timedelta(minutes=15)
    )
    assert spec.plan_lines == {"it-torstai-paiva": 10, "ompelimo-aamupaiva": 24}
    assert spec.plans[1].items[-2].duration == timedelta(hours=1)

    assert spec.schedules[0] == WeeklySchedule(
        group_key="it-torstai",
        weekday=3,
        plan_key="it-torstai-paiva",
        language=None,
        starts=date(2026, 12, 1),
        ends=date(2027, 6, 30),
        line=53,
    )
    by_group = {s.group_key: s for s in spec.schedules}
    assert by_group["ompelimo-tiistai"].weekday == 1
    assert by_group["etakahvila"].plan_key in TEMPLATE_KEYS
    assert by_group["distanscafe-sv"].language is Language.SV
    assert by_group["distanscafe-sv"].weekday == 3


def test_example_schedules_use_the_groups_of_the_example_organisation() -> None:
    org_text = (EXAMPLES / "org.example.yaml").read_text(encoding="utf-8")
    spec = load_plan_file(EXAMPLE)
    assert {s.group_key for s in spec.schedules} == {
        "it-torstai",
        "ompelimo-tiistai",
        "etakahvila",
        "distanscafe-sv",
    }
    for schedule in spec.schedules:
        assert f"key: {schedule.group_key}\n" in org_text


# -- valid snippets ------------------------------------------------------------------------------


def test_minimal_files_are_valid() -> None:
    assert parse_plan_file("version: 1\n") == PlanFile()
    assert parse_plan_file("version: 1\nplans:\nschedules: []\n") == PlanFile()


def test_block_items_unquoted_times_and_any_case() -> None:
    spec = parse_plan_file(
        HEAD
        + textwrap.indent(
            textwrap.dedent("""\
                - kind: Break
                  title: "Tauko"
                  start: 10:00
                  duration: 1 h 30 MIN
                - kind: LINE-OPEN
                  title: Linja
                  start: 11:30
                  duration: 90s
                """),
            "      ",
        )
        + textwrap.dedent("""\
            schedules:
              - group: g1
                weekday: TORSTAI
                plan: p1
              - group: g1
                weekday: Måndag
                plan: youth-day
                language: EN
              - group: g2
                weekday: sunday
                plan: virtual-day
                from: 2026-12-01
                until: "2026-12-01"
            """)
    )
    items = spec.plans[0].items
    assert items[1] == PlanItem(ItemKind.BREAK, "Tauko", time(10, 0), timedelta(minutes=90))
    assert items[2].kind is ItemKind.LINE_OPEN
    assert items[2].duration == timedelta(seconds=90)
    assert [(s.weekday, s.language) for s in spec.schedules] == [
        (3, None),
        (0, Language.EN),
        (6, None),
    ]
    assert spec.schedules[2].starts == spec.schedules[2].ends == date(2026, 12, 1)


def test_same_group_and_weekday_is_fine_when_the_dates_do_not_overlap() -> None:
    spec = parse_plan_file(
        body("""\
        schedules:
          - {group: g1, weekday: monday, plan: p1, until: 2026-12-31}
          - {group: g1, weekday: monday, plan: remote-cafe, from: 2027-01-01}
        """)
    )
    assert len(spec.schedules) == 2


# -- whole-file problems -------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["", "# only a comment\n"])
def test_empty_file_is_reported_on_line_1(text: str) -> None:
    assert only_error(text)[0] == 1


def test_yaml_syntax_error_reports_its_line() -> None:
    line, message = only_error("version: 1\nplans:\n  - key: [unclosed\n\n")
    assert line == 5
    assert "not valid YAML" in message


@pytest.mark.parametrize(("text", "line"), [("version: 2\n", 1), ("plans: []\n", 1)])
def test_version_must_be_1(text: str, line: int) -> None:
    found, message = only_error(text)
    assert found == line
    assert "version" in message


def test_wrong_version_mentions_plan_files() -> None:
    assert "plan files of version 1" in only_error("version: 2\nplans: 3\n")[1]


def test_unknown_top_level_key_suggests_the_right_one() -> None:
    line, message = only_error("version: 1\nshedules: []\n")
    assert line == 2
    assert "did you mean 'schedules'?" in message


def test_yaml_tags_are_refused_with_plan_file_wording() -> None:
    line, message = only_error(
        item_line('{kind: !!python/name:os.system x, title: a, start: "10:00", duration: 5min}')
    )
    assert line == 7
    assert "not allowed in a plan file" in message


# -- plans ---------------------------------------------------------------------------------------


def test_unknown_item_key_reports_the_item_line_with_a_suggestion() -> None:
    errors = errors_of(item_line('{kind: break, titel: Tauko, start: "10:00", duration: 5min}'))
    assert [line for line, _ in errors] == [7, 7]
    assert "did you mean 'title'?" in errors[0][1]
    assert "has no 'title'" in errors[1][1]


def test_missing_plan_fields_are_reported_on_the_plan_line() -> None:
    errors = errors_of("version: 1\nplans:\n  - key: p\n    items: []\n  - name: X\n")
    assert errors[0] == (3, "plan 'p' has no 'name'")
    assert "'items' of plan 'p' is empty" in errors[1][1]
    assert errors[1][0] == 4
    assert errors[2:] == [(5, "this plan has no 'key'"), (5, "this plan has no 'items'")]


def test_bad_kind_lists_the_allowed_kinds() -> None:
    line, message = only_error(
        item_line('{kind: brake, title: Tauko, start: "10:00", duration: 5min}')
    )
    assert line == 7
    assert "did you mean 'break'?" in message
    assert "line_open, check_in, welcome" in message


@pytest.mark.parametrize("start", ['"25:00"', '"9:60"', '"9"', "nine", '"09:00:00"'])
def test_bad_start_time_is_reported_on_its_line(start: str) -> None:
    line, message = only_error(
        item_line(f"{{kind: break, title: T, start: {start}, duration: 5min}}")
    )
    assert line == 7
    assert "not a time of day" in message


@pytest.mark.parametrize(
    ("duration", "hint"),
    [("45", "no unit"), ("0min", "zero"), ("25h", "24 hours"), ("soon", "not a duration")],
)
def test_bad_duration_is_reported_on_its_line(duration: str, hint: str) -> None:
    line, message = only_error(
        item_line(f'{{kind: break, title: T, start: "10:00", duration: {duration}}}')
    )
    assert line == 7
    assert "duration of item 'T' of plan 'p1'" in message
    assert hint in message


def test_block_item_field_errors_point_at_the_field_line() -> None:
    text = (
        HEAD
        + '      - kind: break\n        title: T\n        start: "10:00"\n        duration: 5\n'
    )
    assert only_error(text)[0] == 10


def test_overlapping_item_is_reported_on_its_own_line() -> None:
    line, message = only_error(
        item_line('{kind: break, title: Tauko, start: "09:10", duration: 5min}')
    )
    assert line == 7
    assert "lasts until 09:15" in message


def test_item_out_of_order_is_reported_on_its_own_line() -> None:
    line, message = only_error(
        item_line('{kind: break, title: Tauko, start: "08:00", duration: 5min}')
    )
    assert line == 7
    assert "time order" in message


def test_item_past_midnight_is_reported_on_its_own_line() -> None:
    line, message = only_error(
        item_line('{kind: close, title: Loppu, start: "23:30", duration: 1h}')
    )
    assert line == 7
    assert "past midnight" in message


def test_duplicate_plan_key_names_the_first_line() -> None:
    text = HEAD + (
        "  - key: p1\n    name: Again\n    items:\n"
        '      - {kind: close, title: End, start: "12:00", duration: 5min}\n'
    )
    line, message = only_error(text)
    assert line == 7
    assert "used twice (first on line 3)" in message


def test_plan_may_not_take_a_built_in_template_key() -> None:
    line, message = only_error(HEAD.replace("key: p1", "key: youth-day"))
    assert line == 3
    assert "built-in template" in message


def test_bad_plan_key_format() -> None:
    line, message = only_error(HEAD.replace("key: p1", "key: P_1"))
    assert line == 3
    assert "not a valid key" in message


# -- schedules -----------------------------------------------------------------------------------


def schedule(lines: str) -> str:
    """HEAD plus one schedule whose first field is on line 8."""
    first, *rest = textwrap.dedent(lines).splitlines()
    return HEAD + f"schedules:\n  - {first}\n" + "".join(f"    {line}\n" for line in rest)


def test_schedule_to_an_unknown_plan_suggests_a_near_key() -> None:
    line, message = only_error(schedule("group: g1\nweekday: monday\nplan: youth-dy\n"))
    assert line == 10
    assert "did you mean 'youth-day'?" in message
    assert "remote-cafe" in message


def test_schedule_plan_from_the_file_is_found() -> None:
    spec = parse_plan_file(schedule("group: g1\nweekday: monday\nplan: p1\n"))
    assert spec.schedules[0].plan_key == "p1"
    assert spec.schedules[0].line == 8


def test_bad_weekday_suggests_the_right_day() -> None:
    line, message = only_error(schedule("group: g1\nweekday: thurday\nplan: p1\n"))
    assert line == 9
    assert "did you mean 'thursday'?" in message


def test_from_after_until_is_reported_on_until() -> None:
    line, message = only_error(
        schedule("group: g1\nweekday: monday\nplan: p1\nfrom: 2027-01-01\nuntil: 2026-06-30\n")
    )
    assert line == 12
    assert "before its 'from'" in message


@pytest.mark.parametrize("value", ["2026-02-30", "1.12.2026", "20261201", "2026-12-01 10:00"])
def test_bad_date_is_reported_on_its_line(value: str) -> None:
    line, message = only_error(schedule(f"group: g1\nweekday: monday\nplan: p1\nfrom: {value}\n"))
    assert line == 11
    assert "must be a date like 2026-12-01" in message


def test_missing_schedule_fields_are_reported_on_the_schedule_line() -> None:
    errors = errors_of(schedule("group: g1\n"))
    assert errors == [
        (8, "the schedule of group 'g1' has no 'weekday'"),
        (8, "the schedule of group 'g1' has no 'plan'"),
    ]


def test_bad_group_key_format_is_reported() -> None:
    line, message = only_error(schedule("group: IT torstai\nweekday: monday\nplan: p1\n"))
    assert line == 8
    assert "not a valid key" in message


def test_language_is_only_for_built_in_templates() -> None:
    line, message = only_error(schedule("group: g1\nweekday: monday\nplan: p1\nlanguage: sv\n"))
    assert line == 11
    assert "remove 'language'" in message


def test_bad_language_is_reported() -> None:
    line, message = only_error(
        schedule("group: g1\nweekday: monday\nplan: youth-day\nlanguage: de\n")
    )
    assert line == 11
    assert "fi, sv or en" in message


def test_two_schedules_for_the_same_day_and_dates_clash() -> None:
    text = body("""\
        schedules:
          - {group: g1, weekday: monday, plan: p1}
          - {group: g1, weekday: maanantai, plan: youth-day, from: 2027-01-01}
        """)
    line, message = only_error(text)
    assert line == 9
    assert "already has a schedule on monday (line 8)" in message


# -- many problems at once -----------------------------------------------------------------------


def test_every_problem_is_reported_sorted_by_line() -> None:
    text = textwrap.dedent("""\
        version: 1
        plans:
          - key: p
            name: P
            items:
              - {kind: brake, title: A, start: "09:00", duration: 15min}
              - {kind: content, title: B, start: "25:00", duration: 15}
          - key: q
            name: Q
            itemz: []
        schedules:
          - group: g
            weekday: someday
            plan: nowhere
            until: 2020-01-01
            from: 2021-01-01
        """)
    lines = [line for line, _ in errors_of(text)]
    assert lines == [6, 7, 7, 8, 10, 13, 14, 15]


def test_error_text_is_line_prefixed() -> None:
    with pytest.raises(PlanFileInvalid) as info:
        parse_plan_file("version: 1\nplans: 3\n")
    assert str(info.value).startswith("line 2: plans must be a list")


# -- reading files -------------------------------------------------------------------------------


def test_missing_file_is_line_0(tmp_path: Path) -> None:
    with pytest.raises(PlanFileInvalid) as info:
        load_plan_file(tmp_path / "nope.yaml")
    assert info.value.errors[0].line == 0
    assert "does not exist" in info.value.errors[0].message


def test_non_utf8_file_reports_the_line(tmp_path: Path) -> None:
    path = tmp_path / "plans.yaml"
    path.write_bytes(b"version: 1\nplans:\n  - key: p\n    name: P\xe4iv\xe4\n")
    with pytest.raises(PlanFileInvalid) as info:
        load_plan_file(path)
    assert info.value.errors[0].line == 4
    assert "UTF-8" in info.value.errors[0].message


def test_utf8_bom_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "plans.yaml"
    path.write_bytes(b"\xef\xbb\xbf" + EXAMPLE.read_bytes())
    assert load_plan_file(path) == load_plan_file(EXAMPLE)
