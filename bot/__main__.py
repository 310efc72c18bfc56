"""The `etapaiva` command: serve, db, org, plans, outbox, manifest, export, retention, person."""

from __future__ import annotations

import argparse
import asyncio
import gc
import getpass
import json
import logging
import os
import shutil
import sys
import tempfile
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, date, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

from bot.orgfile import load_org_file
from bot.planfile import load_plan_file
from bot.settings import Settings, SettingsError, load_settings
from domain.org import Language, OrgFileError, OrgFileInvalid, OrgSpec, Role
from domain.outbox import OutboxEntry
from domain.plans import PlanFileError, PlanFileInvalid
from domain.ports import OrgView
from domain.templates import TEMPLATE_KEYS, template_names
from store.db import create_engine, sessionmaker
from store.migrate import current_revision, head_revision, upgrade
from store.store import Store

log = logging.getLogger("etapaiva")


def _configure_logging(level: str) -> None:
    logging.basicConfig(
        level=getattr(logging, level, logging.INFO),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    # request bodies and message texts never go to info-level logs
    for noisy in (
        "aiohttp.access",
        "msrest",
        "urllib3",
        "apscheduler.executors.default",
        "alembic.runtime.migration",
    ):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def _serve(settings: Settings) -> int:
    from aiohttp import web

    from bot.app import create_app

    try:
        settings.check()
    except SettingsError as exc:
        log.error("%s", exc)
        return 2
    if settings.local_mode:
        log.warning(
            "LOCAL MODE: MicrosoftAppId is not set, so incoming requests are NOT authenticated. "
            "Use this only with the Agents Playground or tests, never in production."
        )
    app = create_app(settings)
    app.on_startup.append(_freeze_heap)
    web.run_app(
        app,
        host=settings.host,
        port=settings.port,
        print=lambda *_: log.info("listening on http://%s:%d", settings.host, settings.port),
        shutdown_timeout=10,
        access_log=None,
    )
    return 0


async def _freeze_heap(_app: object) -> None:
    """Leave what start-up made out of the garbage collector's full passes.

    Start-up leaves a few hundred thousand long-lived objects (the libraries, the app). A full
    collection walked all of them: 50–90 ms with the event loop stopped, every few seconds under
    load, which was the slowest one per cent of check-in answers. Frozen, they are no longer
    walked; what turns create is collected as before.
    """
    gc.collect()
    gc.freeze()


async def _db_upgrade(settings: Settings) -> int:
    engine = create_engine(settings.database_url)
    try:
        await upgrade(engine)
        print(f"database is at revision {await current_revision(engine)}")
    finally:
        await engine.dispose()
    return 0


async def _db_current(settings: Settings) -> int:
    engine = create_engine(settings.database_url)
    try:
        current = await current_revision(engine)
    finally:
        await engine.dispose()
    head = head_revision()
    print(f"current: {current or '(empty)'}\nnewest:  {head}")
    return 0 if current == head else 1


def _rejected(path: str, errors: Sequence[OrgFileError | PlanFileError]) -> int:
    """Print a rejected file's errors as file:line: message; exit status 1."""
    print(f"{path}: not imported, nothing was changed:", file=sys.stderr)
    for error in errors:
        print(f"  {path}:{error.line}: {error.message}", file=sys.stderr)
    return 1


async def _org_import(settings: Settings, path: str, dry_run: bool) -> int:
    try:
        spec: OrgSpec = load_org_file(path)
    except OrgFileInvalid as exc:
        return _rejected(path, exc.errors)
    if dry_run:
        print(
            f"{path} is valid: {len(spec.units)} units, {len(spec.groups)} groups, "
            f"{len(spec.people)} people (dry run, nothing changed)"
        )
        return 0
    engine = create_engine(settings.database_url)
    try:
        await upgrade(engine)
        summary = await Store(sessionmaker(engine)).org.apply(spec)
    finally:
        await engine.dispose()
    for kind in ("units", "groups", "people"):
        print(
            f"{kind}: {summary.created.get(kind, 0)} created, {summary.updated.get(kind, 0)} "
            f"updated, {summary.unchanged.get(kind, 0)} unchanged"
        )
    return 0


def format_org(view: OrgView) -> str:
    """The organisation as readable text."""
    lines: list[str] = []
    for unit in view.units:
        lines.append(f"{unit.name} [{unit.key}]")
        for group in (g for g in view.groups if g.unit_key == unit.key):
            lines.append(f"  - {group.name} [{group.key}] {group.timezone}, {group.language.value}")
    lines.append("")
    lines.append(f"People ({len(view.people)}):")
    for person, grants in view.people:
        ident = person.upn or person.aad_object_id or "(met in Teams)"
        status = "linked" if person.teams_id else "not yet met"
        roles = []
        for grant in grants:
            where = grant.group.key if grant.group else grant.unit.key if grant.unit else ""
            roles.append(f"{grant.role.value}:{where}" if grant.role is not Role.ADMIN else "admin")
        lang = person.language.value if person.language else "-"
        ended = (
            f", service ended {person.service_ended.isoformat()}" if person.service_ended else ""
        )
        lines.append(
            f"  {person.name} <{ident}> {lang}, {status}{ended}: {', '.join(roles) or 'no roles'}"
        )
    return "\n".join(lines)


async def _org_show(settings: Settings) -> int:
    engine = create_engine(settings.database_url)
    try:
        await upgrade(engine)
        print(format_org(await Store(sessionmaker(engine)).org.view()))
    finally:
        await engine.dispose()
    return 0


async def _plans_import(settings: Settings, path: str, dry_run: bool) -> int:
    try:
        plan_file = load_plan_file(path)
    except PlanFileInvalid as exc:
        return _rejected(path, exc.errors)
    if dry_run:
        print(
            f"{path} is valid: {len(plan_file.plans)} plans, {len(plan_file.schedules)} "
            "schedules (dry run, nothing changed)"
        )
        return 0
    engine = create_engine(settings.database_url)
    try:
        await upgrade(engine)
        counts = await Store(sessionmaker(engine)).plans.apply(plan_file)
    except PlanFileInvalid as exc:
        return _rejected(path, exc.errors)
    finally:
        await engine.dispose()
    print(f"plans: {counts['plans']} stored; schedules: {counts['schedules']} stored")
    return 0


async def _plans_list(settings: Settings) -> int:
    engine = create_engine(settings.database_url)
    try:
        await upgrade(engine)
        store = Store(sessionmaker(engine))
        imported = await store.plans.plans()
        schedules = await store.plans.schedules()
    finally:
        await engine.dispose()
    print("Built-in templates (fi / sv / en):")
    for key in TEMPLATE_KEYS:
        names = " / ".join(template_names(lang)[key] for lang in Language)
        print(f"  {key}: {names}")
    print(f"Imported plans ({len(imported)}):")
    for plan in imported:
        first, last = plan.items[0], plan.items[-1]
        print(f"  {plan.key}: {plan.name}, {first.start:%H:%M}–{last.end:%H:%M}")
    print(f"Weekly schedules ({len(schedules)}):")
    weekdays = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
    for _group_id, sch in schedules:
        span = f" {sch.starts or ''}…{sch.ends or ''}" if sch.starts or sch.ends else ""
        print(f"  {sch.group_key}: {weekdays[sch.weekday]} {sch.plan_key}{span}")
    return 0


async def _outbox(settings: Settings, retry: int | None, pending: bool) -> int:
    engine = create_engine(settings.database_url)
    try:
        await upgrade(engine)
        store = Store(sessionmaker(engine))
        outbox = store.outbox
        if retry is not None:
            if not await outbox.requeue(retry):
                print(f"no dead letter with id {retry}", file=sys.stderr)
                return 1
            print(f"dead letter {retry} queued again; the running service sends it shortly")
            return 0
        if pending:
            for status, count in (await outbox.counts()).items():
                print(f"{status.value:8} {count}")
            # the digest's recipients it cannot reach (the job logs each, with the reason)
            unreached = await store.digest.unreachable_coordinators()
            if unreached:
                ids = ", ".join(str(i) for i in unreached)
                print(f"coordinators without a 1:1 chat: {len(unreached)} (person ids {ids})")
            return 0
        print(format_dead_letters(await outbox.dead_letters()))
    finally:
        await engine.dispose()
    return 0


def format_dead_letters(entries: Sequence[OutboxEntry]) -> str:
    """Dead letters as readable lines: ids, conversation, attempts, error, times (no text)."""
    if not entries:
        return "no dead letters"
    lines = [f"Dead letters ({len(entries)}); retry one with `etapaiva outbox --retry ID`:"]
    for e in entries:
        lines.append(
            f"  {e.id}  {e.message.key}  conversation {e.message.conversation_id}  "
            f"attempts {e.attempts}  created {e.created_at:%Y-%m-%d %H:%M:%S}Z  "
            f"last try {e.next_attempt_at:%Y-%m-%d %H:%M:%S}Z  error: {e.last_error or '-'}"
        )
    return "\n".join(lines)


def package_version() -> str:
    """The version of this program (the default Teams app version)."""
    try:
        return metadata.version("etapaiva")
    except metadata.PackageNotFoundError:
        return "0.1.0"


def _manifest_build(settings: Settings, args: argparse.Namespace) -> int:
    from bot.manifest_build import PackageError, PackageOptions, build_package
    from bot.manifest_check import MANIFEST_VERSION

    app_id = args.app_id or settings.app_id
    public_url = args.public_url or settings.public_url
    version = args.app_version or package_version()
    out = Path(args.out or f"etapaiva-teams-{version}.zip")
    if out.is_dir():
        out = out / f"etapaiva-teams-{version}.zip"
    problems = []
    if not app_id:
        problems.append("--app-id: not given, and MicrosoftAppId is not set")
    if not public_url:
        problems.append("--public-url: not given, and PUBLIC_URL is not set")
    if not problems:
        options = PackageOptions(
            app_id=app_id,
            public_url=public_url,
            version=version,
            website_url=args.website_url,
            privacy_url=args.privacy_url,
            terms_url=args.terms_url,
        )
        try:
            names = build_package(options, out)
        except PackageError as exc:
            problems = exc.problems
    if problems:
        print(f"etapaiva manifest build: {out} was not written:", file=sys.stderr)
        for problem in problems:
            print(f"  {problem}", file=sys.stderr)
        return 2
    print(f"wrote {out} ({out.stat().st_size} bytes): {', '.join(names)}")
    print(f"valid against the Teams app manifest schema v{MANIFEST_VERSION}; icons checked")
    return 0


EXPORT_KINDS = ("attendance", "activity-days", "absences")


def _date_arg(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date YYYY-MM-DD: {value!r}") from None


def _month_arg(value: str) -> date:
    try:
        return date.fromisoformat(f"{value}-01")
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a month YYYY-MM: {value!r}") from None


def export_file_name(kind: str, first: date, last: date, fmt: str) -> str:
    """The default file name: attendance-2026-11-01-2026-11-30.csv, activity-days-2026-11.csv."""
    if kind == "activity-days":
        return f"{kind}-{first:%Y-%m}.{fmt}"
    return f"{kind}-{first.isoformat()}-{last.isoformat()}.{fmt}"


async def _export(settings: Settings, args: argparse.Namespace) -> int:
    from bot.reporting import report_service
    from domain.reports import columns
    from domain.reports.service import month_end

    kind: str = args.export_command
    if kind == "activity-days":
        first = args.month
        last = month_end(first)
    else:
        first, last = args.first, args.last
        if last < first:
            print("etapaiva export: --to is before --from", file=sys.stderr)
            return 2
    unit: str | None = args.unit
    group: str | None = getattr(args, "group", None)
    fmt: str = args.format
    language = Language(args.language)
    out = args.out or export_file_name(kind, first, last, fmt)
    engine = create_engine(settings.database_url)
    try:
        await upgrade(engine)
        store = Store(sessionmaker(engine))
        if (unit or group) and not await store.reports.groups(unit, group):
            print(f"etapaiva export: no such unit or group: {unit or group}", file=sys.stderr)
            return 1
        reports = report_service(settings, store)
        rows: AsyncIterator[Any]
        if kind == "attendance":
            cols = columns.ATTENDANCE
            rows = reports.person_days(None, first, last, unit, group)
        else:

            async def listed() -> AsyncIterator[Any]:
                if kind == "activity-days":
                    found: Sequence[Any] = await reports.activity_days(None, first, unit)
                else:
                    found = await reports.absences(None, first, last, unit)
                for row in found:
                    yield row

            cols = columns.ACTIVITY_DAYS if kind == "activity-days" else columns.ABSENCES
            rows = listed()
        count = await _write_export(cols, rows, fmt, language, out)
        subject = f"{first.isoformat()}..{last.isoformat()}"
        await store.reports.audit(
            f"export.{kind}",
            subject,
            {
                "rows": count,
                "format": fmt,
                "language": language.value,
                "unit": unit,
                "group": group,
                "who": f"cli:{_user()}",
                "out": out,
            },
        )
    finally:
        await engine.dispose()
    where = "standard output" if out == "-" else out
    print(f"{kind}: {count} rows, {subject}, written to {where}", file=sys.stderr)
    return 0


def _user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


async def _write_export(
    cols: Sequence[Any], rows: AsyncIterator[Any], fmt: str, language: Language, out: str
) -> int:
    """Write the rows as they come (one group's month at a time); the number of rows."""
    from bot.exports import CsvRows, XlsxRows

    if fmt == "csv":
        if out == "-":
            with CsvRows(cols, sys.stdout.buffer, language) as table:
                async for row in rows:
                    table.add(row)
            sys.stdout.buffer.flush()
            return table.rows
        # the command line has nothing else to do meanwhile: plain blocking writes
        with open(out, "wb") as stream, CsvRows(cols, stream, language) as table:  # noqa: ASYNC230
            async for row in rows:
                table.add(row)
        return table.rows
    if out != "-":
        with XlsxRows(cols, out, language) as book:
            async for row in rows:
                book.add(row)
        return book.rows
    # a zip file needs a file to be finished in: made in a temporary one, then copied out
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "export.xlsx"
        with XlsxRows(cols, path, language) as book:
            async for row in rows:
                book.add(row)
        with path.open("rb") as made:
            shutil.copyfileobj(made, sys.stdout.buffer)
        sys.stdout.buffer.flush()
        return book.rows


def _now() -> datetime:
    return datetime.now(UTC)


async def _retention_show(settings: Settings) -> int:
    from bot.features.retention import limits
    from store.retention import SqlRetention

    engine = create_engine(settings.database_url)
    try:
        await upgrade(engine)
        now = _now()
        reports = await SqlRetention(sessionmaker(engine), limits(settings)).report(now)
    finally:
        await engine.dispose()
    print(f"Retention on {now:%Y-%m-%d %H:%M}Z: what the nightly purge would remove now")
    for r in reports:
        oldest = f"{r.oldest_kept:%Y-%m-%d}" if r.oldest_kept else "-"
        print(f"  {r.kind.value:13} {r.due:7} to purge  oldest kept {oldest:10}  {r.rule}")
        for name, count in r.tables.items():
            if count:
                print(f"      {name}: {count}")
    return 0


@asynccontextmanager
async def _people_data(settings: Settings) -> AsyncIterator[Any]:
    """The retention store over the configured database (migrated), disposed after."""
    from bot.features.retention import limits
    from store.retention import SqlRetention

    engine = create_engine(settings.database_url)
    try:
        await upgrade(engine)
        yield SqlRetention(sessionmaker(engine), limits(settings))
    finally:
        await engine.dispose()


def _no_person(ident: str) -> int:
    print(
        f"etapaiva person: no person has the id, UPN or AAD object id {ident!r}; "
        "nothing was changed or written",
        file=sys.stderr,
    )
    return 1


def _open_beside(target: Path) -> Any:
    """A temporary file beside target (so that a rename puts it in place whole)."""
    return tempfile.NamedTemporaryFile(
        "w", encoding="utf-8", dir=target.parent, delete=False, suffix=".tmp"
    )


async def _person_export(settings: Settings, ident: str, out: str | None) -> int:
    to_file = out is not None and out != "-"
    target = Path(out) if to_file and out else None
    temporary = None
    if target is not None:
        # written whole or not at all: a temporary file beside it, renamed when complete
        try:
            temporary = _open_beside(target)
        except OSError as exc:
            print(f"etapaiva person export: cannot write {out}: {exc}", file=sys.stderr)
            return 1
    try:
        async with _people_data(settings) as retention:
            person_id = await retention.find(ident)
            if person_id is None:
                return _no_person(ident)
            data = await retention.export(person_id, _now(), f"cli:{_user()}")
        text = json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True) + "\n"
        if temporary is None:
            sys.stdout.write(text)
        else:
            temporary.write(text)
            temporary.close()
            os.replace(temporary.name, str(target))
            temporary = None
    finally:
        if temporary is not None:
            temporary.close()
            os.unlink(temporary.name)
    rows = sum(len(rows) for rows in data["tables"].values())
    where = out if target is not None else "standard output"
    print(
        f"person {person_id}: {rows} rows from {len(data['tables'])} tables, written to {where}",
        file=sys.stderr,
    )
    return 0


def format_erasure(erasure: Any, years: int) -> str:
    """What an erasure removed and what it kept, with until when."""
    lines = [f"person {erasure.person_id} erased."]
    if erasure.removed:
        lines.append("Removed:")
        lines.extend(f"  {name}: {count}" for name, count in sorted(erasure.removed.items()))
    if erasure.forgotten:
        lines.append("Their name taken off others' rows (who opened, took or changed):")
        lines.extend(f"  {name}: {count}" for name, count in sorted(erasure.forgotten.items()))
    if erasure.kept:
        lines.append("Kept (statutory records):")
        for name, count in sorted(erasure.kept.items()):
            until = erasure.until.get(name)
            when = (
                f"until {until.isoformat()}"
                if until
                else f"until {years} years after the client's service ends "
                "(not ended yet: set service_ended in the organisation file)"
            )
            lines.append(f"  {name}: {count}, {when}")
        lines.append("The person's name stays on these records; their Teams link is removed.")
    if erasure.pseudonymised:
        lines.append("No statutory record remains: the person is now an anonymous placeholder.")
    lines.append(
        "Remove the person from the organisation file too, or the next import adds them again."
    )
    return "\n".join(lines)


async def _person_erase(settings: Settings, ident: str, reason: str) -> int:
    if not reason.strip():
        print("etapaiva person erase: --reason must say why", file=sys.stderr)
        return 2
    async with _people_data(settings) as retention:
        person_id = await retention.find(ident)
        if person_id is None:
            return _no_person(ident)
        erasure = await retention.erase(person_id, reason.strip(), _now(), f"cli:{_user()}")
    print(format_erasure(erasure, settings.retain_attendance_years))
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The command-line interface."""
    parser = argparse.ArgumentParser(prog="etapaiva", description="Etäpäivä Teams bot")
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="run the bot's web service")
    serve.add_argument("--host", help="address to listen on (default HOST or 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port (default PORT or 3978)")
    serve.add_argument(
        "--allow-insecure",
        action="store_true",
        help="allow a non-loopback address without MicrosoftAppId (no authentication!)",
    )
    db = sub.add_parser("db", help="database schema").add_subparsers(
        dest="db_command", required=True
    )
    db.add_parser("upgrade", help="migrate the database to the newest schema")
    db.add_parser("current", help="show the schema revision (exit 1 if not the newest)")
    org = sub.add_parser("org", help="units, groups and people").add_subparsers(
        dest="org_command", required=True
    )
    imp = org.add_parser("import", help="create or update the organisation from a YAML file")
    imp.add_argument("file")
    imp.add_argument("--dry-run", action="store_true", help="only check the file")
    org.add_parser("show", help="print units, groups and people")
    plans = sub.add_parser("plans", help="day plans and weekly schedules").add_subparsers(
        dest="plans_command", required=True
    )
    plans_import = plans.add_parser("import", help="store plans and schedules from a YAML file")
    plans_import.add_argument("file")
    plans_import.add_argument("--dry-run", action="store_true", help="only check the file")
    plans.add_parser("list", help="print templates, imported plans and schedules")
    outbox = sub.add_parser("outbox", help="proactive messages: dead letters, retry, counts")
    outbox_mode = outbox.add_mutually_exclusive_group()
    outbox_mode.add_argument("--retry", type=int, metavar="ID", help="send a dead letter again")
    outbox_mode.add_argument("--pending", action="store_true", help="count messages by status")
    manifest = sub.add_parser("manifest", help="the Teams app package").add_subparsers(
        dest="manifest_command", required=True
    )
    build = manifest.add_parser("build", help="fill, check and zip the Teams app package")
    build.add_argument("--app-id", help="the bot's Entra application id (default MicrosoftAppId)")
    build.add_argument("--public-url", help="the service's https address (default PUBLIC_URL)")
    build.add_argument(
        "--version",
        dest="app_version",
        help="app version MAJOR.MINOR.PATCH; raise it for every update (default: etapaiva's)",
    )
    build.add_argument("--out", help="zip file to write (default etapaiva-teams-VERSION.zip)")
    build.add_argument("--website-url", help="support page (default PUBLIC_URL/tutorial)")
    build.add_argument("--privacy-url", help="privacy page (default PUBLIC_URL/privacy)")
    build.add_argument("--terms-url", help="terms of use page (default PUBLIC_URL/terms)")
    export = sub.add_parser(
        "export", help="attendance reports as CSV or xlsx (see docs/exports.md)"
    ).add_subparsers(dest="export_command", required=True)
    attendance = export.add_parser("attendance", help="one row per person per group day")
    activity = export.add_parser(
        "activity-days", help="per client and month: activity days, absences, the allowance"
    )
    absences = export.add_parser("absences", help="the absences in Kela's terms (form TT3)")
    for periodic in (attendance, absences):
        periodic.add_argument("--from", dest="first", type=_date_arg, required=True)
        periodic.add_argument("--to", dest="last", type=_date_arg, required=True)
    activity.add_argument("--month", type=_month_arg, required=True, help="YYYY-MM")
    attendance.add_argument("--group", help="only this group (its key)")
    for each in (attendance, activity, absences):
        each.add_argument("--unit", help="only this unit's groups (its key)")
        each.add_argument("--format", choices=("csv", "xlsx"), default="csv")
        each.add_argument(
            "--language",
            choices=[lang.value for lang in Language],
            default="fi",
            help="the language of the headers and words (default fi)",
        )
        each.add_argument(
            "--out", help="file to write, or - for standard output (default: named by period)"
        )
    retention = sub.add_parser(
        "retention", help="how long data is kept (see docs/data-protection.md)"
    ).add_subparsers(dest="retention_command", required=True)
    retention.add_parser("show", help="per data type: the rule and what would be purged now")
    person = sub.add_parser("person", help="a person's data: export or erase").add_subparsers(
        dest="person_command", required=True
    )
    person_export = person.add_parser("export", help="everything stored about the person (JSON)")
    person_export.add_argument("person", help="their id, UPN (e-mail) or AAD object id")
    person_export.add_argument("--out", help="file to write, or - for standard output (default)")
    person_erase = person.add_parser(
        "erase", help="remove what is not a statutory record; keep and say what the law requires"
    )
    person_erase.add_argument("person", help="their id, UPN (e-mail) or AAD object id")
    person_erase.add_argument("--reason", required=True, help="why (stored in the audit log)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `etapaiva` console script."""
    args = build_parser().parse_args(argv)
    try:
        settings = load_settings()
    except SettingsError as exc:
        print(f"etapaiva: {exc}", file=sys.stderr)
        return 2
    _configure_logging(settings.log_level)
    if args.command == "serve":
        overrides = {
            k: v
            for k, v in {
                "host": args.host,
                "port": args.port,
                "allow_insecure": args.allow_insecure or None,
            }.items()
            if v is not None
        }
        from dataclasses import replace

        return _serve(replace(settings, **overrides))
    if args.command == "db":
        run = _db_upgrade if args.db_command == "upgrade" else _db_current
        return asyncio.run(run(settings))
    if args.command == "plans":
        if args.plans_command == "import":
            return asyncio.run(_plans_import(settings, args.file, args.dry_run))
        return asyncio.run(_plans_list(settings))
    if args.command == "outbox":
        return asyncio.run(_outbox(settings, args.retry, args.pending))
    if args.command == "manifest":
        return _manifest_build(settings, args)
    if args.command == "export":
        return asyncio.run(_export(settings, args))
    if args.command == "retention":
        return asyncio.run(_retention_show(settings))
    if args.command == "person":
        if args.person_command == "export":
            return asyncio.run(_person_export(settings, args.person, args.out))
        return asyncio.run(_person_erase(settings, args.person, args.reason))
    if args.org_command == "import":
        return asyncio.run(_org_import(settings, args.file, args.dry_run))
    return asyncio.run(_org_show(settings))


if __name__ == "__main__":
    sys.exit(main())
