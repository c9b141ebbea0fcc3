"""The `parklead` command (a Flask CLI group): docs/api.md "Entry points"."""

from __future__ import annotations

import datetime as dt
import sys
import tarfile
from pathlib import Path

import click
from flask import current_app
from flask.cli import FlaskGroup, routes_command, shell_command, with_appcontext
from sqlalchemy.exc import SQLAlchemyError

from app import create_app


@click.group(cls=FlaskGroup, create_app=lambda: create_app(), add_default_commands=False)
def main() -> None:
    """ParkLead: lead capture and CRM for industrial-park investment promotion."""


main.add_command(shell_command)
main.add_command(routes_command)


@main.command("run")
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option("--port", default=5000, show_default=True, type=int, help="Port to listen on.")
@click.option("--debug/--no-debug", default=False, help="Reload on change, show tracebacks.")
@with_appcontext
def run_command(host: str, port: int, debug: bool) -> None:
    """Serve ParkLead (a threaded server; use gunicorn in production)."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    mode = (
        "Redis " + app.config["REDIS_URL"]
        if app.config.get("REDIS_URL")
        else ("embedded (no Redis: background work runs in-process)")
    )
    click.echo(f"ParkLead on http://{host}:{port}/  (enquiry form: /enquiry, API: /api/)")
    click.echo(f"  database: {_safe_url(app.config['DATABASE_URL'])}")
    click.echo(f"  tasks:    {mode}")
    # Not app.run(): Flask ignores it inside its own CLI. werkzeug serves the same way.
    from werkzeug.serving import run_simple

    app.debug = debug
    run_simple(host, port, app, use_reloader=debug, use_debugger=debug, threaded=True)


def _database_hint(exc: Exception) -> str:
    """A database error as one sentence that says what to do."""
    text = str(getattr(exc, "orig", exc)).strip().splitlines()[0]
    if (
        "no such table" in text
        or "does not exist" in text
        or "UndefinedTable" in type(getattr(exc, "orig", exc)).__name__
    ):
        return f"the database has no ParkLead tables yet ({text}); run `parklead db upgrade`"
    return f"cannot use the database ({text}); check DATABASE_URL"


def _safe_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def _celery_argv(extra: tuple[str, ...], *defaults: str) -> list[str]:
    return [*defaults, *extra]


@main.command("worker", context_settings={"ignore_unknown_options": True})
@click.argument("celery_args", nargs=-1, type=click.UNPROCESSED)
@with_appcontext
def worker_command(celery_args: tuple[str, ...]) -> None:
    """Run a Celery worker (extra arguments go to `celery worker`)."""
    celery = current_app.extensions["celery"]
    if celery.conf.task_always_eager:
        raise click.ClickException(
            "REDIS_URL is not set: in embedded mode tasks run inside the web process and no "
            "worker is needed. Set REDIS_URL to run workers."
        )
    queue = current_app.config["CELERY_QUEUE"]
    celery.worker_main(["worker", "--loglevel=INFO", "-Q", queue, *celery_args])


@main.command("beat", context_settings={"ignore_unknown_options": True})
@click.argument("celery_args", nargs=-1, type=click.UNPROCESSED)
@with_appcontext
def beat_command(celery_args: tuple[str, ...]) -> None:
    """Run Celery beat, the scheduler of periodic jobs (one per deployment)."""
    celery = current_app.extensions["celery"]
    if celery.conf.task_always_eager:
        raise click.ClickException("REDIS_URL is not set: beat needs a broker.")
    schedule = f"{current_app.instance_path}/celerybeat-schedule"
    celery.start(["beat", "--loglevel=INFO", "-s", schedule, *celery_args])


@main.group("db")
def db_group() -> None:
    """Database migrations (Alembic)."""


@db_group.command("upgrade")
@click.argument("revision", default="head")
@with_appcontext
def db_upgrade(revision: str) -> None:
    """Apply migrations up to REVISION (default: head)."""
    from alembic import command

    from app.core.migrate import alembic_config

    command.upgrade(alembic_config(current_app), revision)
    click.echo(f"database at {revision}")


@db_group.command("downgrade")
@click.argument("revision")
@with_appcontext
def db_downgrade(revision: str) -> None:
    """Revert migrations down to REVISION."""
    from alembic import command

    from app.core.migrate import alembic_config

    command.downgrade(alembic_config(current_app), revision)


@db_group.command("current")
@with_appcontext
def db_current() -> None:
    """Show the database's revision."""
    from alembic import command

    from app.core.migrate import alembic_config

    command.current(alembic_config(current_app), verbose=True)


