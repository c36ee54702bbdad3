"""Reviews of a wave's responses at two levels, as Survey Solutions does: the township supervisor,
then the county office. A decision approves, rejects (with a reason) or sends the response back to
its collector with comments on single questions. Reviews are appended, never changed: a response's
status is its latest review's. A rejected response is kept (and exported with its status) but left
out of weights and estimates.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import JSON, Column
from sqlmodel import Field, Session, SQLModel, col, select

from server.store import utcnow
from surveys.frame import REVIEW_LABELS

LEVELS = {"township": "乡镇督导审核", "county": "县妇儿工委办审核"}
DECISIONS = {"approve": "通过", "reject": "拒绝", "return": "退回修改"}
STATUS = dict(REVIEW_LABELS)
REASON_MAX = 200


class Review(SQLModel, table=True):
    """One review decision on a response."""

    __tablename__ = "review"
    id: int | None = Field(default=None, primary_key=True)
    response_id: int = Field(foreign_key="response.id", index=True)
    level: str = Field(max_length=10)
    decision: str = Field(max_length=8)
    reason: str = Field(default="", max_length=REASON_MAX)
    comments: dict[str, str] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    staff_id: int | None = Field(default=None, foreign_key="staff.id")
    at: datetime = Field(default_factory=utcnow)


def add_review(session: Session, response_id: int, level: str, decision: str, reason: str,
               comments: dict[str, str], staff_id: int | None) -> Review:
    row = Review(response_id=response_id, level=level, decision=decision, reason=reason, comments=comments,
                 staff_id=staff_id)
    session.add(row)
    session.flush()
    return row


def status_of(review: Review | None) -> str:
    """A response's review status from its latest review."""
    if review is None:
        return "not_reviewed"
    if review.decision == "approve":
        return "approved" if review.level == "county" else "township_approved"
    return "rejected" if review.decision == "reject" else "returned"


def latest(session: Session, response_ids: Iterable[int]) -> dict[int, Review]:
    """The latest review of each of these responses (those reviewed)."""
    ids = list(response_ids)
    out: dict[int, Review] = {}
    for start in range(0, len(ids), 500):
        query = select(Review).where(col(Review.response_id).in_(ids[start:start + 500])).order_by(Review.id)
        for row in session.exec(query):
            out[row.response_id] = row
    return out


def statuses_of_batch(session: Session, response_ids: list[int]) -> list[str]:
    """The review status of each response of an export batch (ids ascending): one range query."""
    if not response_ids:
        return []
    query = (select(Review).where(col(Review.response_id) >= response_ids[0], col(Review.response_id) <= response_ids[-1])
             .order_by(Review.id))
    found: dict[int, Review] = {row.response_id: row for row in session.exec(query)}
    return [status_of(found.get(rid)) for rid in response_ids]


def history(session: Session, response_id: int) -> list[Review]:
    return list(session.exec(select(Review).where(Review.response_id == response_id).order_by(Review.id)))


def statuses(session: Session, response_ids: Iterable[int]) -> dict[int, str]:
    found = latest(session, response_ids)
    return {rid: status_of(found.get(rid)) for rid in response_ids}
