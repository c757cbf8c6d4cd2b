"""One typed settings object, read from the environment with the ``CBEC_`` prefix.

No other module reads ``os.environ``; everything asks ``get_settings()``.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

_PLACEHOLDER_SECRETS = {"", "change-me", "dev-secret-change-me"}


def _project_root() -> Path:
    # src/cbec/config.py -> project root (where ../shared sits beside a checkout)
    return Path(__file__).resolve().parents[2]


def default_shared_dir() -> Path:
    return _project_root().parent / "shared"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CBEC_", extra="ignore")

    #: everything the platform keeps (database, inbox blobs, message folders, logs)
    data_dir: Path = Path("cbec-data")
    #: SQLAlchemy URL; default: a SQLite file in WAL mode inside the data directory
    database_url: str = ""
    #: folder of the official CEB XSDs (never copied into the repo)
    ceb_schema_dir: Path | None = None
    #: shared reference folder (data sets, reference docs) for demos
    shared_dir: Path | None = None
    #: folder of the customs code tables (default: <shared>/reference/codes; see cbec.kit.codes)
    code_list_dir: Path | None = None
    #: exchange rates to CNY for currencies without a customs code (see cbec.kit.fx); none by default
    fx_rates_file: Path | None = None
    #: PEM private key and certificate of the transmitting enterprise, for the software signer
    #: (sandbox, tests, pilots); production signs through a UKey/HSM bridge (docs/customs-messages.md)
    signing_key: Path | None = None
    signing_cert: Path | None = None
    #: the zone operator's thresholds of the risk rules (the shape of cbec/risk/data/thresholds.json)
    risk_thresholds: Path | None = None
    #: the zone operator's risk lanes (rates, criteria, secret: the shape of cbec/risk/data/lanes.toml)
    risk_lanes: Path | None = None
    #: the full retail import positive list (the shape of cbec/risk/data/positive_list.csv)
    risk_positive_list: Path | None = None
    #: the key of the encrypted retention archive of erased buyers (docs/privacy.md); a file
    #: outside the data directory, kept apart from the database and its backups. Not set: in
    #: development ``<data dir>-retention.key`` beside the data directory, made on first use;
    #: elsewhere erasure refuses to run without it
    retention_key_file: Path | None = None
    environment: str = "development"
    #: web: hours a sign-in lasts; cookies marked Secure (set true behind HTTPS)
    session_hours: float = 12.0
    cookie_secure: bool = False
    #: web: API requests each key may make per minute (token bucket, burst = a tenth of a minute)
    api_rate_per_minute: int = 1200
    #: logistics: a parcel with no tracking event for this many hours (and not delivered) is
    #: stalled; a released parcel no carrier reported this many hours after release is flagged
    stalled_hours: float = 72.0
    unseen_hours: float = 48.0
    #: folder holding the npm packages of the web UI (htmx.org, echarts), installed by scripts/setup
    web_assets_dir: Path | None = None
    #: webhooks (docs/sharing.md): retry schedule, in seconds: the n-th retry waits between half
    #: and all of min(cap, base·2ⁿ⁻¹) (jitter); after ``webhook_max_attempts`` a delivery is a dead letter
    webhook_retry_base_seconds: float = 30.0
    webhook_retry_cap_seconds: float = 6 * 3600.0
    webhook_max_attempts: int = 12
    #: seconds a receiver has to answer one delivery; deliveries posted at once by one dispatch pass
    webhook_timeout_seconds: float = 10.0
    webhook_concurrency: int = 8
    #: allow ``http://127.0.0.1`` / ``localhost`` receivers (tests, a local demo); never in production
    webhook_allow_loopback: bool = False
    #: allow receivers on private networks (a zone's own partners behind its firewall); https still
    webhook_allow_private: bool = False
    #: customs messages: the share of built declarations also validated against the official XSD
    #: (by their guid, so the same message is always in or out of the sample). Every field is
    #: checked by the codec against the XSD's facets either way (length, digits, fixed values,
    #: required; docs/customs-messages.md); the sample guards against the codec drifting from the
    #: schema. ``strict_xsd`` (CBEC_STRICT_XSD=1, and the tests) validates every message
    xsd_sample: float = Field(default=0.05, ge=0.0, le=1.0)
    strict_xsd: bool = False
    secret_key: str = "dev-secret-change-me"  # noqa: S105 - refused outside development (below)

    @field_validator("data_dir")
    @classmethod
    def _absolute(cls, v: Path) -> Path:
        return v.expanduser().resolve()

    @model_validator(mode="after")
    def _defaults(self) -> Settings:
        if not self.database_url:
            self.database_url = f"sqlite:///{self.data_dir / 'cbec.db'}"
        if self.shared_dir is None and default_shared_dir().exists():
            self.shared_dir = default_shared_dir()
        if self.ceb_schema_dir is None and self.shared_dir is not None:
            candidate = self.shared_dir / "reference" / "ceb" / "xsd"
            if candidate.exists():
                self.ceb_schema_dir = candidate
        if self.web_assets_dir is None:
            self.web_assets_dir = _project_root() / "node_modules"
        if self.environment != "development" and self.secret_key in _PLACEHOLDER_SECRETS:
            raise ValueError("CBEC_SECRET_KEY must be set to a real secret outside development")
        return self

    @property
    def xsd_check_share(self) -> float:
        """The share of declarations validated against the XSD as they are built."""
        return 1.0 if self.strict_xsd else self.xsd_sample

    @property
    def inbox_dir(self) -> Path:
        return self.data_dir / "inbox"

    @property
    def online_retail_path(self) -> Path | None:
        if self.shared_dir is None:
            return None
        p = self.shared_dir / "data" / "online-retail.parquet"
        return p if p.exists() else None


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()


def reset_settings() -> None:
    """Forget cached settings (CLI --data-dir, tests)."""
    get_settings.cache_clear()
