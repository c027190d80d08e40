"""Reader accounts: sign-up and verification, sign-in sessions (also the widget's),
password reset, self-service, admin accounts."""

from __future__ import annotations

from flask import Flask

from commentsvc.core import cli as core_cli
from commentsvc.core.extensions import login_manager


def init_app(app: Flask) -> None:
    from commentsvc.accounts import cli, email_codes, passkeys, sessions, widget_sign_in
    from commentsvc.accounts.cookies import SessionInterface
    from commentsvc.accounts.views import (
        account,
        auth,
        popup,  # noqa: F401 -- adds the popup's routes to auth.bp
        two_step,
        widget_session,
    )
    from commentsvc.accounts.views import (
        passkeys as passkey_views,  # noqa: F401 -- adds routes to auth.bp and account.bp
    )
    from commentsvc.core import access

    app.session_interface = SessionInterface()
    login_manager.user_loader(auth.load_reader)
    app.register_blueprint(auth.bp)
    app.register_blueprint(account.bp)
    app.register_blueprint(widget_session.bp)
    app.cli.add_command(cli.users)
    # Two-step sign-in stands before every staff page (see accounts.two_step).
    access.add_staff_gate(app, two_step.staff_gate)
    # `flask purge` and the mail worker delete what has expired.
    core_cli.register_purge(app, "expired widget sign-in codes", widget_sign_in.purge_expired)
    core_cli.register_purge(app, "expired reader sessions", sessions.purge_expired)
    core_cli.register_purge(app, "expired e-mailed codes", email_codes.purge_expired)
    core_cli.register_purge(app, "expired passkey challenges", passkeys.purge_expired)
