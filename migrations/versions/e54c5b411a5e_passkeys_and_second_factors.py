"""passkeys and second factors: passkey, passkey_challenge, totp_factor, recovery_code,
site_security, and reader_session.second_factor_at

Readers sign in with passkeys (WebAuthn; only the public key is stored). Staff add a
second factor: a passkey or an authenticator app (its base32 secret, and the step of
the last code taken so that none is taken twice), with single-use recovery codes kept
as HMACs. Challenges live server-side, named by the browser's session, and die after a
few minutes. A site may require a second factor of its moderators; a session records
when it last proved one. See commentsvc/accounts/passkeys.py and two_step.py.

Revision ID: e54c5b411a5e
Revises: f42d3f8eb2ba
Create Date: 2026-11-30 19:20:17.323437

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "e54c5b411a5e"
down_revision = "f42d3f8eb2ba"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "passkey",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reader_id", sa.Integer(), nullable=False),
        sa.Column("credential_id", sa.LargeBinary(length=1023), nullable=False),
        sa.Column("public_key", sa.LargeBinary(length=2048), nullable=False),
        sa.Column("sign_count", sa.BigInteger(), nullable=False),
        sa.Column("name", sa.String(length=60), nullable=False),
        sa.Column("transports", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["reader_id"],
            ["reader.id"],
            name=op.f("fk_passkey_reader_id_reader"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_passkey")),
        sa.UniqueConstraint("credential_id", name=op.f("uq_passkey_credential_id")),
    )
    with op.batch_alter_table("passkey", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_passkey_reader_id"), ["reader_id"], unique=False)

    op.create_table(
        "passkey_challenge",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("challenge", sa.LargeBinary(length=64), nullable=False),
        sa.Column("purpose", sa.String(length=12), nullable=False),
        sa.Column("reader_id", sa.Integer(), nullable=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["reader_id"],
            ["reader.id"],
            name=op.f("fk_passkey_challenge_reader_id_reader"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_passkey_challenge")),
    )
    with op.batch_alter_table("passkey_challenge", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_passkey_challenge_expires_at"), ["expires_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_passkey_challenge_reader_id"), ["reader_id"], unique=False
        )

    op.create_table(
        "recovery_code",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reader_id", sa.Integer(), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["reader_id"],
            ["reader.id"],
            name=op.f("fk_recovery_code_reader_id_reader"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recovery_code")),
        sa.UniqueConstraint("code_hash", name=op.f("uq_recovery_code_code_hash")),
    )
    with op.batch_alter_table("recovery_code", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_recovery_code_reader_id"), ["reader_id"], unique=False)

    op.create_table(
        "site_security",
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("moderators_need_second_factor", sa.Boolean(), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["site_id"], ["site.id"], name=op.f("fk_site_security_site_id_site"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("site_id", name=op.f("pk_site_security")),
    )

    op.create_table(
        "totp_factor",
        sa.Column("reader_id", sa.Integer(), nullable=False),
        sa.Column("secret", sa.String(length=64), nullable=False),
        sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_step", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["reader_id"],
            ["reader.id"],
            name=op.f("fk_totp_factor_reader_id_reader"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("reader_id", name=op.f("pk_totp_factor")),
    )

    # Existing sessions proved no second factor: NULL.
    with op.batch_alter_table("reader_session", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("second_factor_at", sa.DateTime(timezone=True), nullable=True)
        )


def downgrade():
    with op.batch_alter_table("reader_session", schema=None) as batch_op:
        batch_op.drop_column("second_factor_at")

    op.drop_table("totp_factor")
    op.drop_table("site_security")
    with op.batch_alter_table("recovery_code", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_recovery_code_reader_id"))
    op.drop_table("recovery_code")
    with op.batch_alter_table("passkey_challenge", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_passkey_challenge_reader_id"))
        batch_op.drop_index(batch_op.f("ix_passkey_challenge_expires_at"))
    op.drop_table("passkey_challenge")
    with op.batch_alter_table("passkey", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_passkey_reader_id"))
    op.drop_table("passkey")
