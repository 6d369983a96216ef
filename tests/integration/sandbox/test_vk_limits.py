"""The VK emulator's request ceilings and injected faults, met by the real vk_api."""

from __future__ import annotations

import asyncio
import time

import pytest
import requests
from vk_api.exceptions import ApiError, ApiHttpError

try:
    from .test_vk_support import (  # noqa: F401 (fixtures)
        VkRig,
        api_error,
        call,
        make_vk_rig,
        vk_rig,
    )
except ImportError:
    from test_vk_support import VkRig, api_error, call, make_vk_rig, vk_rig  # noqa: F401 (fixtures)


def _burst(rig: VkRig, calls: int) -> tuple[int, int]:
    """`calls` groups.getById from one vk_api instance: (answered, refused with error 6)."""
    api = rig.session().get_api()
    answered = refused = 0
    for _ in range(calls):
        try:
            api.groups.getById()
            answered += 1
        except ApiError as error:
            assert error.code == 6
            assert error.error["error_msg"] == "Too many requests per second"
            refused += 1
    return answered, refused


async def test_more_than_20_calls_in_a_second_get_error_6(vk_rig: VkRig) -> None:
    # Four vk_api instances in threads share one community token, as our adapter runs them;
    # the emulator's clock stands still, so all 32 calls fall in one 1 s window.
    results = await asyncio.gather(*(asyncio.to_thread(_burst, vk_rig, 8) for _ in range(4)))

    answered = sum(a for a, _ in results)
    refused = sum(r for _, r in results)
    stats = vk_rig.emulator.stats()
    assert (answered, refused) == (20, 12)
    assert stats["error_6_total"] == 12
    assert stats["errors_by_code"] == {"6": 12}
    assert stats["max_requests_in_1s"] == 32
    assert stats["violations"] == 0  # all arrived together: already in flight, not ignoring


async def test_a_call_inside_the_announced_window_is_a_violation(vk_rig: VkRig) -> None:
    api = vk_rig.session().get_api()
    for _ in range(20):
        await call(api.groups.getById)
    first = await api_error(api.groups.getById)  # the window is announced: ~1 s left

    vk_rig.clock.advance(0.02)
    in_flight = await api_error(api.groups.getById)
    vk_rig.clock.advance(0.3)
    ignoring = await api_error(api.groups.getById)
    vk_rig.clock.advance(0.7)
    await call(api.groups.getById)

    assert [e.code for e in (first, in_flight, ignoring)] == [6, 6, 6]
    stats = vk_rig.emulator.stats()
    token = vk_rig.emulator.knobs.group_token
    assert stats["violations"] == 1
    assert stats["violations_by_token"] == {token: 1}
    assert stats["error_6_by_token"] == {token: 3}


async def test_a_user_token_gets_3_calls_a_second(vk_rig: VkRig) -> None:
    admin = vk_rig.admin().get_api()
    group = vk_rig.session().get_api()

    for _ in range(3):
        await call(admin.groups.getById, group_id=vk_rig.emulator.knobs.group_id)
    refused = await api_error(admin.groups.getById, group_id=vk_rig.emulator.knobs.group_id)
    other_token = await call(group.groups.getById)

    assert refused.code == 6
    assert other_token["groups"]  # windows are per token


async def test_flood_control_answers_sending_methods_only(vk_rig: VkRig) -> None:
    vk_rig.emulator.register_user(10, allowed=True)
    vk_rig.emulator.set_faults(p_flood=1.0)
    api = vk_rig.session().get_api()

    flood = await api_error(api.messages.send, peer_id=10, message="x", random_id=1)
    info = await call(api.groups.getById)

    assert (flood.code, flood.error["error_msg"]) == (9, "Flood control")
    assert info["groups"]
    assert vk_rig.emulator.dialog(10) == []
    assert vk_rig.emulator.stats()["faults_injected"] == {"flood": 1}


async def test_internal_errors_as_error_10_and_as_http_502(vk_rig: VkRig) -> None:
    api = vk_rig.session().get_api()

    vk_rig.emulator.set_faults(p_5xx=1.0)
    internal = await api_error(api.groups.getById)
    vk_rig.emulator.set_faults(http_5xx_share=1.0)
    with pytest.raises(ApiHttpError) as bare:
        await call(api.groups.getById)

    assert (internal.code, internal.error["error_msg"]) == (10, "Internal server error")
    assert bare.value.response.status_code == 502
    assert vk_rig.emulator.stats()["faults_injected"] == {"error_10": 1, "http_502": 1}


async def test_spurious_error_6_is_counted(vk_rig: VkRig) -> None:
    vk_rig.emulator.set_faults(p_429=1.0)
    api = vk_rig.session().get_api()

    error = await api_error(api.groups.getById)

    assert error.code == 6
    assert vk_rig.emulator.stats()["error_6_total"] == 1


async def test_a_timed_out_send_took_effect_and_its_resend_is_dropped(vk_rig: VkRig) -> None:
    emulator = vk_rig.emulator
    emulator.register_user(10, allowed=True)
    emulator.set_faults(p_timeout=1.0, hang_s=5.0)
    impatient = vk_rig.session(timeout=0.3).get_api()

    with pytest.raises(requests.exceptions.Timeout):
        await call(impatient.messages.send, peer_id=10, message="Листовка", random_id=77)
    emulator.set_faults(p_timeout=0.0)
    resent = await call(
        vk_rig.session().get_api().messages.send, peer_id=10, message="Листовка", random_id=77
    )

    [delivered] = emulator.dialog(10)
    assert resent == delivered.message_id
    stats = emulator.stats()
    assert stats["accepted_messages_total"] == 1
    assert stats["random_id_dedups"] == 1
    assert stats["faults_injected"] == {"timeout": 1}


async def test_latency_is_added_to_every_answer(vk_rig: VkRig) -> None:
    vk_rig.emulator.set_faults(latency_s=0.2)
    api = vk_rig.session().get_api()

    started = time.monotonic()
    await call(api.groups.getById)

    assert time.monotonic() - started >= 0.2


def test_limits_are_not_fault_knobs(vk_rig: VkRig) -> None:
    with pytest.raises(ValueError, match="not a fault knob"):
        vk_rig.emulator.set_faults(group_rps=100)
