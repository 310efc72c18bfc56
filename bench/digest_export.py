"""P5: the coordinators' digest and the exports over a year of data (not a test).

The year is made by bench/yeardata.py (migrations, then bulk inserts: COPY on PostgreSQL), by
default 100 groups × 250 group days × 40 clients in 10 units, on SQLite and on a throwaway
PostgreSQL server (tests/pg.py). Each measurement then runs in a fresh child process with a
fresh engine (cold, as the service meets it after a start: no caches; the database's own pages
are in the OS cache after the generation), and its time and peak RSS (VmHWM) are read; the
child also samples its RSS at each quarter of the work, to show whether memory grows.

Measured (each against a baseline doing the same work on the same data, in the same run):
  digest        the coordinators' digest for one unit and one day: the last four weeks of each
                of the unit's groups from the attendance read model (the follow-up flags need
                four weeks). Target ≤ 1 s on PostgreSQL, ≤ 3 s on SQLite.
    digest-sql  baseline (the floor): one hand-written SQL aggregation giving the same counts
                (present, late, left early, excused, absent, full days per group day); the
                counts of the two are compared.
  activity      the month's activity-days export (per client: activity days, absences by
                reason), all groups.
  xlsx          the year's attendance export, one row per person per held group day, all
                groups, read a month of a group at a time, written with XlsxWriter in
                constant-memory mode. Target: peak RSS ≤ 200 MB.
    xlsx-mem    baseline (memory): the same rows, XlsxWriter without constant memory.
    csv         baseline (time): the same rows written as CSV (UTF-8 with BOM, ';').

The work measured is in the functions under "the work measured" below, each taking a `Run`
(database, store, read model, day, month, output file, progress callback) and returning a
`Done`; plug the final services in there.

    .venv/bin/python bench/digest_export.py --quick        # 10 groups × 60 days, seconds
    .venv/bin/python bench/digest_export.py                # the year, SQLite and PostgreSQL
    options: --db sqlite|postgres|both  --postgres URL (an empty database)  --repeat N
             --groups --days --clients --units --until (bench/yeardata.py)  --keep DIR
             --skip xlsx-mem,...  --plans (EXPLAIN of the reads on the generated data)

Exit status 0 whatever the figures (it is a report); 1 if the setup fails.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import yeardata

DIGEST_TARGET_S = {"PostgreSQL": 1.0, "SQLite": 3.0}
RSS_TARGET_MB = 200.0


# --- a child's run ----------------------------------------------------------------------------


def _rss_mb(field_name: str = "VmRSS") -> float:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith(field_name + ":"):
                return int(line.split()[1]) / 1024
    return 0.0


@dataclass
class Run:
    """What a measured function gets: a fresh engine's store, the day and month asked."""

    url: str
    unit_id: int
    unit_key: str
    coordinator_id: int  # the unit's coordinator (yeardata: person n coordinates unit n)
    day: date  # the digest's day
    month: date  # the first of the export's month
    first: date  # the year's first and last day
    last: date
    out: Path  # the export file
    samples: list[float] = field(default_factory=list)  # RSS (MB) at each quarter
    _next_quarter: float = 0.25
    db: Any = None
    store: Any = None
    records: Any = None

    def progress(self, fraction: float) -> None:
        """Called as the work goes on (0..1): RSS is sampled at each quarter."""
        while fraction >= self._next_quarter - 1e-9 and self._next_quarter <= 1.0:
            self.samples.append(_rss_mb())
            self._next_quarter += 0.25

    async def groups(self, unit_id: int | None = None) -> list[Any]:
        """The groups (of a unit, or all) as domain objects, by key."""
        from sqlalchemy import select

        from domain.org import Group, Language
        from store.tables import GroupRow, UnitRow

        query = (
            select(GroupRow, UnitRow.key)
            .join(UnitRow, UnitRow.id == GroupRow.unit_id)
            .order_by(GroupRow.key)
        )
        if unit_id is not None:
            query = query.where(GroupRow.unit_id == unit_id)
        async with self.db.read() as s:
            rows = (await s.execute(query)).all()
        return [
            Group(r.key, unit_key, r.name, r.timezone, Language(r.language), r.id)
            for r, unit_key in rows
        ]


