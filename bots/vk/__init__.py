"""The VK channel: a community bot on VK API 5.199 through vk_api 11.10.1.

Sends with messages.send(peer_ids <= 100) and a random_id derived from the message part, so
re-sends are dropped by VK per dialog; receives by Bots Long Poll or the Callback API.
"""

from bots.vk.channel import VkChannel, vk_capabilities

__all__ = ["VkChannel", "vk_capabilities"]
