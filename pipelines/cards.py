"""Model cards' own checksum: sha256 of a card's content without its ``card_sha256``.

One rule for the cards of the shipped priors (:mod:`pipelines.engagement.prior`) and of the models a
home trains (``recommender.registry``); light on purpose (no numpy, no polars).
"""

from __future__ import annotations

import hashlib
import json


def card_digest(card: dict) -> str:
    """sha256 of a card's content without its own ``card_sha256``."""
    body = {k: v for k, v in card.items() if k != "card_sha256"}
    text = json.dumps(body, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()