@dataclass
class Done:
    rows: int  # what the work produced: group days, clients, or file rows
    counts: dict[str, int] = field(
        default_factory=dict
    )  # compared between a measure and its baseline
    note: str = ""
    untimed: float = 0.0  # seconds spent checking the result, not counted


def _records(store: Any) -> Any:
    """The attendance read model as the service builds it (planned days read in bulk)."""
    from bot.reporting import attendance_records
    from bot.settings import Settings

    return attendance_records(Settings(), store)


def _count(counts: Counter[str], line: Any) -> None:
    counts[line.status.value if line.status else "unmarked"] += 1
    if line.full_day:
        counts["full_day"] += 1


# --- the work measured ------------------------------------------------------------------------
# Each takes the Run (a fresh engine's `db`, `store`, `records`, the unit, day, month, year and
# output file; call `run.progress(fraction)` as the work goes) and returns a Done.


class _NoTeams:
    """The Teams side the services are built with: never reached by what is measured."""

    async def open(self, *_: Any) -> None:
        return None

    async def role_of(self, *_: Any) -> None:
        return None


async def _services(run: Run) -> dict[type, object]:
    """Every feature's service as the running bot builds them, over this run's store."""
    from bot.features import Kit, build_all
    from bot.settings import Settings
    from domain.hooks import Hooks
    from domain.tutorial.content import load_tutorial

    def clock() -> datetime:  # the digest hour of the day measured, Helsinki time
        return datetime.combine(run.day, datetime.min.time(), tzinfo=UTC) + timedelta(hours=14)

    kit = Kit(Settings(), run.store, Hooks(), clock, _NoTeams(), _NoTeams(), load_tutorial())  # type: ignore[arg-type]
    return build_all(kit)


async def digest(run: Run) -> Done:
    """The digest of one unit's coordinator for one day: each group day's card with four weeks
    of attendance behind its flags, the feedback, help requests and delivery problems."""
    from domain.digest.service import DigestService
    from domain.model import Actor
    from domain.org import Language, Role

    # the bot builds its services once at start-up: not part of a digest (its caches stay cold)
    setting_up = time.perf_counter()
    services = await _services(run)
    service = services[DigestService]
    assert isinstance(service, DigestService)
    person = await run.store.org.person_by_id(run.coordinator_id)
    grants = await run.store.org.grants_of(run.coordinator_id)
    actor = Actor(person, grants)
    assert {g.unit.key for g in grants if g.role is Role.COORDINATOR and g.unit} == {run.unit_key}
    set_up = time.perf_counter() - setting_up
    cards = await service.for_actor(actor, Language.FI, run.day)
    run.progress(1.0)
    checking = time.perf_counter()
    counts: Counter[str] = Counter()
    groups = await run.groups(run.unit_id)
    for group in groups:  # what the cards count, from the same read model (for the check)
        for day in await run.records.days(group, run.day - timedelta(days=27), run.day):
            if day.held:
                for line in day.people:
                    _count(counts, line)
    note = f"{len(groups)} groups, {len(cards)} cards"
    return Done(len(cards), dict(counts), note, untimed=set_up + time.perf_counter() - checking)


