"""e-mailed codes for the sign-in popup: the email_code table

The popup confirms a new account's address, or allows a password reset, with a 6-digit
code sent by e-mail (see commentsvc/accounts/email_codes.py). Only an HMAC of the code
is stored, with the tries it has had and when it expires.

Revision ID: c7e1d94b2a50
Revises: a4c2e8f06b13
Create Date: 2026-12-01 10:00:00.000000

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "c7e1d94b2a50"
down_revision = "a4c2e8f06b13"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "email_code",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reader_id", sa.Integer(), nullable=True),
        sa.Column("purpose", sa.String(length=10), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["reader_id"],
            ["reader.id"],
            name=op.f("fk_email_code_reader_id_reader"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_email_code")),
    )
    with op.batch_alter_table("email_code", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_email_code_reader_id"), ["reader_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_email_code_expires_at"), ["expires_at"], unique=False)


def downgrade():
    with op.batch_alter_table("email_code", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_email_code_expires_at"))
        batch_op.drop_index(batch_op.f("ix_email_code_reader_id"))
    op.drop_table("email_code")