@db_group.command("revision")
@click.option("-m", "--message", required=True)
@click.option("--autogenerate/--empty", default=True)
@with_appcontext
def db_revision(message: str, autogenerate: bool) -> None:
    """Write a new migration (review it before committing)."""
    from alembic import command

    from app.core.migrate import alembic_config

    command.revision(alembic_config(current_app), message=message, autogenerate=autogenerate)


@main.command("create-admin")
@click.option("--login", prompt=True, help="Login name of the admin.")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
@click.option("--name", default=None, help="Display name (default: the login).")
@with_appcontext
def create_admin(login: str, password: str, name: str | None) -> None:
    """Create an admin account (prompts when flags are missing)."""
    from app.accounts import service
    from app.accounts.models import Role
    from app.core.db import db
    from app.core.errors import AppError

    try:
        with db.transaction():
            team = service.ensure_default_team()
            agent = service.create_agent(
                login=login, password=password, name=name, role=Role.ADMIN, team=team
            )
    except SQLAlchemyError as exc:
        raise click.ClickException(_database_hint(exc)) from None
    except AppError as exc:
        detail = "; ".join(f"{k}: {v}" for k, v in exc.fields.items())
        raise click.ClickException(
            f"{exc.message}{' (' + detail + ')' if detail else ''}"
        ) from None
    click.echo(f"admin {agent.login!r} created (id {agent.id})")


@main.command("seed-demo")
@click.option("--leads", "lead_count", default=12, show_default=True, help="Sample leads.")
@click.option(
    "--history", is_flag=True, help="Also a year of history (stages, calls, wins, losses)."
)
@click.option(
    "--history-leads", default=300, show_default=True, help="Leads in the year of history."
)
@with_appcontext
def seed_demo(lead_count: int, history: bool, history_leads: int) -> None:
    """Add a default team, agents, an admin and sample leads; print the logins."""
    from app.demo import seed, seed_history

    if current_app.config["ENV_NAME"] == "production":
        raise click.ClickException("refusing to add demo data to a production database")
    try:
        logins = seed(lead_count, echo=click.echo)
        if history:
            seed_history(history_leads, echo=click.echo)
    except SQLAlchemyError as exc:
        raise click.ClickException(_database_hint(exc)) from None
    click.echo("\nDemo logins (login / password / role):")
    for login, password, role in logins:
        click.echo(f"  {login:<10} {password:<16} {role}")


@main.group("reports")
def reports_group() -> None:
    """Conversion reports."""


@reports_group.command("refresh")
@click.option("--full", is_flag=True, help="Rebuild every day, not only new and changed ones.")
@with_appcontext
def reports_refresh(full: bool) -> None:
    """Bring the funnel report's daily rollup up to date (beat does this every 10 minutes)."""
    from app.core.db import db
    from app.reports import rollup

    def progress(done: int, total: int) -> None:
        click.echo(f"\r  materialized {done}/{total} days", nl=done == total)

    with db.transaction():
        result = rollup.refresh(full=full, progress=progress)
    how = "rebuilt" if result.rebuilt else "refreshed"
    click.echo(f"report rollup {how}: {result.days} days, through {result.through}")


@main.command("fake-wechat")
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option("--port", default=8081, show_default=True, type=int, help="Port to listen on.")
@click.option("--appid", default=None, help="AppID to accept (default: WECHAT_APP_ID).")
@click.option("--secret", default=None, help="AppSecret to accept (default: WECHAT_APP_SECRET).")
@with_appcontext
def fake_wechat_command(host: str, port: int, appid: str | None, secret: str | None) -> None:
    """Serve a fake WeChat API (point WECHAT_API_BASE_URL at it); WeChat is not reachable
    from a demo or test machine."""
    from app.devtools.fake_server import DEFAULT_APPID, DEFAULT_SECRET, serve

    appid = appid or current_app.config.get("WECHAT_APP_ID") or DEFAULT_APPID
    secret = secret or current_app.config.get("WECHAT_APP_SECRET") or DEFAULT_SECRET
    if secret == DEFAULT_SECRET:
        click.echo(f"  accepting WECHAT_APP_ID={appid} WECHAT_APP_SECRET={secret}")
    serve(host, port, appid=appid, secret=secret, echo=click.echo)


@main.command("doctor")
@click.option("--strict", is_flag=True, help="Exit 1 on warnings too, not only failures.")
@with_appcontext
def doctor_command(strict: bool) -> None:
    """Check the configuration an operator needs and say what to fix (exit 1 on a failure)."""
    from app import doctor

    findings = doctor.run()
    for finding in findings:
        click.echo(finding.line())
    counts = doctor.summary(findings)
    click.echo(f"{counts['OK']} ok, {counts['WARN']} warnings, {counts['FAIL']} failures")
    raise SystemExit(doctor.exit_status(findings, strict=strict))


