"""Find a contact from what a user types (an id, an e-mail, or (part of) a name), or from
the source id a CSV import knew it by."""

from __future__ import annotations

from recommender.errors import NotFoundError, UsageError
from recommender.store.db import PERSONAL_OWNER, Store
from recommender.store.identity import norm_email, norm_name


def find_contact(
    store: Store, text: str, owner_key: str = PERSONAL_OWNER, include_merged: bool = False
) -> int:
    """The contact id ``text`` names. Exact id, e-mail or full name first; then a unique
    name containing it. Several matches: an error listing them.

    A contact merged into another stands for the one it was merged into (an id or e-mail
    known only through it names the kept contact), unless ``include_merged`` asks for the
    merged contact itself (``contacts split`` needs that)."""
    query = text.strip()
    if not query:
        raise UsageError("name a contact: its id, e-mail or name")
    owner = store.owner_id(owner_key, create=False)
    if owner is None:
        raise NotFoundError(f"no contact {text!r}: the store has no contacts yet")
    base = "SELECT contact_id, display_name, company FROM contacts WHERE owner_id = ? AND merged_into IS NULL"
    if query.isdigit():
        found = store.con.execute(
            "SELECT contact_id, merged_into FROM contacts WHERE owner_id = ? AND contact_id = ?",
            [owner, int(query)],
        ).fetchall()
        if found:
            contact_id, merged_into = found[0]
            return int(contact_id if include_merged or merged_into is None else merged_into)
    email = norm_email(query)
    if email:
        rows = store.con.execute(
            "SELECT DISTINCT coalesce(c.merged_into, c.contact_id) FROM identities i "
            "JOIN contacts c USING (contact_id) "
            "WHERE i.owner_id = ? AND i.kind = 'email' AND i.key = ?",
            [owner, email],
        ).fetchall()
        if len(rows) == 1:
            return int(rows[0][0])
    wanted = norm_name(query) or query.casefold()
    candidates = store.con.execute(base, [owner]).fetchall()
    exact = [r for r in candidates if norm_name(r[1]) == wanted]
    if len(exact) == 1:
        return int(exact[0][0])
    partial = exact or [r for r in candidates if wanted in (norm_name(r[1]) or "")]
    if len(partial) == 1:
        return int(partial[0][0])
    if not partial:
        raise NotFoundError(f"no contact matches {text!r} (try `helpnext contacts`)")
    listed = "; ".join(
        f"{cid} {name}" + (f" ({company})" if company else "") for cid, name, company in partial[:5]
    )
    more = f" and {len(partial) - 5} more" if len(partial) > 5 else ""
    raise UsageError(f"{text!r} matches {len(partial)} contacts: {listed}{more}; use the id")


def csv_keys(store: Store, owner: int) -> list[tuple[str, int]]:
    """``(key, contact_id)`` of the identities of ``owner`` a CSV import keyed (``csv:<id>``)."""
    return store.con.execute(
        "SELECT key, contact_id FROM identities WHERE owner_id = ? AND key LIKE 'csv:%'",
        [owner],
    ).fetchall()
