"""Writes what an importer read into one site, a batch at a time.

Every batch is one transaction: its threads, authors and comments, the record of which
source item became which row, and the threads' approved counts. An import cut short
leaves whole batches, every reply under its parent and every count right; running the
same file again skips what is already there and carries on (the source's ids are kept
in ImportedItem), so it also serves as the resume.

A reply can arrive before its parent (sources are not always in order): it waits until
the parent is written. Replies whose parent never comes are written as top-level
comments at the end, and counted.
"""

from __future__ import annotations

from collections import Counter, defaultdict, deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, and_, func, insert, select, text, update

from commentsvc.accounts.identity import normalise_email
from commentsvc.comments.models import Comment, CommentStatus, Site, Thread
from commentsvc.core.errors import Invalid
from commentsvc.core.extensions import db, utcnow
from commentsvc.transfer.models import ImportedAuthor, ImportedItem
from commentsvc.transfer.records import SourceAuthor, SourceComment, SourceThread

BATCH = 1000
AUTHORS_KEPT = 100_000
THREAD = "thread"
COMMENT = "comment"


@dataclass
class Tally:
    """What an import made (or, in a dry run, would make)."""

    threads_created: int = 0
    # Threads the site already had under the same key: the comments join them.
    threads_joined: int = 0
    comments_created: int = 0
    # Already imported by an earlier run of the same source.
    comments_known: int = 0
    authors_created: int = 0
    # Replies whose parent is not in the file: written as top-level comments.
    orphans: int = 0
    statuses: Counter[str] = field(default_factory=Counter)

    def lines(self) -> list[str]:
        shown = ", ".join(f"{n:,} {s}" for s, n in sorted(self.statuses.items())) or "none"
        return [
            f"threads: {self.threads_created:,} new, {self.threads_joined:,} already on the site",
            f"comments: {self.comments_created:,} new ({shown}), "
            f"{self.comments_known:,} imported before",
            f"authors: {self.authors_created:,} new",
            f"replies whose parent is missing, kept as top-level comments: {self.orphans:,}",
        ]


@dataclass(frozen=True, slots=True)
class _Placed:
    """Where a written comment is: what its replies need."""

    id: int
    thread_id: int
    root_id: int
    depth: int


def _author_kept(comment: SourceComment) -> SourceAuthor | None:
    """Who the comment shows as written by. A deleted comment keeps no author: its text is
    gone, and its author's name and address would be kept for nothing."""
    return None if comment.status == CommentStatus.DELETED else comment.author


