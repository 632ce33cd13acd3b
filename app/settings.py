"""One settings object for the whole platform, read from `PVB_*` environment variables."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_SECRET = "change-me-in-production"  # noqa: S105 - a marker that production refuses


class Settings(BaseSettings):
    """Validated at start-up; tests build their own instead of patching globals."""

    model_config = SettingsConfigDict(env_prefix="PVB_", env_file=".env", extra="ignore")

    environment: Literal["development", "test", "production"] = "development"
    store: str = Field(
        default="var/store",
        validation_alias=AliasChoices("PVB_STORE", "PVB_STORE_PATH", "store"),
        description="A directory (embedded Oxigraph) or an http(s) SPARQL query URL (remote store).",
    )
    update_url: str | None = Field(default=None, description="SPARQL Update URL of a remote store.")
    graph_store_url: str | None = Field(default=None, description="Graph Store Protocol URL of a remote store.")
    store_user: str | None = None
    store_password: str | None = None
    store_timeout: float = Field(default=10.0, gt=0, description="Seconds before a store call gives up.")
    base_iri: str = Field(default="http://localhost:8000/", description="Base of every minted resource IRI.")
    load_sample_data: bool = Field(default=True, description="Load data/ into an empty store at start-up.")
    warm_places: int = Field(default=200_000, ge=0, description=(
        "Places whose descriptions (labels, types, dataset counts) a worker reads into memory in the background "
        "after start, so nearby pages are served from memory at once; the rest are read on first use."))
    secret_key: str = DEFAULT_SECRET
    access_token_minutes: int = Field(default=720, gt=0, description="Lifetime of an access token.")
    login_window_seconds: int = Field(default=900, gt=0, description="Window for counting failed logins.")
    login_failures_per_account: int = Field(default=10, gt=0, description="Failed logins per username per window.")
    login_failures_per_address: int = Field(default=50, gt=0, description="Failed logins per client address.")
    nearby_default_radius: float = 1000.0
    nearby_max_radius: float = 50000.0
    page_max_limit: int = 100
    max_body_bytes: int = Field(default=1024 * 1024, gt=0, description="Largest request body (JSON, forms).")
    max_upload_bytes: int = Field(default=512 * 1024 * 1024, gt=0, description="Largest dataset upload.")
    log_level: str = "info"
    sparql_timeout: float = Field(default=10.0, gt=0, description="Seconds a public SPARQL query may run.")
    sparql_max_rows: int = Field(default=100_000, gt=0, description="Most rows/triples a SPARQL query returns.")
    sparql_max_concurrent: int = Field(default=4, gt=0, description="User SPARQL queries running at once.")
    sparql_service_allowlist: str = Field(
        default="", description="Space- or comma-separated endpoint IRIs a query may name in SERVICE.")
    annotation_max_bytes: int = Field(default=16 * 1024, gt=0, description="Largest annotation document (413).")
    annotation_max_text: int = Field(default=5000, gt=0, description="Longest text body, in characters (413).")
    annotation_page_size: int = Field(default=20, gt=0, le=1000, description="Annotations per container page.")
    rate_window_seconds: int = Field(default=60, gt=0, description="Window of the contribution rate limits.")
    rate_per_account: int = Field(default=30, gt=0, description="Contributions per account per window (429).")
    rate_per_address: int = Field(default=120, gt=0, description="Contributions per client address per window.")
    duplicate_window_seconds: int = Field(default=86400, ge=0, description="Same text again within this: 409.")
    spam_max_links: int = Field(default=3, ge=0, description="More links than this in a text: held for review.")
    hold_first_posts: int = Field(default=0, ge=0, description="Hold a new visitor's first N posts for review.")
    flags_to_hide: int = Field(default=3, gt=0, description="Flags by different people that hide an annotation.")
    cors_origins: list[str] = Field(default=["*"], description="Origins allowed by CORS (no credentials).")
    tile_url: str | None = Field(
        default=None, description="Map tile URL template for the web pages, e.g. "
        "https://tile.openstreetmap.org/{z}/{x}/{y}.png; none: a plain map background with the place markers.")
    tile_attribution: str = Field(default="", description="Attribution text shown with the map tiles.")
    log_format: Literal["json", "text"] = Field(default="json", description="json: one object a line, with request ids")

    @field_validator("base_iri")
    @classmethod
    def _base_ends_with_slash(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("base_iri must be an http(s) IRI")
        return value if value.endswith("/") else value + "/"

    @model_validator(mode="after")
    def _no_default_secret_in_production(self) -> Settings:
        if self.environment == "production" and self.secret_key == DEFAULT_SECRET:
            raise ValueError("PVB_SECRET_KEY must be set to a real secret in production")
        return self

    @property
    def service_allowlist(self) -> frozenset[str]:
        return frozenset(v for v in self.sparql_service_allowlist.replace(",", " ").split() if v)

    @property
    def store_is_remote(self) -> bool:
        return self.store.startswith(("http://", "https://"))

    @property
    def store_path(self) -> Path:
        return Path(self.store)