@main.command("fake-channels")
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option("--port", default=8082, show_default=True, type=int, help="Port to listen on.")
def fake_channels_command(host: str, port: int) -> None:
    """Serve fake 企业微信, 钉钉 and Tencent Cloud SMS APIs for the demo and tests (run
    ParkLead with PARKLEAD_FAKE_CHANNELS_URL=http://HOST:PORT to use them)."""
    from app.devtools.fake_channels import serve

    serve(host, port, echo=click.echo)


@main.command("simulate-wechat")
@click.option(
    "--url",
    default="http://127.0.0.1:5000/wechat/callback",
    show_default=True,
    help="The running ParkLead's callback.",
)
@click.option("--openid", default=None, help="The prospect's openid (default: a new one).")
@click.option("--aes", is_flag=True, help="Encrypt like WeChat's safe mode (encrypt_type=aes).")
@click.option(
    "--script",
    type=click.Path(exists=True, dir_okay=False),
    default=None,
    help="Send the lines of FILE (one message or command per line) instead of reading input.",
)
@click.option(
    "--retry",
    default=0,
    show_default=True,
    type=click.IntRange(0, 10),
    help="Send each delivery N extra times with the same MsgId, as WeChat retries.",
)
@click.option("--token", default=None, help="Signing token (default: WECHAT_TOKEN).")
@click.option("--aes-key", default=None, help="Default: WECHAT_ENCODING_AES_KEY.")
@click.option("--appid", default=None, help="Default: WECHAT_APP_ID.")
@click.option("--account", default="gh_parklead", show_default=True, help="ToUserName.")
@click.option("--timeout", default=5.0, show_default=True, help="Seconds to wait per reply.")
@with_appcontext
def simulate_wechat_command(
    url: str,
    openid: str | None,
    aes: bool,
    script: str | None,
    retry: int,
    token: str | None,
    aes_key: str | None,
    appid: str | None,
    account: str,
    timeout: float,
) -> None:
    """Play a WeChat prospect against a running ParkLead (interactive, or --script FILE)."""
    from app.devtools.simulator import Simulator, random_openid

    cfg = current_app.config
    token = token or cfg.get("WECHAT_TOKEN")
    if not token:
        raise click.ClickException("set WECHAT_TOKEN (as the server has it) or pass --token")
    aes_key = aes_key or cfg.get("WECHAT_ENCODING_AES_KEY")
    appid = appid or cfg.get("WECHAT_APP_ID")
    if aes and not (aes_key and appid):
        raise click.ClickException(
            "--aes needs WECHAT_ENCODING_AES_KEY and WECHAT_APP_ID (or --aes-key and --appid)"
        )
    openid = openid or random_openid()
    simulator = Simulator(
        url,
        token=token,
        openid=openid,
        aes_key=aes_key if aes else None,
        appid=appid,
        account=account,
        retry=retry,
        timeout=timeout,
        echo=click.echo,
    )
    click.echo(f"prospect {openid} -> {url}{' (safe mode)' if aes else ''}")
    try:
        if script is None:
            simulator.interact(prompt=sys.stdin.isatty())
            return
        with open(script, encoding="utf-8") as lines:
            failures = simulator.run_lines(lines, stop_on_error=True)
    finally:
        simulator.close()
    if failures:
        raise click.ClickException(f"{script}: stopped at the error above")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())


@main.command("backup")
@click.argument("target", required=False, type=click.Path(dir_okay=False, path_type=Path))
@with_appcontext
def backup_command(target: Path | None) -> None:
    """Write the database and the uploaded files to one .tar.gz (default: in this folder)."""
    from app.core.backup import BackupError, create_backup

    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%d-%H%M%S")
    target = target or Path(f"parklead-backup-{stamp}.tar.gz")
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    click.echo(f"backing up {_safe_url(app.config['DATABASE_URL'])}")
    try:
        create_backup(app, target, click.echo)
    except (BackupError, SQLAlchemyError) as exc:
        raise click.ClickException(str(exc)) from None


@main.command("restore")
@click.argument("source", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Replace a database that already has tables.")
@with_appcontext
def restore_command(source: Path, force: bool) -> None:
    """Restore a `parklead backup` archive into DATABASE_URL and the instance folder."""
    from app.core.backup import BackupError, restore_backup

    app = current_app._get_current_object()  # type: ignore[attr-defined]
    click.echo(f"restoring {source} into {_safe_url(app.config['DATABASE_URL'])}")
    try:
        restore_backup(app, source, click.echo, force=force)
    except (BackupError, SQLAlchemyError, tarfile.TarError) as exc:
        raise click.ClickException(str(exc)) from None