class Writer:
    """Feed it comments with add(); finish() writes what is left and returns the tally.

    dry_run: nothing is written; the tally tells what would be (ids are stand-ins).
    """

    def __init__(
        self,
        site: Site,
        source: str,
        *,
        dry_run: bool = False,
        batch_size: int = BATCH,
        progress: Callable[[int], None] | None = None,
    ) -> None:
        self.site_id = site.id
        self.source = source
        self.dry_run = dry_run
        self.batch_size = batch_size
        self.progress = progress or (lambda n: None)
        self.tally = Tally()
        self._batch: list[SourceComment] = []
        self._threads: dict[str, int] = {}
        self._authors: dict[str, int] = {}
        # Replies waiting for their parent, by the parent's source id.
        self._waiting: defaultdict[str, list[SourceComment]] = defaultdict(list)
        # Dry runs only: what a real run would have written so far.
        self._dry_placed: dict[str, _Placed] = {}
        self._dry_keys: dict[str, int] = {}
        self._next_stand_in = -1

    def add_thread(self, thread: SourceThread) -> None:
        """Make (or find) a thread now, whether or not comments follow; sources that
        list threads of their own (the service's export) keep them all."""
        self._place_threads([thread])

    def add(self, comment: SourceComment) -> None:
        self._batch.append(comment)
        if len(self._batch) >= self.batch_size:
            self._write(self._batch)
            self._batch = []

    def finish(self) -> Tally:
        if self._batch:
            self._write(self._batch)
            self._batch = []
        self._adopt_orphans()
        # Threads added on their own after the last batch.
        if self.dry_run:
            db.session.rollback()
        else:
            db.session.commit()
        return self.tally

    def _adopt_orphans(self) -> None:
        """Replies still waiting when the file ends: those whose parent never came stand
        on their own, and the replies under them follow them in. (Replies that name each
        other in a circle: one of them stands on its own.)"""
        while self._waiting:
            waiting = {c.source_id for group in self._waiting.values() for c in group}
            missing = [p for p in self._waiting if p not in waiting]
            if missing:
                orphans = [c for parent in missing for c in self._waiting.pop(parent)]
            else:
                # A circle: the first reply in it stands on its own, the others follow.
                parent = next(iter(self._waiting))
                orphans = [self._waiting[parent].pop(0)]
                if not self._waiting[parent]:
                    del self._waiting[parent]
            for comment in orphans:
                comment.parent_id = None
            self.tally.orphans += len(orphans)
            for start in range(0, len(orphans), self.batch_size):
                self._write(orphans[start : start + self.batch_size])

    # --- one batch ----------------------------------------------------------------------

    def _write(self, batch: list[SourceComment]) -> None:
        try:
            known = self._known_comments([c.source_id for c in batch])
            fresh = [c for c in batch if c.source_id not in known]
            self.tally.comments_known += len(batch) - len(fresh)
            self.progress(len(batch) - len(fresh))
            # A file may name one comment twice: the first one counts.
            seen: set[str] = set()
            unique = []
            for comment in fresh:
                if comment.source_id not in seen:
                    seen.add(comment.source_id)
                    unique.append(comment)
            self._place_threads({c.thread.source_id: c.thread for c in unique}.values())
            self._place_authors(unique)
            placed = self._parents(unique)
            touched = self._insert(unique, placed)
            self._recount(touched)
        except BaseException:
            db.session.rollback()
            raise
        if self.dry_run:
            db.session.rollback()
        else:
            db.session.commit()

    def _items(self, kind: str) -> tuple[ColumnElement[bool], ...]:
        """Where this source's records of one kind are remembered for this site."""
        return (
            ImportedItem.site_id == self.site_id,
            ImportedItem.source == self.source,
            ImportedItem.kind == kind,
        )

    def _known_comments(self, source_ids: list[str]) -> set[str]:
        if self.dry_run:
            known = {s for s in source_ids if s in self._dry_placed}
            source_ids = [s for s in source_ids if s not in known]
        else:
            known = set()
        rows = db.session.scalars(
            select(ImportedItem.source_id).where(
                *self._items(COMMENT), ImportedItem.source_id.in_(source_ids)
            )
        )
        return known | set(rows)

    def _stand_in(self) -> int:
        self._next_stand_in -= 1
        return self._next_stand_in

    def _place_threads(self, threads: Iterable[SourceThread]) -> None:
        for thread in threads:
            if thread.source_id in self._threads:
                continue
            found = db.session.scalar(
                select(ImportedItem.thread_id).where(
                    *self._items(THREAD), ImportedItem.source_id == thread.source_id
                )
            )
            if found is None:
                found = self._thread_by_key(thread)
                self._remember_thread(thread.source_id, found)
            self._threads[thread.source_id] = found

    def _thread_by_key(self, thread: SourceThread) -> int:
        existing = db.session.scalar(
            select(Thread.id).where(Thread.site_id == self.site_id, Thread.key == thread.key)
        )
        if existing is None and self.dry_run:
            existing = self._dry_keys.get(thread.key)
        if existing is not None:
            self.tally.threads_joined += 1
            return existing
        self.tally.threads_created += 1
        if self.dry_run:
            self._dry_keys[thread.key] = self._stand_in()
            return self._dry_keys[thread.key]
        values: dict[str, Any] = {
            "site_id": self.site_id,
            "key": thread.key,
            "title": thread.title,
            "url": thread.url,
            "locked": thread.locked,
            "title_source": thread.title_source,
            "created_at": thread.created_at or utcnow(),
        }
        return int(db.session.execute(insert(Thread).returning(Thread.id), values).scalar_one())

    def _remember_thread(self, source_id: str, thread_id: int) -> None:
        if self.dry_run:
            return
        db.session.execute(
            insert(ImportedItem),
            {
                "site_id": self.site_id,
                "source": self.source,
                "kind": THREAD,
                "source_id": source_id,
                "thread_id": thread_id,
            },
        )

    def _place_authors(self, comments: list[SourceComment]) -> None:
        # Memory stays bounded on files with very many authors: later batches ask again.
        if len(self._authors) > AUTHORS_KEPT:
            self._authors.clear()
        wanted = {a.key: a for a in map(_author_kept, comments) if a}
        missing = [key for key in wanted if key not in self._authors]
        if not missing:
            return
        rows = db.session.execute(
            select(ImportedAuthor.source_key, ImportedAuthor.id).where(
                ImportedAuthor.site_id == self.site_id,
                ImportedAuthor.source == self.source,
                ImportedAuthor.source_key.in_(missing),
            )
        )
        self._authors.update({key: author_id for key, author_id in rows})
        new = [wanted[key] for key in missing if key not in self._authors]
        self.tally.authors_created += len(new)
        if self.dry_run:
            self._authors.update({a.key: self._stand_in() for a in new})
            return
        if new:
            ids = db.session.scalars(
                insert(ImportedAuthor).returning(ImportedAuthor.id, sort_by_parameter_order=True),
                [self._author_row(a) for a in new],
            ).all()
            self._authors.update(zip((a.key for a in new), ids, strict=True))

    def _author_row(self, author: SourceAuthor) -> dict[str, Any]:
        email = None
        if author.email:
            try:
                email = normalise_email(author.email)
            except Invalid:
                email = None  # not an address: nobody can claim by it
        return {
            "site_id": self.site_id,
            "source": self.source,
            "source_key": author.key,
            "name": author.name,
            "email": email,
        }

    def _parents(self, comments: list[SourceComment]) -> dict[str, _Placed]:
        """The written comments this batch's replies hang under, by source id."""
        wanted = {c.parent_id for c in comments if c.parent_id}
        if self.dry_run:
            return {p: self._dry_placed[p] for p in wanted if p in self._dry_placed}
        if not wanted:
            return {}
        rows = db.session.execute(
            select(
                ImportedItem.source_id,
                Comment.id,
                Comment.thread_id,
                func.coalesce(Comment.root_id, Comment.id),
                Comment.depth,
            )
            .join(Comment, Comment.id == ImportedItem.comment_id)
            .where(*self._items(COMMENT), ImportedItem.source_id.in_(wanted))
        )
        return {row[0]: _Placed(*row[1:]) for row in rows}

    def _insert(self, comments: list[SourceComment], placed: dict[str, _Placed]) -> set[int]:
        """Write comments in the order given, each after its parent; a reply whose parent
        is not written yet waits for it. Ids are taken first, so the batch is one insert
        however its replies nest, and rows read back in id order come out as they went
        in."""
        order: list[SourceComment] = []
        in_batch: set[str] = set()
        queue = deque(comments)
        while queue:
            comment = queue.popleft()
            parent = comment.parent_id
            if parent is not None and parent not in placed and parent not in in_batch:
                self._waiting[parent].append(comment)
                continue
            order.append(comment)
            in_batch.add(comment.source_id)
            queue.extend(self._waiting.pop(comment.source_id, ()))
        if not order:
            return set()
        touched: set[int] = set()
        rows = []
        for comment, comment_id in zip(order, self._new_ids(len(order)), strict=True):
            row = self._comment_row(comment, placed, comment_id)
            rows.append(row)
            where = _Placed(
                comment_id, row["thread_id"], row["root_id"] or comment_id, row["depth"]
            )
            placed[comment.source_id] = where
            if self.dry_run:
                self._dry_placed[comment.source_id] = where
            touched.add(row["thread_id"])
            self.tally.statuses[comment.status] += 1
        self.tally.comments_created += len(order)
        if not self.dry_run:
            db.session.execute(insert(Comment), rows)
            db.session.execute(
                insert(ImportedItem),
                [
                    {
                        "site_id": self.site_id,
                        "source": self.source,
                        "kind": COMMENT,
                        "source_id": comment.source_id,
                        "comment_id": row["id"],
                        "imported_author_id": self._authors.get(author.key) if author else None,
                    }
                    for comment, row in zip(order, rows, strict=True)
                    for author in [_author_kept(comment)]
                ],
            )
        self.progress(len(order))
        return touched

    def _new_ids(self, n: int) -> list[int]:
        """n ids for new comments, in increasing order, that no other writer will take."""
        if self.dry_run:
            return [self._stand_in() for _ in range(n)]
        if db.session.get_bind().dialect.name == "postgresql":
            taken = db.session.scalars(
                text(
                    "SELECT nextval(pg_get_serial_sequence('comment', 'id')) "
                    "FROM generate_series(1, :n)"
                ),
                {"n": n},
            )
            return sorted(taken)
        # SQLite: a write takes the database's one write lock, held to the commit, so no
        # other writer adds a comment between reading the largest id and inserting.
        db.session.execute(update(Comment).where(Comment.id == -1).values(id=Comment.id))
        largest = db.session.scalar(select(func.coalesce(func.max(Comment.id), 0)))
        return list(range(int(largest or 0) + 1, int(largest or 0) + 1 + n))

    def _comment_row(
        self, comment: SourceComment, placed: dict[str, _Placed], comment_id: int
    ) -> dict[str, Any]:
        thread_id = self._threads[comment.thread.source_id]
        parent = placed.get(comment.parent_id) if comment.parent_id else None
        if parent is not None and parent.thread_id != thread_id:
            parent = None  # a parent in another thread: the reply stands on its own
        deleted = comment.status == CommentStatus.DELETED
        # A deleted comment keeps its place for its replies, not its words.
        body_html, body_source = ("", "") if deleted else comment.body.render()
        return {
            "id": comment_id,
            "thread_id": thread_id,
            "parent_id": parent.id if parent else None,
            "root_id": parent.root_id if parent else None,
            "depth": parent.depth + 1 if parent else 0,
            "author_id": None,
            "imported_name": author.name if (author := _author_kept(comment)) else None,
            "body_source": body_source,
            "body_html": body_html,
            "status": comment.status,
            "score": comment.score,
            "pinned": comment.pinned,
            "created_at": comment.created_at,
            "edited_at": comment.edited_at,
        }

    def _recount(self, thread_ids: set[int]) -> None:
        """Approved counts from the rows themselves, and new versions for the caches."""
        real = [t for t in thread_ids if t > 0]
        if self.dry_run or not real:
            return
        approved = (
            select(func.count(Comment.id))
            .where(and_(Comment.thread_id == Thread.id, Comment.status == CommentStatus.APPROVED))
            .scalar_subquery()
        )
        db.session.execute(
            update(Thread)
            .where(Thread.id.in_(real))
            .values(comment_count=approved, version=Thread.version + 1)
        )
