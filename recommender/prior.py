"""The shipped prior engagement model: found, verified, loaded without pickle.

The prior (:mod:`pipelines.engagement.prior`) ships in ``recommender/shipped/`` as plain arrays
beside its card. Before use, the card's own checksum and the file's sha256 (in the card)
are checked on the very bytes loaded; a file that fails is refused with
:class:`ModelIntegrityError`, and callers rank by the heuristic and say so.
``HELPNEXT_PRIOR_DIR`` points at another folder holding the two files (a prior rebuilt
elsewhere).
"""

from __future__ import annotations

import hashlib
import io
import json
import os
from functools import lru_cache
from pathlib import Path

from recommender.errors import PriorIntegrityError as ModelIntegrityError

SHIPPED = Path(__file__).parent / "shipped"
# ranking option -> file stem (pipelines.engagement.prior.PRIORS names the same)
STEMS = {"prior": "engagement-prior", "prior:chat": "engagement-prior-chat"}
NPZ = f"{STEMS['prior']}.npz"
CARD = f"{STEMS['prior']}.json"


def prior_dir() -> Path:
    return Path(os.environ.get("HELPNEXT_PRIOR_DIR") or SHIPPED)


def prior_version(card: dict) -> str:
    return f"prior:{str(card.get('sha256', ''))[:12]}"


def read_card(folder: Path | None = None, option: str = "prior") -> dict:
    """A prior's card, its own checksum checked; raises :class:`ModelIntegrityError`."""
    from pipelines.cards import card_digest

    path = (folder or prior_dir()) / f"{STEMS[option]}.json"
    try:
        card = json.loads(path.read_text())
    except (OSError, ValueError) as err:
        raise ModelIntegrityError(f"{path}: the prior's card is unreadable ({err})") from None
    if not isinstance(card, dict) or card.get("card_sha256") != card_digest(card):
        raise ModelIntegrityError(f"{path}: the prior's card was edited (checksum mismatch)")
    return card


def load_prior(folder: Path | None = None, option: str = "prior"):
    """(PortableRanker, card) of a verified prior; raises :class:`ModelIntegrityError`
    (missing, changed or not plain arrays) or :class:`StaleModelError` (another feature set)."""
    folder = folder or prior_dir()
    return _load(str(folder), option, _stamp(folder, option))


def load_priors(folder: Path | None = None) -> tuple[dict, dict, list[str]]:
    """(option -> ranker, option -> card, one line per prior refused) of every shipped prior
    that passes its checks."""
    rankers, cards, refused = {}, {}, []
    for option in STEMS:
        try:
            rankers[option], cards[option] = load_prior(folder, option)
        except ModelIntegrityError as err:
            refused.append(str(err))
    return rankers, cards, refused


def stamp() -> str:
    """Changes whenever a prior file changes (for caches keyed on the model in use)."""
    folder = prior_dir()
    return str(hash(tuple(_stamp(folder, option) for option in STEMS)))


def _stamp(folder: Path, option: str = "prior") -> tuple:
    """Size and mtime of a prior's two files: a changed file is read (and checked) again."""
    out = []
    for suffix in (".npz", ".json"):
        try:
            st = (folder / f"{STEMS[option]}{suffix}").stat()
            out.append((st.st_size, st.st_mtime_ns))
        except OSError:
            out.append(None)
    return tuple(out)


@lru_cache(maxsize=8)
def _load(folder_name: str, option: str, stamp: tuple):
    from pipelines.engagement.serving import (
        ExportError,
        FeatureSetError,
        PortableRanker,
        load_arrays,
    )
    from recommender.errors import StaleModelError

    folder = Path(folder_name)
    card = read_card(folder, option)
    path = folder / f"{STEMS[option]}.npz"
    try:
        data = path.read_bytes()
    except OSError as err:
        raise ModelIntegrityError(f"{path}: the prior is missing ({err.strerror})") from None
    actual = hashlib.sha256(data).hexdigest()
    if actual != card.get("sha256"):
        raise ModelIntegrityError(
            f"{path}: sha256 {actual[:12]}... does not match its card "
            f"({str(card.get('sha256'))[:12]}...); the prior was changed, so it is not used"
        )
    try:
        return PortableRanker(load_arrays(io.BytesIO(data))), card
    except FeatureSetError:
        raise StaleModelError("the shipped prior was made for another feature set") from None
    except (ExportError, KeyError, TypeError, ValueError) as err:
        raise ModelIntegrityError(f"{path}: not a usable prior ({err})") from None
