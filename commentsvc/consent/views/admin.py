"""Admin pages: a site's consent banner settings, and reading and exporting consent records."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response
from wtforms import SelectChoice

from commentsvc.accounts import step_up
from commentsvc.comments import install, sites
from commentsvc.consent import banner_settings, records
from commentsvc.consent.forms import RecordFilterForm, settings_form
from commentsvc.consent.models import ConsentCategory
from commentsvc.core import access
from commentsvc.core.errors import Invalid

bp = Blueprint("consent_admin", __name__, url_prefix="/admin")
access.restrict(bp, access.is_admin)

Page = str | tuple[str, int] | Response


def _languages() -> tuple[str, ...]:
    return tuple(current_app.config["LANGUAGES"])


def _form_data(settings: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "cookie_domain": settings.cookie_domain,
        "retention_days": settings.retention_days,
    }
    for category in banner_settings.OPTIONAL:
        data[f"use_{category}"] = category.value in settings.categories
        data[f"cookies_{category}"] = "\n".join(settings.cookies.get(category.value, []))
    for language in _languages():
        texts = settings.translations.get(language, {})
        data[f"{language}_title"] = texts.get("title", "")
        data[f"{language}_body"] = texts.get("body", "")
        for category in (ConsentCategory.NECESSARY, *banner_settings.OPTIONAL):
            data[f"{language}_{category}"] = texts.get("descriptions", {}).get(category.value, "")
    return data


def _settings_input(form: Any) -> banner_settings.SettingsInput:
    translations = {
        language: {
            "title": form[f"{language}_title"].data,
            "body": form[f"{language}_body"].data,
            "descriptions": {
                category.value: form[f"{language}_{category}"].data
                for category in (ConsentCategory.NECESSARY, *banner_settings.OPTIONAL)
            },
        }
        for language in _languages()
    }
    return banner_settings.SettingsInput(
        categories=[c.value for c in banner_settings.OPTIONAL if form[f"use_{c}"].data],
        translations=translations,
        cookies={
            c.value: (form[f"cookies_{c}"].data or "").splitlines()
            for c in banner_settings.OPTIONAL
        },
        cookie_domain=form.cookie_domain.data or "",
        retention_days=form.retention_days.data,
        ask_again=bool(form.ask_again.data),
    )


@bp.route("/sites/<slug>/consent", methods=["GET", "POST"])
def consent_settings(slug: str) -> Page:
    site = sites.require_site(slug)
    settings = banner_settings.current_settings(site)
    form_class = settings_form(_languages())
    form = form_class(data=None if request.method == "POST" else _form_data(settings))
    if form.validate_on_submit():
        try:
            saved = banner_settings.save_settings(site, _settings_input(form), current_user)
        except Invalid as exc:
            form[exc.field if exc.field in form else "cookie_domain"].errors.append(str(exc))
        else:
            if saved.revision != settings.revision:
                flash(_("Saved. Revision %(n)d: every reader is asked again.", n=saved.revision))
            else:
                flash(_("Saved. Readers' earlier choices still apply."))
            return redirect(url_for("consent_admin.consent_settings", slug=site.slug), 303)
    status = 422 if request.method == "POST" else 200
    page = render_template(
        "admin/consent_settings.html",
        form=form,
        site=site,
        settings=settings,
        languages=_languages(),
        optional=banner_settings.OPTIONAL,
        history=banner_settings.settings_history(site)[:20],
        snippets=install.snippets(current_app.config["PUBLIC_URL"], site),
    )
    return page, status


def _filter() -> tuple[RecordFilterForm, records.RecordFilter | None]:
    """The filter form read from the query string, and the filter (None if it is invalid)."""
    all_sites = sites.list_sites()
    form = RecordFilterForm(request.args)
    form.site.choices = [
        SelectChoice("", _("All sites")),
        *(SelectChoice(s.slug, s.name) for s in all_sites),
    ]
    if request.args and not form.validate():
        return form, None
    by_slug = {s.slug: s.id for s in all_sites}
    return form, records.RecordFilter(
        site_id=by_slug.get(form.site.data or ""),
        action=form.action.data or None,
        since=form.since.data,
        until=form.until.data,
        consent_id=form.consent_id.data or None,
    )


@bp.get("/consent", endpoint="consent_records")
def consent_records_page() -> Page:
    form, record_filter = _filter()
    if record_filter is None:
        page = render_template("admin/consent_records.html", form=form, records=None, query="")
        return page, 422
    number = request.args.get("page", 1, type=int) or 1
    found = records.page(record_filter, max(number, 1))
    query = {k: v for k, v in request.args.items() if k != "page" and v}
    return render_template("admin/consent_records.html", form=form, records=found, query=query)


@bp.get("/consent/export.csv")
@step_up.recent_second_factor(lambda **_args: request.full_path)
def export_consent_csv() -> Page:
    _form, record_filter = _filter()
    if record_filter is None:
        abort(400)
    rows = records.matching(record_filter)
    return Response(
        stream_with_context(records.csv_lines(rows)),
        mimetype="text/csv",
        headers={"Content-Disposition": 'attachment; filename="consent-records.csv"'},
    )


@bp.get("/consent/export.json")
@step_up.recent_second_factor(lambda **_args: request.full_path)
def export_consent_json() -> Page:
    _form, found = _filter()
    if found is None:
        abort(400)
    record_filter = found

    def generate() -> Iterator[str]:
        yield "["
        for i, record in enumerate(records.matching(record_filter)):
            prefix = "," if i else ""
            yield prefix + "\n" + json.dumps(records.as_dict(record))
        yield "\n]\n"

    return Response(
        stream_with_context(generate()),
        mimetype="application/json",
        headers={"Content-Disposition": 'attachment; filename="consent-records.json"'},
    )
