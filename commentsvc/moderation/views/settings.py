"""A site's moderation settings: word lists (its moderators), hold rules and the
two-step sign-in rule for its moderators (admins)."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _

from commentsvc.accounts import factor_rules
from commentsvc.accounts.forms import SiteSecurityForm
from commentsvc.comments.models import Site
from commentsvc.core.errors import Invalid
from commentsvc.core.extensions import limiter
from commentsvc.moderation import moderators, rules
from commentsvc.moderation.forms import HoldRulesForm, WordListsForm
from commentsvc.moderation.moderators import HoldRules
from commentsvc.moderation.views.common import Page, bp, me, my_site


@bp.get("/settings")
def settings_index() -> Page:
    return render_template("moderation/settings_index.html", sites=moderators.sites_for(me()))


def _page(
    site: Site,
    status: int = 200,
    words: WordListsForm | None = None,
    holds: HoldRulesForm | None = None,
) -> tuple[str, int]:
    words = words or WordListsForm(
        data={
            "suspicious_words": "\n".join(site.suspicious_words),
            "banned_words": "\n".join(site.banned_words),
        }
    )
    holds = holds or HoldRulesForm(
        data={
            "policy": site.moderation_policy,
            "hold_first_n": site.hold_first_n,
            "max_links": site.max_links,
            "report_threshold": site.report_threshold,
            "trust_after": site.trust_after,
            "close_after_days": site.close_after_days,
        }
    )
    return (
        render_template(
            "moderation/settings.html",
            site=site,
            words_form=words,
            holds_form=holds,
            is_admin=me().is_admin,
            moderators=moderators.list_moderators(site),
            security_form=SiteSecurityForm(
                data={"moderators_need_second_factor": factor_rules.site_requires_factor(site)}
            ),
            site_requires_factor=factor_rules.site_requires_factor(site),
            words_max=rules.WORDS_MAX,
            word_max=rules.WORD_MAX,
        ),
        status,
    )


@bp.get("/sites/<slug>/settings")
def settings(slug: str) -> Page:
    return _page(my_site(slug))


@bp.post("/sites/<slug>/word-lists")
def word_lists(slug: str) -> Page:
    site = my_site(slug)
    form = WordListsForm()
    if form.validate():
        try:
            moderators.update_word_lists(
                me(), site, form.suspicious_words.data or "", form.banned_words.data or ""
            )
        except Invalid as exc:
            form[exc.field].errors = [*form[exc.field].errors, str(exc)]
        else:
            flash(_("Word lists saved."))
            return redirect(url_for("moderation.settings", slug=site.slug), 303)
    return _page(site, 422, words=form)


@bp.post("/sites/<slug>/hold-rules")
def hold_rules(slug: str) -> Page:
    site = my_site(slug)
    if not me().is_admin:
        abort(403, _("Only an admin can change what a site holds."))
    form = HoldRulesForm()
    if form.validate():
        rules = HoldRules(
            policy=form.policy.data,
            hold_first_n=form.hold_first_n.data,
            max_links=form.max_links.data,
            report_threshold=form.report_threshold.data,
            trust_after=form.trust_after.data,
            close_after_days=form.close_after_days.data,
        )
        try:
            moderators.update_hold_rules(me(), site, rules)
        except Invalid as exc:
            field = form._fields.get(exc.field, form.policy)
            field.errors = [*field.errors, str(exc)]
        else:
            flash(_("Hold rules saved."))
            return redirect(url_for("moderation.settings", slug=site.slug), 303)
    return _page(site, 422, holds=form)


@bp.post("/sites/<slug>/second-factor")
@limiter.limit("30 per minute")
def second_factor_rule(slug: str) -> Page:
    site = my_site(slug)
    if not me().is_admin:
        abort(403, _("Only an admin can change what a site asks of its moderators."))
    form = SiteSecurityForm()
    if form.validate():
        factor_rules.set_site_rule(me(), site, bool(form.moderators_need_second_factor.data))
        flash(_("Two-step sign-in rule saved."))
    return redirect(url_for("moderation.settings", slug=site.slug) + "#second-factor-heading", 303)
