"""The whole data model (SQLAlchemy 2, typed). alembic in migrations/ owns the schema.

The deliveries table is both the message queue and the reach ledger. Channel names are
plain strings everywhere: adding a messenger is an adapter, not a schema change.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Dialect,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy import (
    text as sql_text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# SQLite only auto-increments a column declared exactly INTEGER PRIMARY KEY.
BigId = BigInteger().with_variant(Integer(), "sqlite")


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite stores them naive)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use datetime.now(UTC)")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None or value.tzinfo is not None:
            return value
        return value.replace(tzinfo=UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {datetime: UTCDateTime(), dict[str, Any]: JSON(), list[Any]: JSON()}


class Organization(Base):
    """A node of the union tree: region → district → primary organisation (a school)."""

    __tablename__ = "organizations"
    id: Mapped[int] = mapped_column(primary_key=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # region | district | primary | staff
    name: Mapped[str] = mapped_column(String(300))
    code: Mapped[str] = mapped_column(String(32), unique=True)
    # "/1/4/17/": the ids from the root, so a subtree is one indexed prefix match.
    tree_path: Mapped[str] = mapped_column(String(200), index=True)
    full_name: Mapped[str] = mapped_column(String(1000), unique=True)
    timezone: Mapped[str | None] = mapped_column(String(64))


class Person(Base):
    __tablename__ = "people"
    __table_args__ = (
        UniqueConstraint("org_id", "full_name", "member_id_key"),
    )
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    member_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    # member_id, or "" for people identified by full name within their organisation.
    member_id_key: Mapped[str] = mapped_column(String(64), default="")
    full_name: Mapped[str] = mapped_column(String(300))
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    roles: Mapped[int] = mapped_column(Integer, server_default="1")  # core.audience.roles bit set
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    erased_at: Mapped[datetime | None]


class PersonTag(Base):
    __tablename__ = "person_tags"
    person_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("people.id", ondelete="CASCADE"), primary_key=True
    )
    tag: Mapped[str] = mapped_column(String(64), primary_key=True, index=True)


class Contact(Base):
    """One messenger account (or group chat) of a person; only active ones get campaigns."""

    __tablename__ = "contacts"
    __table_args__ = (
        UniqueConstraint("channel", "external_id"),
        Index("ix_contacts_person_channel", "person_id", "channel"),
    )
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    person_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("people.id", ondelete="SET NULL")
    )
    channel: Mapped[str] = mapped_column(String(16))
    external_id: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(8), server_default="user")  # user | group
    # pending (joined, no consent yet) | active | unsubscribed | blocked | unreachable
    status: Mapped[str] = mapped_column(String(16), server_default="pending")
    display_name: Mapped[str | None] = mapped_column(String(300))
    dialog_state: Mapped[dict[str, Any] | None]
    subscribed_at: Mapped[datetime | None]
    last_inbound_at: Mapped[datetime | None]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Consent(Base):
    """Append-only record of consent to personal-data processing (given or withdrawn)."""

    __tablename__ = "consents"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    person_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("people.id"), index=True)
    contact_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("contacts.id"), index=True)
    channel: Mapped[str | None] = mapped_column(String(16))
    text_version: Mapped[str] = mapped_column(String(64))
    # import | dialog | link | start (/start, a start link) | resubscribe_btn | staff
    source: Mapped[str] = mapped_column(String(16))
    action: Mapped[str] = mapped_column(String(12), server_default="given")  # given | withdrawn
    given_at: Mapped[datetime] = mapped_column(default=utcnow)


class Campaign(Base):
    __tablename__ = "campaigns"
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(12))  # post | leaflet | poll | digest
    title: Mapped[str] = mapped_column(String(300))
    content: Mapped[dict[str, Any]]
    audience: Mapped[str] = mapped_column(Text, server_default="all")  # segment expression
    channels: Mapped[list[Any] | None]  # None: every configured channel
    routing: Mapped[str] = mapped_column(String(12), server_default="all")  # all | failover
    run_at: Mapped[datetime | None]
    cron: Mapped[str | None] = mapped_column(String(120))
    timezone: Mapped[str | None] = mapped_column(String(64))
    quiet_hours: Mapped[str | None] = mapped_column(String(16))
    lateness_limit_s: Mapped[int | None]
    # draft | scheduled | running | paused | done | cancelled
    status: Mapped[str] = mapped_column(String(12), server_default="draft", index=True)
    created_by: Mapped[str | None] = mapped_column(String(120))
    approved_by: Mapped[str | None] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class CampaignRun(Base):
    __tablename__ = "campaign_runs"
    __table_args__ = (UniqueConstraint("campaign_id", "scheduled_for"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"))
    scheduled_for: Mapped[datetime]
    # materialising | sending | done | cancelled | missed | held
    status: Mapped[str] = mapped_column(String(16), server_default="materialising", index=True)
    channels: Mapped[list[Any]]  # the channels configured when the run started
    # How far materialising got (the last person id done), so a crash resumes it.
    materialised_upto: Mapped[int] = mapped_column(BigInteger, server_default="0")
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    # The staff chat was told the run finished (core.staff.news): claimed once.
    staff_told_at: Mapped[datetime | None]


class Delivery(Base):
    """The queue and the reach ledger: one row per (run, contact)."""

    __tablename__ = "deliveries"
    __table_args__ = (
        UniqueConstraint("run_id", "contact_id"),
        # The claim query: pending rows of one channel that are due, oldest first; a
        # partial index stays as small as the backlog, not the history.
        Index(
            "ix_deliveries_claim", "channel", "next_attempt_at", "run_id",
            sqlite_where=sql_text("status = 'pending'"),
            postgresql_where=sql_text("status = 'pending'"),
        ),
        Index(
            "ix_deliveries_leases", "channel", "lease_until", "run_id",
            sqlite_where=sql_text("status = 'claimed'"),
            postgresql_where=sql_text("status = 'claimed'"),
        ),
        # Receipts match (contact, platform message id) among the contact's few deliveries;
        # a contact leaving cancels its pending rows. Not on platform_message_id: recording
        # results would then rewrite this index for every delivery.
        Index("ix_deliveries_contact", "contact_id"),
    )
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("campaign_runs.id"))
    person_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("people.id"))
    contact_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("contacts.id"))
    channel: Mapped[str | None] = mapped_column(String(16))
    # The contact's platform id, copied when the run is materialised so that claiming a
    # wave needs no second query (platform ids never change for a contact).
    recipient: Mapped[str | None] = mapped_column(String(64))
    # pending | claimed | sent | delivered | read | failed | blocked | unsubscribed
    # | uncertain | cancelled | skipped (unreachable: no active contact on a configured channel)
    status: Mapped[str] = mapped_column(String(12), server_default="pending")
    attempts: Mapped[int] = mapped_column(Integer, server_default="0")
    sender_id: Mapped[int | None] = mapped_column(Integer)
    lease_until: Mapped[float | None]  # epoch seconds: compared on every claim
    next_attempt_at: Mapped[float] = mapped_column(server_default="0")  # epoch seconds
    platform_message_id: Mapped[str | None] = mapped_column(String(64))
    error: Mapped[str | None] = mapped_column(Text)
    was_uncertain: Mapped[bool] = mapped_column(Boolean, server_default=sql_text("false"))
    updated_at: Mapped[float | None]  # epoch seconds


class Sender(Base):
    """A live sender task; leases name their sender so dead ones are recovered at start."""

    __tablename__ = "senders"
    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    hostname: Mapped[str] = mapped_column(String(255))
    pid: Mapped[int]
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    heartbeat_at: Mapped[float]  # epoch seconds
    stopped: Mapped[bool] = mapped_column(Boolean, server_default=sql_text("false"))


class Media(Base):
    """A leaflet file, kept in the database so every process and node can serve it."""

    __tablename__ = "media"
    id: Mapped[int] = mapped_column(primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    filename: Mapped[str] = mapped_column(String(255))
    mime: Mapped[str] = mapped_column(String(100))
    size: Mapped[int]
    content: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class MediaRef(Base):
    """A channel's reusable handle for a media file: TG file_id, VK doc…, Viber URL."""

    __tablename__ = "media_refs"
    media_id: Mapped[int] = mapped_column(ForeignKey("media.id"), primary_key=True)
    channel: Mapped[str] = mapped_column(String(16), primary_key=True)
    ref: Mapped[str] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Inbound(Base):
    """Every authenticated update, de-duplicated by its platform id; also the feedback inbox."""

    __tablename__ = "inbound"
    __table_args__ = (
        UniqueConstraint("channel", "platform_event_id"),
        Index("ix_inbound_unhandled", "handled_at", "id"),
    )
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    platform_event_id: Mapped[str] = mapped_column(String(100))
    contact_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("contacts.id"), index=True)
    kind: Mapped[str] = mapped_column(String(24))
    text: Mapped[str | None] = mapped_column(Text)
    event: Mapped[dict[str, Any]]  # the translated event, for handling after a restart
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    handled_at: Mapped[datetime | None]
    is_feedback: Mapped[bool] = mapped_column(Boolean, server_default=sql_text("false"))
    staff_message_ref: Mapped[str | None] = mapped_column(String(100))
    answered_by: Mapped[str | None] = mapped_column(String(120))
    answered_at: Mapped[datetime | None]