DIGEST_SQL = """
WITH calls AS (
    SELECT rc.id, rc.group_id, rc.day, rc.number,
           CASE WHEN rc.number = MAX(rc.number) OVER (PARTITION BY rc.group_id, rc.day)
                THEN 1 ELSE 0 END AS last
    FROM roll_calls rc JOIN groups g ON g.id = rc.group_id
    WHERE g.unit_id = :unit AND rc.day BETWEEN :first AND :last
      AND rc.cancelled_at IS NULL AND rc.closed_at IS NOT NULL
),
person_days AS (
    SELECT c.group_id, c.day, m.person_id,
           MIN(CASE WHEN m.status = 'present' THEN c.number * 2
                    WHEN m.status = 'late' THEN c.number * 2 + 1 END) AS first_here,
           MAX(CASE WHEN c.number = 1 AND m.status IN ('present', 'late') THEN 1 ELSE 0 END)
               AS here_first,
           MAX(CASE WHEN c.last = 1 AND m.status IN ('present', 'late') THEN 1 ELSE 0 END)
               AS here_last,
           MAX(CASE WHEN m.status = 'excused' THEN 1 ELSE 0 END) AS excused
    FROM calls c JOIN attendance_marks m ON m.roll_call_id = c.id
    GROUP BY c.group_id, c.day, m.person_id
)
SELECT
    SUM(CASE WHEN pd.first_here IS NOT NULL AND co.id IS NOT NULL THEN 1 ELSE 0 END),
    SUM(CASE WHEN pd.first_here IS NOT NULL AND co.id IS NULL AND pd.first_here % 2 = 0
             THEN 1 ELSE 0 END),
    SUM(CASE WHEN pd.first_here IS NOT NULL AND co.id IS NULL AND pd.first_here % 2 = 1
             THEN 1 ELSE 0 END),
    SUM(CASE WHEN pd.first_here IS NULL AND pd.excused = 1 THEN 1 ELSE 0 END),
    SUM(CASE WHEN pd.first_here IS NULL AND pd.excused = 0 THEN 1 ELSE 0 END),
    SUM(CASE WHEN co.id IS NULL AND pd.here_first = 1 AND pd.here_last = 1 THEN 1 ELSE 0 END),
    COUNT(DISTINCT pd.group_id * 100000 + (pd.day - DATE '2000-01-01'))
FROM person_days pd
LEFT JOIN attendance_checkouts co
    ON co.group_id = pd.group_id AND co.day = pd.day AND co.person_id = pd.person_id
"""


async def digest_sql(run: Run) -> Done:
    """The floor: the same counts from one SQL aggregation (checked-out = left early)."""
    from sqlalchemy import text

    sql = DIGEST_SQL
    if run.db.engine.dialect.name == "sqlite":  # dates are text there
        sql = sql.replace("(pd.day - DATE '2000-01-01')", "julianday(pd.day)")
    async with run.db.read() as s:
        row = (
            await s.execute(
                text(sql),
                {"unit": run.unit_id, "first": run.day - timedelta(days=27), "last": run.day},
            )
        ).one()
    run.progress(1.0)
    keys = ("left_early", "present", "late", "excused", "absent", "full_day")
    return Done(int(row[6] or 0), {k: int(v or 0) for k, v in zip(keys, row, strict=False) if v})


def _reports(run: Run) -> Any:
    """The report service as the command line builds it (the Kela mapping, the allowance)."""
    from bot.reporting import report_service
    from bot.settings import Settings

    return report_service(Settings(), run.store)


async def activity(run: Run) -> Done:
    """The month's activity days: per client, full days and absences by Kela reason."""
    months = await _reports(run).activity_days(None, run.month)
    totals: Counter[str] = Counter()
    for month in months:
        totals["activity"] += month.activity
        totals["short"] += month.short
        for reason, n in month.absences.items():
            totals[f"absent:{reason.value}"] += n
    run.progress(1.0)
    return Done(len(months), dict(totals))


async def person_days(run: Run) -> AsyncIterator[Any]:
    """The year's lines as the attendance export reads them, group by group."""
    reports = _reports(run)
    groups = await run.groups()
    for n, group in enumerate(groups):
        async for line in reports.person_days(None, run.first, run.last, group_key=group.key):
            yield line
        run.progress((n + 1) / len(groups))


async def _xlsx(run: Run, constant_memory: bool) -> Done:
    from bot.exports import XlsxRows
    from domain.reports.columns import ATTENDANCE

    with XlsxRows(ATTENDANCE, run.out, constant_memory=constant_memory) as book:
        async for line in person_days(run):
            book.add(line)
    return Done(book.rows, note=f"{run.out.stat().st_size / 1e6:.0f} MB")


async def xlsx(run: Run) -> Done:
    """The year's attendance export as xlsx, XlsxWriter in constant-memory mode."""
    return await _xlsx(run, True)


async def xlsx_mem(run: Run) -> Done:
    """Baseline (memory): the same without constant memory (the whole sheet in memory)."""
    return await _xlsx(run, False)


async def csv_rows(run: Run) -> Done:
    """Baseline (time): the same lines as the CSV export (UTF-8 with BOM, ';')."""
    from bot.exports import CsvRows
    from domain.reports.columns import ATTENDANCE

    # written as it goes, like the export (a blocking write: this process does nothing else)
    with open(run.out, "wb") as out, CsvRows(ATTENDANCE, out) as table:  # noqa: ASYNC230
        async for line in person_days(run):
            table.add(line)
    return Done(table.rows, note=f"{run.out.stat().st_size / 1e6:.0f} MB")


