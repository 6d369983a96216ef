"""The Viber channel adapter: ViberChannel (Channel + WebhookReceiver) and its capabilities.

viberbot 1.0.12 is used only for its message classes and callback parsing; requests go
through our own async client (client.py) with timeouts and the token in a header.
"""

from .capabilities import viber_capabilities
from .channel import ViberChannel

__all__ = ["ViberChannel", "viber_capabilities"]
