"""groups.*: the community, its Bots Long Poll and Callback API settings; users.get."""

from __future__ import annotations

from typing import Any

from sandbox.vk.dispatch import Call, Handler
from sandbox.vk.errors import ACCESS, VkError, param_error
from sandbox.vk.events import EVENT_TYPES


def _own_group(call: Call) -> int:
    """The group_id of the call, which must be the emulated community."""
    group_id = call.values["group_id"]
    if group_id != call.world.knobs.group_id:
        raise VkError(ACCESS, "no access to this community")
    return int(group_id)


def get_by_id(call: Call) -> dict[str, Any]:
    knobs = call.world.knobs
    asked = list(call.values.get("group_ids", []))
    if "group_id" in call.values:
        asked.append(call.values["group_id"])
    if call.token.kind != "group" and not asked:
        raise param_error("group_ids is undefined")
    ours = {str(knobs.group_id), knobs.group_screen_name, f"club{knobs.group_id}"}
    if any(str(group) not in ours for group in asked):
        raise param_error("group_ids is invalid: the sandbox has one community")
    group = {
        "id": knobs.group_id,
        "name": knobs.group_name,
        "screen_name": knobs.group_screen_name,
        "is_closed": 0,
        "type": "group",
        "photo_50": f"{call.world.base_url}/files/group/50.png",
        "photo_100": f"{call.world.base_url}/files/group/100.png",
        "photo_200": f"{call.world.base_url}/files/group/200.png",
    }
    return {"groups": [group], "profiles": []}


def get_long_poll_server(call: Call) -> dict[str, str]:
    group_id = _own_group(call)
    world = call.world
    if not world.longpoll.enabled:
        raise param_error("Bots Long Poll is disabled in the community settings")
    return world.longpoll.issue(f"{world.base_url}/lp/{group_id}")


def _event_flags(values: dict[str, Any]) -> dict[str, bool]:
    return {name: bool(values[name]) for name in EVENT_TYPES if name in values}


def set_long_poll_settings(call: Call) -> int:
    _own_group(call)
    longpoll, values = call.world.longpoll, call.values
    if "enabled" in values:
        longpoll.enabled = bool(values["enabled"])
    if "api_version" in values:
        longpoll.api_version = values["api_version"]
    for name, on in _event_flags(values).items():
        (longpoll.event_types.add if on else longpoll.event_types.discard)(name)
    return 1


def add_callback_server(call: Call) -> dict[str, int]:
    _own_group(call)
    values = call.values
    # As on VK, a new server receives no events until groups.setCallbackSettings.
    server = call.world.callbacks.add(
        values["url"], values["title"], values.get("secret_key", ""), set()
    )
    return {"server_id": server.server_id}


def set_callback_settings(call: Call) -> int:
    _own_group(call)
    values = call.values
    server = call.world.callbacks.servers.get(values.get("server_id", 0))
    if server is None:
        raise param_error("server_id is invalid")
    if "api_version" in values:
        server.api_version = values["api_version"]
    for name, on in _event_flags(values).items():
        (server.event_types.add if on else server.event_types.discard)(name)
    return 1


def get_callback_confirmation_code(call: Call) -> dict[str, str]:
    _own_group(call)
    return {"code": call.world.callbacks.confirmation}


def get_callback_servers(call: Call) -> dict[str, Any]:
    _own_group(call)
    wanted = set(call.values.get("server_ids", []))
    servers = call.world.callbacks.servers.values()
    creator = call.world.knobs.admin_user_id
    items = [s.as_vk(creator) for s in servers if not wanted or s.server_id in wanted]
    return {"count": len(items), "items": items}


def users_get(call: Call) -> list[dict[str, Any]]:
    """The members asked for; ids the sandbox does not know are left out, as VK does."""
    asked = call.values.get("user_ids", [])
    if not asked:
        if call.token.kind == "group":
            raise param_error("user_ids is undefined")
        asked = [call.token.owner_id]
    found = []
    for raw in asked:
        text = str(raw).removeprefix("id")
        member = call.world.members.get(int(text)) if text.isdigit() else None
        if member is None:
            continue
        user: dict[str, Any] = {
            "id": member.user_id,
            "first_name": member.first_name,
            "last_name": member.last_name,
            "can_access_closed": True,
            "is_closed": False,
        }
        if member.deleted:
            user["deactivated"] = "deleted"
        found.append(user)
    return found


METHODS: dict[str, Handler] = {
    "users.get": users_get,
    "groups.getById": get_by_id,
    "groups.getLongPollServer": get_long_poll_server,
    "groups.setLongPollSettings": set_long_poll_settings,
    "groups.addCallbackServer": add_callback_server,
    "groups.setCallbackSettings": set_callback_settings,
    "groups.getCallbackConfirmationCode": get_callback_confirmation_code,
    "groups.getCallbackServers": get_callback_servers,
}
