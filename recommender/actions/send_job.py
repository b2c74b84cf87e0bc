"""Send a job posting to a contact who is looking for work (a tag such as 'open to work' or
'looking for work', or a need the owner noted), matched by text to what is known of them.
Never a posting at their current company, never the same posting twice."""

from __future__ import annotations

import numpy as np
import polars as pl

from recommender.actions.context import PlanContext, candidates_frame, day, first_name
from recommender.actions.share_article import match_matrix, pick_best, shared_terms

FULL_SIMILARITY = 0.3
MIN_SIMILARITY = 0.05


def candidates(ctx: PlanContext) -> pl.DataFrame:
    needs = ctx.needs().filter(pl.col("looking"))
    if needs.height == 0:
        return candidates_frame([])
    found = match_matrix(ctx, "job", ctx.looking_contacts())
    if found is None:
        return candidates_frame([])
    jobs, ids, sims, xp, xi, vocab = found
    why = dict(zip(needs["contact"].to_list(), needs["looking_why"].to_list(), strict=True))
    fresh = jobs["freshness"].to_numpy()
    fit = (0.5 + 0.5 * np.minimum(1.0, sims / FULL_SIMILARITY)) * (0.3 + 0.7 * fresh)[None, :]
    fit[sims < MIN_SIMILARITY] = -np.inf
    # never a posting at the company they work for
    job_company = [(c or "").casefold() for c in jobs["company"].to_list()]
    allowed = np.ones_like(fit, dtype=bool)
    for row, contact in enumerate(ids):
        mine = (ctx.row(contact).get("company") or "").casefold()
        if mine:
            allowed[row] = [c != mine for c in job_company]
    item_ids = jobs["item_id"].to_list()
    rows = []
    for row, j in pick_best(ctx, ids, fit, item_ids, allowed):
        contact = ids[row]
        job = jobs.row(j, named=True)
        at = f" at {job['company']}" if job["company"] else " (company not given)"
        terms = shared_terms(xp, row, xi, j, vocab)
        reason = (
            f"{first_name(ctx.row(contact).get('name'))} is looking ({why[contact]}); "
            f"'{job['title']}'{at}, posted {day(job['published_at'])}, matches " + ", ".join(terms)
        )
        rows.append(
            {
                "contact": contact,
                "action": "send_job",
                "item_id": item_ids[j],
                "fit": float(fit[row, j]),
                "reason": reason,
            }
        )
    return candidates_frame(rows)
