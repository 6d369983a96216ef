"""The version of the consent text a member agreed to: a human label plus a short hash of
the wording, so any change of the text changes the version recorded in `consents`."""

from __future__ import annotations

import hashlib


def text_version(label: str, wording: str) -> str:
    """"pd-consent-2026-11" + "-" + 10 hex digits of SHA-256 over the normalised wording."""
    normalised = " ".join(wording.split())
    digest = hashlib.sha256(normalised.encode("utf-8")).hexdigest()[:10]
    return f"{label}-{digest}"