MEASURES: dict[str, Callable[[Run], Awaitable[Done]]] = {
    "digest": digest,
    "digest-sql": digest_sql,
    "activity": activity,
    "xlsx": xlsx,
    "xlsx-mem": xlsx_mem,
    "csv": csv_rows,
}
SUFFIX = {"xlsx": ".xlsx", "xlsx-mem": ".xlsx", "csv": ".csv"}


async def child(spec: dict[str, Any]) -> dict[str, Any]:
    """One measurement in this (fresh) process: a fresh engine, the work, time and memory."""
    from store.db import create_engine, sessionmaker
    from store.store import Store

    run = Run(
        url=spec["url"],
        unit_id=spec["unit_id"],
        unit_key=spec["unit_key"],
        coordinator_id=spec["coordinator_id"],
        day=date.fromisoformat(spec["day"]),
        month=date.fromisoformat(spec["month"]),
        first=date.fromisoformat(spec["first"]),
        last=date.fromisoformat(spec["last"]),
        out=Path(spec["out"]),
    )
    before = _rss_mb()
    started = time.perf_counter()
    engine = create_engine(run.url)
    try:
        run.db = sessionmaker(engine)
        run.store = Store(run.db)
        run.records = _records(run.store)
        done = await MEASURES[spec["measure"]](run)
        seconds = time.perf_counter() - started - done.untimed
    finally:
        await engine.dispose()
        with contextlib.suppress(FileNotFoundError):
            run.out.unlink()
    return {
        "seconds": seconds,
        "rows": done.rows,
        "counts": done.counts,
        "note": done.note,
        "rss_start": before,
        "rss_peak": _rss_mb("VmHWM"),
        "samples": run.samples,
    }


# --- the parent: data, runs, table ----------------------------------------------------------


@dataclass
class Result:
    backend: str
    measure: str
    runs: list[dict[str, Any]] = field(default_factory=list)

    @property
    def seconds(self) -> list[float]:
        return [r["seconds"] for r in self.runs]

    @property
    def median(self) -> float:
        return float(statistics.median(self.seconds))

    @property
    def peak(self) -> float:
        return max(float(r["rss_peak"]) for r in self.runs)


