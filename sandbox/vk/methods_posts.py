"""wall.post and polls.create: user-token methods (a community token gets error 27)."""

from __future__ import annotations

import json
from typing import Any

from sandbox.vk.dispatch import Call, Handler
from sandbox.vk.errors import ACCESS, VkError, param_error
from sandbox.vk.methods_media import resolve_attachments
from sandbox.vk.world import World

MAX_POLL_ANSWERS = 10
GUID_TTL_S = 3600.0  # wall.post's guid "works for one hour" (dev.vk.com/ru/method/wall.post)


def _owner(call: Call) -> int:
    """owner_id: the caller's own wall, or the community's if the caller is its admin."""
    world, user_id = call.world, call.token.owner_id
    owner_id = int(call.values.get("owner_id", user_id))
    if owner_id == user_id:
        return owner_id
    if owner_id == world.community_id and user_id == world.knobs.admin_user_id:
        return owner_id
    raise VkError(ACCESS, "no access to this wall")


def wall_post(call: Call) -> dict[str, int]:
    world, values = call.world, call.values
    owner_id = _owner(call)
    attachments = resolve_attachments(world, ",".join(values.get("attachments", [])))
    text = values.get("message", "")
    if not text.strip() and not attachments:
        raise param_error("message is empty or invalid")
    earlier = _same_guid(call, owner_id)
    if earlier is not None:
        return {"post_id": earlier}
    post_id = world.media.take_id()
    from_group = owner_id < 0 and values.get("from_group", False)
    world.posts[(owner_id, post_id)] = {
        "id": post_id,
        "owner_id": owner_id,
        "from_id": owner_id if from_group else call.token.owner_id,
        "date": world.date(),
        "text": text,
        "attachments": list(attachments),
    }
    if values.get("guid"):
        world.wall_guids[(owner_id, values["guid"])] = (post_id, world.clock())
    return {"post_id": post_id}


def _same_guid(call: Call, owner_id: int) -> int | None:
    """The post an earlier wall.post with this guid made within the hour: VK documents guid
    as preventing a repeat of the same post for one hour (dev.vk.com/ru/method/wall.post);
    that the repeat answers the earlier post_id is [U]."""
    guid = call.values.get("guid")
    earlier = call.world.wall_guids.get((owner_id, guid)) if guid else None
    if earlier is None or call.world.clock() - earlier[1] >= GUID_TTL_S:
        return None
    return earlier[0]


def polls_create(call: Call) -> dict[str, Any]:
    world, values = call.world, call.values
    question = values.get("question", "")
    if not question.strip():
        raise param_error("question is undefined")
    answers = _answers(values.get("add_answers"))
    poll_id = world.media.take_id()
    poll = {
        "id": poll_id,
        "owner_id": _owner(call),
        "author_id": call.token.owner_id,
        "created": world.date(),
        "question": question,
        "votes": 0,
        "answers": [
            {"id": poll_id * 100 + number, "text": text, "votes": 0, "rate": 0.0}
            for number, text in enumerate(answers, start=1)
        ],
        "anonymous": bool(values.get("is_anonymous", False)),
        "multiple": bool(values.get("is_multiple", False)),
        "end_date": values.get("end_date", 0),
        "closed": False,
        "is_board": False,
        "can_edit": True,
        "can_vote": True,
        "can_report": False,
        "can_share": True,
        "disable_unvote": bool(values.get("disable_unvote", False)),
    }
    world.polls[poll_id] = poll
    world.poll_votes[poll_id] = {}
    return poll


def _answers(raw: str | None) -> list[str]:
    """add_answers: a JSON array of 1-10 answer texts (dev.vk.com/ru/method/polls.create)."""
    if raw is None:
        raise param_error("add_answers is undefined")
    try:
        answers = json.loads(raw)
    except ValueError:
        raise param_error("add_answers is not a JSON array") from None
    if not isinstance(answers, list) or not all(isinstance(a, str) and a for a in answers):
        raise param_error("add_answers should be a JSON array of strings")
    if not 1 <= len(answers) <= MAX_POLL_ANSWERS:
        raise param_error(f"add_answers: 1 to {MAX_POLL_ANSWERS} answers")
    return answers


def record_vote(world: World, poll_id: int, user_id: int, answer_ids: list[int]) -> None:
    """Count a member's vote, recomputing votes and rates as polls.getById shows them."""
    poll = world.polls.get(poll_id)
    if poll is None:
        raise LookupError(f"no poll {poll_id}")
    valid = {answer["id"] for answer in poll["answers"]}
    if not answer_ids or not set(answer_ids) <= valid:
        raise ValueError(f"poll {poll_id} has answers {sorted(valid)}")
    if len(answer_ids) > 1 and not poll["multiple"]:
        raise ValueError(f"poll {poll_id} takes one answer")
    votes = world.poll_votes[poll_id]
    if user_id in votes:
        raise ValueError(f"user {user_id} already voted in poll {poll_id}")
    votes[user_id] = list(answer_ids)
    for answer in poll["answers"]:
        answer["votes"] = sum(answer["id"] in chosen for chosen in votes.values())
    poll["votes"] = len(votes)
    for answer in poll["answers"]:
        answer["rate"] = round(100.0 * answer["votes"] / poll["votes"], 2)


METHODS: dict[str, Handler] = {
    "wall.post": wall_post,
    "polls.create": polls_create,
}
