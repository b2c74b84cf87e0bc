"""The preference model's input, apart from the store and from scikit-learn: the named
features of one shown suggestion (:func:`feature_dict`) and the kind of its reason.

Read by the serving form (:class:`recommender.preference.LinearPreference`) and by the
estimator (:class:`pipelines.preference.estimator.PreferenceModel`), so neither of those modules
imports the other to get them.
"""

from __future__ import annotations

import math
import re

DEFAULT_C = 0.3  # the estimator's regularisation when none is chosen

REASON_KINDS = (
    ("looking", r"\blooking\b|open to work"),
    ("hiring", r"hiring"),
    ("new_role", r"new role|promot"),
    ("endorsed", r"endorsed"),
    ("recommended", r"recommend"),
    ("introduced", r"introduced you"),
    ("anniversary", r"anniversar|birthday"),
    ("overdue", r"usually talk|last in touch"),
    ("interest", r"cares about|fits what"),
)


def reason_kind(reason: str | None) -> str:
    text = (reason or "").lower()
    for kind, pattern in REASON_KINDS:
        if re.search(pattern, text):
            return kind
    return "other"


def feature_dict(values: dict) -> dict[str, float]:
    """One suggestion's features as hashed-vectoriser input (names -> values)."""
    action = values.get("action") or "?"
    colleague = bool(values.get("colleague"))
    dormant = bool(values.get("dormant"))
    days = values.get("days_since")
    out: dict[str, float] = {
        "bias": 1.0,
        "prior": float(values.get("prior") or 0.0),
        "who": float(values.get("who") or 0.0),
        "fit": float(values.get("fit") or 0.0),
        "log_engagement": math.log1p(max(float(values.get("engagement") or 0.0), 0.0)) / 3,
        "log_days": (math.log1p(max(float(days), 0.0)) / 6) if days is not None else 1.0,
        "log_events": math.log1p(int(values.get("n_events") or 0)) / 5,
        "colleague": float(colleague),
        "dormant": float(dormant),
        f"action={action}": 1.0,
        f"reason={values.get('reason_kind') or 'other'}": 1.0,
        f"action={action}|colleague={colleague}": 1.0,
        f"action={action}|dormant={dormant}": 1.0,
        f"company={values.get('company') or ''}": 1.0,
        f"contact={values.get('contact')}": 1.0,
    }
    for tag in values.get("tags") or []:
        out[f"tag={str(tag).lower()}"] = 1.0
    for word in re.findall(r"[a-z]+", values.get("position") or ""):
        out[f"position~{word}"] = 1.0
        out[f"action={action}|position~{word}"] = 1.0
    return out
