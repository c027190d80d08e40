"""display names are held by verified readers only

An unverified sign-up no longer reserves its display name: the unique constraint on
reader.display_name_key becomes a unique index over verified readers only, so several
unverified accounts may ask for one name and the first to verify keeps it.

SQLite cannot drop a UNIQUE constraint, so the reader table is rebuilt there. With
foreign keys on (the app turns them on for every connection), dropping the old table
would delete every row that points at a reader by ON DELETE CASCADE: sessions,
acceptances, comments' authors. Foreign keys are therefore turned off for the rebuild
(and the migration refuses to run if they cannot be), checked afterwards, and the
connection is closed rather than pooled, so none runs on with them off.

Downgrading brings back the constraint over every reader; it fails if two readers
(at least one unverified) share a name by then.

Revision ID: 5c1e2f7a9b30
Revises: 723bea7c94d1
Create Date: 2026-11-30 04:30:00.000000

"""

from contextlib import contextmanager

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "5c1e2f7a9b30"
down_revision = "723bea7c94d1"
branch_labels = None
depends_on = None

VERIFIED = sa.text("email_verified_at IS NOT NULL")


@contextmanager
def rebuilding_reader():
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        yield
        return
    # A no-op inside a transaction: hence the check.
    bind.exec_driver_sql("PRAGMA foreign_keys=OFF")
    if bind.exec_driver_sql("PRAGMA foreign_keys").scalar():
        raise RuntimeError(
            "Cannot turn SQLite foreign keys off inside a transaction; rebuilding the "
            "reader table with them on would delete every session and acceptance."
        )
    bind.detach()
    yield
    broken = bind.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
    if broken:
        raise RuntimeError(f"Foreign keys broken by the rebuild: {broken[:5]}")


def upgrade():
    with rebuilding_reader(), op.batch_alter_table("reader", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_reader_display_name_key"), type_="unique")
        batch_op.create_index(
            "uq_reader_display_name_key_verified",
            ["display_name_key"],
            unique=True,
            sqlite_where=VERIFIED,
            postgresql_where=VERIFIED,
        )


def downgrade():
    with rebuilding_reader(), op.batch_alter_table("reader", schema=None) as batch_op:
        batch_op.drop_index("uq_reader_display_name_key_verified")
        batch_op.create_unique_constraint(
            batch_op.f("uq_reader_display_name_key"), ["display_name_key"]
        )
