"""Segment expressions: who a campaign goes to.

`all`, or terms `org:PATH` (an organisation and its subtree, by full path or code),
`role:NAME`, `tag:NAME`, `channel:NAME`, split as a shell splits words. Terms of one kind
are OR-ed, kinds are AND-ed. Errors are Russian: the press secretary reads them in chat.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Select, distinct, exists, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.audience.directory import find_organization, normalize_tag, organizations_named
from core.audience.roles import RUSSIAN_NAMES, parse_role, role_names
from core.storage.models import Contact, Organization, Person, PersonTag

ALL_WORDS = frozenset({"all", "все", "всем"})
KIND_ALIASES = {
    "org": "org", "орг": "org", "организация": "org",
    "role": "role", "роль": "role",
    "tag": "tag", "тег": "tag", "метка": "tag",
    "channel": "channel", "канал": "channel",
}
CHANNEL_RE = re.compile(r"^[a-z][a-z0-9_]{0,15}$")
QUOTE_EXAMPLE = 'org:"Пермская краевая организация/Ленинский район"'
EXAMPLES = {
    "org": QUOTE_EXAMPLE,
    "role": 'role:young_teacher или role:"молодой педагог"',
    "tag": "tag:наставник",
    "channel": "channel:telegram",
}
HOW_TO = (
    "Напишите all — всем, или условия вида org:…, role:…, tag:…, channel:…, например: "
    f"{QUOTE_EXAMPLE} role:young_teacher"
)


class SegmentError(ValueError):
    """A segment that cannot be used; the message (Russian) says what to type instead."""


@dataclass(frozen=True)
class Segment:
    """A parsed expression; empty everywhere means everybody."""

    orgs: tuple[str, ...] = ()
    roles: int = 0
    tags: tuple[str, ...] = ()
    channels: tuple[str, ...] = ()

    @property
    def is_all(self) -> bool:
        return not (self.orgs or self.roles or self.tags or self.channels)

    def __str__(self) -> str:
        """The canonical expression, parseable again."""
        terms = [f"org:{org}" for org in self.orgs]
        terms += [f"role:{name}" for name in role_names(self.roles)]
        terms += [f"tag:{tag}" for tag in self.tags]
        terms += [f"channel:{channel}" for channel in self.channels]
        return shlex.join(terms) if terms else "all"


@dataclass(frozen=True)
class ResolvedSegment:
    """A segment whose organisations are tree-path prefixes ("/1/4/")."""

    segment: Segment
    org_prefixes: tuple[str, ...] = ()


@dataclass(frozen=True)
class SegmentCount:
    members: int
    reachable: dict[str, int] = field(default_factory=dict)  # per channel: active contact
    reachable_any: int = 0
    unreachable: int = 0  # no active contact on any of the channels counted


def _roles_help() -> str:
    return ", ".join(f"{role.name.lower()} ({ru})" for role, ru in RUSSIAN_NAMES.items()
                     if role.name is not None)


def _split(expr: str) -> list[str]:
    try:
        return shlex.split(expr)
    except ValueError:
        raise SegmentError(
            f"Не закрыта кавычка в «{expr.strip()}». Значение с пробелами берите в кавычки "
            f"целиком: {QUOTE_EXAMPLE}"
        ) from None


def _bare_word(word: str, after_term: bool) -> SegmentError:
    hint = (
        f" Если это часть названия с пробелами, возьмите значение в кавычки: {QUOTE_EXAMPLE}"
        if after_term else ""
    )
    return SegmentError(f"Не понимаю «{word}».{hint} {HOW_TO}")


def _parse_role(value: str) -> int:
    # parse_role tries spaces as underscores too, so "молодой_педагог" works unquoted.
    try:
        return int(parse_role(value.replace("_", " ")))
    except ValueError:
        raise SegmentError(f"Неизвестная роль «{value}». Доступны: {_roles_help()}.") from None


def _parse_channel(value: str) -> str:
    channel = value.strip().lower()
    if not CHANNEL_RE.match(channel):
        raise SegmentError(
            f"Непонятный канал «{value}». Канал пишется латиницей, например channel:telegram."
        )
    return channel


def _term(word: str, after_term: bool) -> tuple[str, str]:
    kind_text, colon, value = word.partition(":")
    if not colon:
        raise _bare_word(word, after_term)
    kind = KIND_ALIASES.get(kind_text.strip().lower())
    if kind is None:
        raise SegmentError(
            f"Неизвестный вид условия «{kind_text}:». Доступны org:, role:, tag: и channel:. "
            f"{HOW_TO}"
        )
    if not value.strip():
        raise SegmentError(f"После «{kind_text}:» нет значения. Например: {EXAMPLES[kind]}.")
    return kind, value.strip()


def parse_segment(expr: str) -> Segment:
    """Parse a segment expression; raise SegmentError (Russian) on bad input."""
    words = _split(expr)
    if not words:
        raise SegmentError(f"Не указано, кому отправлять. {HOW_TO}")
    found: dict[str, list[str]] = {"org": [], "tag": [], "channel": []}
    roles = 0
    for index, word in enumerate(words):
        if word.strip().lower() in ALL_WORDS:
            continue  # "all" next to other terms adds nothing: they narrow it
        kind, value = _term(word, after_term=index > 0)
        if kind == "role":
            roles |= _parse_role(value)
        elif kind == "tag":
            found["tag"].append(normalize_tag(value))
        elif kind == "channel":
            found["channel"].append(_parse_channel(value))
        else:
            found["org"].append(value)
    return Segment(
        orgs=tuple(dict.fromkeys(found["org"])),
        roles=roles,
        tags=tuple(dict.fromkeys(found["tag"])),
        channels=tuple(dict.fromkeys(found["channel"])),
    )


async def _unknown_org(session: AsyncSession, value: str) -> SegmentError:
    last = value.strip().strip("/").split("/")[-1]
    guesses = await organizations_named(session, last)
    hint = ""
    if guesses:
        hint = " Возможно, вы имели в виду: " + "; ".join(f"org:\"{g}\"" for g in guesses) + "."
    return SegmentError(
        f"Организация «{value}» не найдена. Укажите полный путь от региона "
        f"(«Регион/Район/Организация») или код организации.{hint}"
    )


async def resolve_segment(
    session: AsyncSession, segment: Segment, *, known_channels: Sequence[str] | None = None
) -> ResolvedSegment:
    """Turn org terms into tree-path prefixes; unknown organisations (and channels not in
    `known_channels`, when given) raise SegmentError naming them."""
    prefixes: list[str] = []
    for value in segment.orgs:
        org = await find_organization(session, value)
        if org is None:
            raise await _unknown_org(session, value)
        prefixes.append(org.tree_path)
    if known_channels is not None:
        for channel in segment.channels:
            if channel not in known_channels:
                raise SegmentError(
                    f"Неизвестный канал «{channel}». Доступны: {', '.join(known_channels)}."
                )
    # A prefix inside another one adds nobody.
    kept = [p for p in prefixes if not any(p != q and p.startswith(q) for q in prefixes)]
    return ResolvedSegment(segment, tuple(dict.fromkeys(kept)))


def segment_people(resolved: ResolvedSegment) -> Select[Any]:
    """SELECT people.id of the living members in the segment (set-based, for INSERT…SELECT)."""
    segment = resolved.segment
    query = select(Person.id).where(Person.erased_at.is_(None))
    if resolved.org_prefixes:
        # Tree paths are digits and slashes, so LIKE needs no escaping and is case-proof.
        subtree = select(Organization.id).where(
            or_(*(Organization.tree_path.like(prefix + "%") for prefix in resolved.org_prefixes))
        )
        query = query.where(Person.org_id.in_(subtree))
    if segment.roles:
        query = query.where(Person.roles.op("&")(segment.roles) != 0)
    if segment.tags:
        query = query.where(
            exists().where(PersonTag.person_id == Person.id, PersonTag.tag.in_(segment.tags))
        )
    if segment.channels:
        query = query.where(
            exists().where(
                Contact.person_id == Person.id,
                Contact.channel.in_(segment.channels),
                Contact.status == "active",
            )
        )
    return query


async def count_segment(
    session: AsyncSession, resolved: ResolvedSegment, channels: Sequence[str]
) -> SegmentCount:
    """Members in the segment, the people reachable (active contact) per channel, and those
    reachable on none of `channels`."""
    people = segment_people(resolved).subquery()
    members = await session.scalar(select(func.count()).select_from(people)) or 0
    if not channels:
        return SegmentCount(members=members, unreachable=members)
    active = (
        Contact.status == "active",
        Contact.channel.in_(list(channels)),
        Contact.person_id.in_(select(people.c.id)),
    )
    per_channel = await session.execute(
        select(Contact.channel, func.count(distinct(Contact.person_id)))
        .where(*active)
        .group_by(Contact.channel)
    )
    reachable = {channel: 0 for channel in channels}
    reachable.update({channel: count for channel, count in per_channel})
    reachable_any = (
        await session.scalar(select(func.count(distinct(Contact.person_id))).where(*active)) or 0
    )
    return SegmentCount(members, reachable, reachable_any, members - reachable_any)