def measure_once(measure: str, spec: dict[str, Any], tmp: Path) -> dict[str, Any]:
    spec = {**spec, "measure": measure, "out": str(tmp / f"out-{measure}{SUFFIX.get(measure, '')}")}
    done = subprocess.run(
        [sys.executable, __file__, "--child", json.dumps(spec)],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])},
    )
    if done.returncode != 0:
        raise RuntimeError(f"{measure} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def _load() -> str:
    with open("/proc/loadavg", encoding="ascii") as f:
        return " ".join(f.read().split()[:3])


def _range(values: list[float], fmt: str = "{:.2f}") -> str:
    if len(values) == 1:
        return fmt.format(values[0])
    mid, low, high = (fmt.format(v) for v in (statistics.median(values), min(values), max(values)))
    return f"{mid} ({low}–{high})"


def report(results: list[Result], size: yeardata.Size, made: dict[str, yeardata.Generated]) -> None:
    print(f"\nP5 over {size.describe()}; load average now {_load()}")
    print("each measure in a fresh process with a fresh engine; time: median (min–max) of runs\n")
    header = f"{'store':11}{'measure':12}{'rows':>10}{'time s':>22}{'peak RSS MB':>13}"
    print(f"{header}{'RSS at ¼ ½ ¾ 1':>24}  {'target':16}{'met':>5}")
    print("-" * 113)
    for r in results:
        samples = r.runs[-1]["samples"]
        quarters = " ".join(f"{s:.0f}" for s in samples) if samples else "-"
        target, met = "", ""
        if r.measure == "digest":
            t = DIGEST_TARGET_S[r.backend]
            target, met = f"≤ {t:.0f} s", "yes" if max(r.seconds) <= t else "NO"
        elif r.measure == "xlsx":
            target, met = (
                f"≤ {RSS_TARGET_MB:.0f} MB RSS",
                "yes" if r.peak <= RSS_TARGET_MB else "NO",
            )
        print(
            f"{r.backend:11}{r.measure:12}{r.runs[-1]['rows']:>10,}{_range(r.seconds):>22}"
            f"{r.peak:>13.0f}{quarters:>24}  {target:16}{met:>5}"
        )
    print()
    for backend, g in made.items():
        print(
            f"{backend}: generated {g.total:,} rows in {g.seconds:.0f} s (migrations "
            f"{g.migrate_seconds:.1f} s; {g.rows.get('attendance_marks', 0):,} marks, "
            f"{g.rows.get('attendance_changes', 0):,} audit rows)"
        )
    by = {(r.backend, r.measure): r for r in results}
    for backend in made:
        a, b = by.get((backend, "digest")), by.get((backend, "digest-sql"))
        if a and b:
            same = a.runs[-1]["counts"].get("present") == b.runs[-1]["counts"].get(
                "present"
            ) and all(a.runs[-1]["counts"].get(k, 0) == v for k, v in b.runs[-1]["counts"].items())
            print(
                f"{backend}: digest counts {'agree with' if same else 'DIFFER from'} the SQL "
                f"floor: {a.runs[-1]['counts']} / {b.runs[-1]['counts']}; "
                f"digest ÷ floor {a.median / b.median:.0f}×"
            )
        x, c = by.get((backend, "xlsx")), by.get((backend, "csv"))
        if x and c:
            print(f"{backend}: xlsx ÷ csv time {x.median / c.median:.2f}×; {x.runs[-1]['note']}")
        m = by.get((backend, "xlsx-mem"))
        if x and m:
            print(f"{backend}: peak RSS constant memory {x.peak:.0f} MB, in memory {m.peak:.0f} MB")
    for r in results:
        if r.measure == "digest":
            t = DIGEST_TARGET_S[r.backend]
            print(
                f"P5 digest {r.backend}: {'PASS' if max(r.seconds) <= t else 'FAIL'} "
                f"(worst {max(r.seconds):.2f} s, target ≤ {t:.0f} s)"
            )
        if r.measure == "xlsx":
            print(
                f"P5 xlsx RSS {r.backend}: {'PASS' if r.peak <= RSS_TARGET_MB else 'FAIL'} "
                f"(peak {r.peak:.0f} MB, target ≤ {RSS_TARGET_MB:.0f} MB)"
            )


# the reads the digest and the exports make, for --plans (a group's four weeks, a unit's day)
PLAN_QUERIES = {
    "roll calls of a group, 4 weeks": "SELECT * FROM roll_calls WHERE group_id = :g "
    "AND day BETWEEN :first AND :last",
    "marks of a group, 4 weeks": "SELECT m.* FROM attendance_marks m "
    "JOIN roll_calls rc ON rc.id = m.roll_call_id WHERE rc.group_id = :g "
    "AND rc.day BETWEEN :first AND :last",
    "check-outs of a group, 4 weeks": "SELECT * FROM attendance_checkouts WHERE group_id = :g "
    "AND day BETWEEN :first AND :last",
    "audit rows of a group, 4 weeks": "SELECT * FROM attendance_changes WHERE group_id = :g "
    "AND day BETWEEN :first AND :last",
    "group days of a group, 4 weeks": "SELECT * FROM group_days WHERE group_id = :g "
    "AND date BETWEEN :first AND :last",
    "help requests of a group, a week": "SELECT * FROM help_requests WHERE group_id = :g "
    "AND created_at >= :week",
    "dead letters, a week": "SELECT * FROM outbox WHERE status = 'dead' AND created_at >= :week",
}


async def show_plans(url: str, spec: dict[str, Any]) -> None:
    """EXPLAIN (ANALYZE on PostgreSQL) of the reads above, on the generated data."""
    from sqlalchemy import text

    from store.db import create_engine

    engine = create_engine(url)
    day = date.fromisoformat(spec["day"])
    first = day - timedelta(days=27)
    week = datetime.combine(day - timedelta(days=6), datetime.min.time(), UTC)
    params: dict[str, Any] = {"g": 1, "first": first, "last": day, "week": week}
    sqlite = engine.dialect.name == "sqlite"
    if sqlite:  # as SQLAlchemy stores them there
        params.update(
            first=first.isoformat(),
            last=day.isoformat(),
            week=week.strftime("%Y-%m-%d %H:%M:%S.%f"),
        )
    try:
        async with engine.connect() as conn:
            for name, sql in PLAN_QUERIES.items():
                explain = "EXPLAIN QUERY PLAN " if sqlite else "EXPLAIN (ANALYZE, COSTS OFF) "
                rows = (await conn.execute(text(explain + sql), params)).all()
                lines = [str(r[-1]) for r in rows]
                print(f"  plan: {name}: " + " | ".join(line.strip() for line in lines))
    finally:
        await engine.dispose()


@contextlib.contextmanager
def database(backend: str, args: argparse.Namespace, tmp: Path) -> Iterator[str]:
    if backend == "SQLite":
        yield f"sqlite+aiosqlite:///{tmp / 'year.db'}"
        return
    if args.postgres:
        yield args.postgres
        return
    from tests.pg import TempPostgres

    print("starting a throwaway PostgreSQL server …")
    server = TempPostgres()
    try:
        yield server.start()
    finally:
        server.stop()


def run_backend(
    backend: str, args: argparse.Namespace, size: yeardata.Size, tmp: Path
) -> tuple[list[Result], yeardata.Generated]:
    with database(backend, args, tmp) as url:
        print(f"{backend}: generating {size.describe()} (load {_load()})")
        made = asyncio.run(yeardata.generate(url, size, log=print))
        print(f"{backend}: {made.total:,} rows in {made.seconds:.0f} s")
        assert made.last_day is not None
        assert made.first_day is not None
        unit = min(made.unit_groups)
        spec = {
            "url": url,
            "unit_id": unit,
            "unit_key": yeardata.unit_key(unit),
            "coordinator_id": unit,
            "day": made.last_day.isoformat(),
            "month": made.last_day.replace(day=1).isoformat(),
            "first": made.first_day.isoformat(),
            "last": made.last_day.isoformat(),
        }
        if args.plans:
            asyncio.run(show_plans(url, spec))
        measures = [m for m in MEASURES if m not in args.skip]
        results = {m: Result(backend, m) for m in measures}
        for n in range(args.repeat):
            for m in measures:  # interleaved: a measure and its baseline alternate
                if m in ("xlsx", "xlsx-mem", "csv") and n >= args.export_repeat:
                    continue
                got = measure_once(m, spec, tmp)
                results[m].runs.append(got)
                print(
                    f"  {backend} {m} run {n + 1}: {got['seconds']:.2f} s, {got['rows']:,} rows, "
                    f"peak RSS {got['rss_peak']:.0f} MB {got['note']} (load {_load()})"
                )
        return list(results.values()), made


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--db", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument(
        "--postgres", metavar="URL", help="an empty database (else a throwaway server)"
    )
    parser.add_argument("--repeat", type=int, default=3, help="runs of the digest and activity")
    parser.add_argument("--export-repeat", type=int, default=1, help="runs of each export")
    parser.add_argument("--skip", default="", help="measures left out, comma-separated")
    parser.add_argument("--keep", metavar="DIR", help="work folder kept (SQLite file)")
    parser.add_argument("--plans", action="store_true", help="print the reads' query plans")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    yeardata.size_arguments(parser)
    args = parser.parse_args(argv)
    args.skip = {s for s in args.skip.split(",") if s}
    return args


def main() -> None:
    args = parse_args()
    if args.child:
        print(json.dumps(asyncio.run(child(json.loads(args.child)))))
        return
    size = yeardata.size_of(args)
    tmp = Path(args.keep or tempfile.mkdtemp(prefix="bench-p5-"))
    tmp.mkdir(parents=True, exist_ok=True)
    print(f"work folder: {tmp}; {os.cpu_count()} CPUs, load {_load()}")
    backends = {"sqlite": ["SQLite"], "postgres": ["PostgreSQL"], "both": ["SQLite", "PostgreSQL"]}
    results: list[Result] = []
    made: dict[str, yeardata.Generated] = {}
    try:
        for backend in backends[args.db]:
            got, made[backend] = run_backend(backend, args, size, tmp)
            results += got
    except (RuntimeError, OSError) as exc:
        print(f"\nSETUP FAILED: {exc}", file=sys.stderr)
        sys.exit(1)
    report(results, size, made)


if __name__ == "__main__":
    main()
