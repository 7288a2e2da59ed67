"""`saalumfrage serve | demo | create-admin | migrate`."""

import argparse
import getpass
import os
import socket
import sys

from app.config import settings


def _lan_address() -> str | None:
    """The address phones in the same Wi-Fi would use (no packet is sent)."""
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.connect(("192.0.2.1", 9))  # TEST-NET address: only picks the outgoing interface
            return s.getsockname()[0]
    except OSError:
        return None


def _base_url(host: str, port: int) -> str:
    if settings.public_url:
        return settings.public_url.rstrip("/")
    if host in ("0.0.0.0", "::"):
        host = _lan_address() or "127.0.0.1"
    return f"http://{host}:{port}"


def cmd_migrate(_args: argparse.Namespace) -> int:
    from app.db import migrate

    migrate(settings.database_url)
    print("Datenbank ist auf dem neuesten Stand.")
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from app import demo
    from app.db import migrate, new_session

    migrate(settings.database_url)
    with_votes = getattr(args, "with_votes", False)
    with new_session() as session:
        event = demo.seed(session, with_votes=with_votes)
        pages = demo.public_pages(session, event) if with_votes else []
    base = _base_url(getattr(args, "host", "127.0.0.1"), getattr(args, "port", 8000))
    series = [f"  Reihe:       {base}/moderator/series/{event.series_id}   (Döbeln, Frankenberg, Freiberg mit Stimmen)"] \
        if with_votes and event.series_id else []
    series += [f"  Öffentlich:  {base}{path}" for path in pages]
    print(
        "\n".join(
            [
                "",
                "Saalumfrage – Demo „" + event.title + "“",
                f"  Moderation:  {base}/moderator/events/{event.id}",
                f"               Benutzer „{demo.DEMO_USER}“, Passwort „{demo.DEMO_PASSWORD}“",
                f"  Beamer:      {base}/p/{event.projector_token}",
                f"  Teilnehmen:  {base}/j/{event.join_code}   (oder {base}/ und Code {event.join_code})",
                *series,
                "",
            ]
        ),
        flush=True,
    )
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from app.server import APP, use_draining_server, uvicorn_options

    if args.workers > 1 and settings.bus_url.startswith("memory://"):
        print(
            "Fehler: Mit mehreren Workern (--workers "
            f"{args.workers}) braucht Saalumfrage einen gemeinsamen Bus, sonst sieht ein Teil der Handys die Frage nicht.\n"
            "  Redis starten und BUS_URL=redis://127.0.0.1:6379/0 setzen, oder mit --workers 1 starten.\n"
            "Error: several workers need a shared bus: set BUS_URL=redis://… or use --workers 1.",
            file=sys.stderr,
        )
        return 2
    use_draining_server()  # a stop answers the requests that already arrived (app/server.py)
    if args.demo:
        cmd_demo(args)
    else:
        cmd_migrate(args)
    os.environ["AUTO_MIGRATE"] = "false"  # done once here, not by every worker
    settings.auto_migrate = False
    uvicorn.run(APP, **uvicorn_options(host=args.host, port=args.port, workers=args.workers))
    return 0


def cmd_create_admin(args: argparse.Namespace) -> int:
    from app import auth
    from app.db import migrate, new_session
    from app.domain import access
    from app.domain.errors import DomainError

    migrate(settings.database_url)
    password = args.password or os.environ.get("SAALUMFRAGE_PASSWORD") or getpass.getpass("Passwort: ")
    try:
        with new_session() as session, access.audited(session=session, event_id=None, user=None, action="create-account",
                                                      detail=f"{args.username[:80]} (Admin, Kommandozeile)"):
            auth.create_user(session=session, username=args.username, password=password, is_admin=True, commit=False)
    except DomainError as exc:
        print("Fehler: " + exc.message.format(**exc.params), file=sys.stderr)
        return 1
    print(f"Konto „{args.username}“ angelegt.")
    return 0


def cmd_retention(args: argparse.Namespace) -> int:
    """Delete single answers and device ids of old events; their aggregated results stay (DSGVO)."""
    from app.db import migrate, new_session
    from app.domain.retention import apply_retention, old_events

    migrate(settings.database_url)
    days = args.days if args.days is not None else settings.retention_days
    if days < 1:
        print("Fehler: --days muss mindestens 1 sein.", file=sys.stderr)
        return 2
    with new_session() as session:
        if args.dry_run:
            events = old_events(session=session, days=days)
            print(f"Älter als {days} Tage: {len(events)} Veranstaltung(en). Nichts gelöscht (--dry-run).")
            for event in events:
                print(f"  – {event.title} ({(event.date or event.created_at.date()).strftime('%d.%m.%Y')})")
            return 0
        report = apply_retention(session=session, days=days)
    print(
        f"Aufbewahrungsfrist {days} Tage: {report.answers_deleted} Einzelantworten mit ihren Gerätekennungen gelöscht "
        f"({report.questions} Fragen in {report.events} Veranstaltungen); die Gesamtergebnisse bleiben erhalten."
    )
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="saalumfrage", description="Live-Saalumfragen für Bürgerbeteiligung")
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="App starten")
    serve.add_argument("--host", default="127.0.0.1", help="0.0.0.0, damit Handys im WLAN sie erreichen")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=1)
    serve.add_argument("--demo", action="store_true", help="Demo-Veranstaltung anlegen und Links ausgeben")
    serve.add_argument("--with-votes", action="store_true", help="Demo mit Beispielstimmen")
    serve.set_defaults(func=cmd_serve)

    demo = sub.add_parser("demo", help="Demo-Inhalte anlegen und Links ausgeben")
    demo.add_argument("--with-votes", action="store_true", help="die Reihe Döbeln, Frankenberg, Freiberg mit Beispielstimmen")
    demo.set_defaults(func=cmd_demo)

    admin = sub.add_parser("create-admin", help="Moderationskonto anlegen")
    admin.add_argument("username")
    admin.add_argument("--password", help="sonst Abfrage oder SAALUMFRAGE_PASSWORD")
    admin.set_defaults(func=cmd_create_admin)

    sub.add_parser("migrate", help="Datenbank-Migrationen anwenden").set_defaults(func=cmd_migrate)

    retention = sub.add_parser(
        "retention", help="Einzelantworten alter Veranstaltungen löschen, Gesamtergebnisse behalten (DSGVO)"
    )
    retention.add_argument("--days", type=int, default=None, help="Frist in Tagen (Standard: RETENTION_DAYS, 90)")
    retention.add_argument("--dry-run", action="store_true", help="nur zeigen, welche Veranstaltungen betroffen wären")
    retention.set_defaults(func=cmd_retention)

    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
