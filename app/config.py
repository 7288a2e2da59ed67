"""One settings object, read from the environment (and an optional .env file)."""

from pathlib import Path
from typing import Literal

from pydantic import model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEV_SECRET = "dev-only-not-secret-change-me"
ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    environment: Literal["development", "production", "test"] = "development"
    database_url: str = f"sqlite:///{ROOT / 'data' / 'saalumfrage.db'}"
    bus_url: str = "memory://"
    # Channel prefix on Redis, so several deployments (or test runs) can share one server.
    bus_prefix: str = "saalumfrage:"
    secret_key: str = DEV_SECRET
    # Public base URL used in the QR code, e.g. https://umfrage.landkreis.example;
    # empty: derived from the request the projector page was loaded with.
    public_url: str = ""
    auto_migrate: bool = True
    # Vote writer: how long it waits to gather a batch, and the largest batch.
    vote_batch_ms: float = 5.0
    vote_batch_max: int = 2000
    # How often changed tallies are pushed to projector and moderator.
    tally_interval_ms: float = 150.0
    # Help desk (#18): how long a tablet ballot a helper unlocked stays valid (the tablet warns 30 s before).
    ballot_ttl_s: float = 120.0
    # A moderator stays logged in through a long conference day (WCAG 2.2.1: no surprise time-outs).
    session_max_age_s: int = 24 * 3600
    # Where the operator publishes its accessibility statement (docs/accessibility.md is a draft); linked on every page.
    accessibility_url: str = ""
    default_locale: str = "de"
    # DSGVO: `saalumfrage retention` deletes single answers and device ids of events older than this many
    # days (by the event's date, else when it was created); the aggregated results stay.
    retention_days: int = 90
    # New device ids per event (phones joining without a cookie): a burst for a hall filling up, then a steady
    # rate; a request waits at most NEW_DEVICES_MAX_WAIT_S for its turn, beyond that it is asked to reload.
    # Per event, never per address: a whole hall may share one. Reasoning in docs/security.md.
    new_devices_burst: int = 400
    new_devices_per_s: float = 4.0
    new_devices_max_wait_s: float = 5.0
    # A request's head (request line and headers) must arrive within this many seconds of its first byte, else
    # the connection is closed (app/server.py): a client holding connections open with partial headers gets nowhere.
    header_timeout_s: float = 10.0
    # Results and reports: the time zone events are held in (the "Stand 19:42" of an interim result), who
    # asked (the method note's first line; empty: the event's owner is not named, only the event), and the
    # licence line of every export.
    timezone: str = "Europe/Berlin"
    report_organisation: str = ""
    report_licence: str = "Datenlizenz Deutschland – Namensnennung – Version 2.0"

    @model_validator(mode="after")
    def _refuse_placeholder_secret(self) -> "Settings":
        if self.environment == "production" and (self.secret_key == DEV_SECRET or len(self.secret_key) < 32):
            raise ValueError(
                "SECRET_KEY muss in Produktion gesetzt sein (mindestens 32 Zeichen). "
                "SECRET_KEY must be set in production (at least 32 characters)."
            )
        return self


settings = Settings()