class Reply(Base):
    """A message to one member outside campaigns (dialogue answers); paced like broadcasts."""

    __tablename__ = "replies"
    __table_args__ = (
        Index(
            "ix_replies_due", "channel", "next_attempt_at",
            sqlite_where=sql_text("status = 'pending'"),
            postgresql_where=sql_text("status = 'pending'"),
        ),
        # Ids are never reused: a reply's platform key (VK random_id) is made from its id,
        # and erasing a member deletes the replies to them (migration 0009).
        {"sqlite_autoincrement": True},
    )
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    contact_id: Mapped[int] = mapped_column(BigId, ForeignKey("contacts.id"))
    content: Mapped[dict[str, Any]]
    status: Mapped[str] = mapped_column(String(12), server_default="pending")
    attempts: Mapped[int] = mapped_column(Integer, server_default="0")
    next_attempt_at: Mapped[float] = mapped_column(server_default="0")
    inbound_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("inbound.id"))
    platform_message_id: Mapped[str | None] = mapped_column(String(64))
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class LinkCode(Base):
    """A one-time code that links a second messenger account to a person."""

    __tablename__ = "link_codes"
    code: Mapped[str] = mapped_column(String(16), primary_key=True)
    person_id: Mapped[int] = mapped_column(BigId, ForeignKey("people.id"))
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]


class KeyValue(Base):
    """Small durable state: polling offsets (TG update offset, VK ts), schema facts."""

    __tablename__ = "state"
    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class Audit(Base):
    """What was done, by whom, from which messenger (None: the command line) and how it
    ended; written by core.access.audit."""

    __tablename__ = "audit"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(120))
    action: Mapped[str] = mapped_column(String(60))
    details: Mapped[dict[str, Any] | None]
    channel: Mapped[str | None] = mapped_column(String(16))
    result: Mapped[str] = mapped_column(String(8), server_default="ok")  # ok | refused | failed


class AdminGrant(Base):
    """A role (admin | press | staff) held by one messenger account; read afresh for every
    command and button press (core.access)."""

    __tablename__ = "admin_grants"
    __table_args__ = (UniqueConstraint("channel", "external_id", "role"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    external_id: Mapped[str] = mapped_column(String(64))
    role: Mapped[str] = mapped_column(String(8))
    granted_by: Mapped[str] = mapped_column(String(120))
    granted_at: Mapped[datetime] = mapped_column(default=utcnow)
