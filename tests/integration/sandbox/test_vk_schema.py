"""The VK schema preprocessing and parameter validation, without a server."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sandbox.vk.errors import VkError
from sandbox.vk.schema import method_spec
from sandbox.vk.validate import validate

SPECS = Path(__file__).resolve().parents[3] / "sandbox" / "specs" / "vk"


def test_every_method_of_the_schema_is_understood() -> None:
    names = [
        method["name"]
        for methods in sorted(SPECS.glob("*/methods.json"))
        for method in json.loads(methods.read_text(encoding="utf-8"))["methods"]
    ]

    specs = [method_spec(name) for name in names]

    assert len(names) > 500
    assert all(spec is not None for spec in specs)
    assert method_spec("messages.noSuchMethod") is None
    assert method_spec("../errors") is None


def test_refs_bring_their_enums_and_arrays_are_comma_joined() -> None:
    get_by_id = method_spec("groups.getById")
    assert get_by_id is not None

    values = validate(get_by_id, {"group_ids": "1,rupor", "fields": "name,screen_name"})

    assert values == {"group_ids": ["1", "rupor"], "fields": ["name", "screen_name"]}
    with pytest.raises(VkError, match="fields should be one of"):
        validate(get_by_id, {"fields": "name,shoe_size"})


@pytest.mark.parametrize(
    ("params", "detail"),
    [
        ({"peer_id": "1", "random_id": "1", "dont_parse_links": "yes"}, "should be 0 or 1"),
        ({"peer_id": "1.5"}, "peer_id not integer"),
        ({"chat_id": "100000001"}, "chat_id should be not more than 100000000"),
        ({"payload": "x" * 1001}, "payload is too long (at most 1000 characters)"),
        ({"v": "5.199", "lang": "ru", "test_mode": "1"}, "test_mode is unknown"),
    ],
)
def test_values_are_checked_against_the_schema(params: dict[str, str], detail: str) -> None:
    send = method_spec("messages.send")
    assert send is not None

    with pytest.raises(VkError) as refused:
        validate(send, params)

    assert refused.value.code == 100
    assert refused.value.message.endswith(detail)
