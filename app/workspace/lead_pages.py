"""The lead page (`/app/leads/<id>`) and its forms: fields, stage, note, call, follow-up,
reassignment, merge and the WeChat reply. Every form carries the CSRF token; each action
calls the service function the JSON API calls and commits once."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from app.accounts.models import Role
from app.accounts.pages_auth import role_required
from app.core.db import db
from app.core.errors import AppError, NotFound, ValidationFailed
from app.core.i18n import current_language
from app.leads import activity, labels, lifecycle, service
from app.leads.models import Lead, LeadStatus
from app.listings import service as listings
from app.listings.flashes import flash_failure
from app.listings.labels import listing_label
from app.routing import service as routing
from app.workspace import present
from app.workspace.helpers import PageResult, assignable_agents, bp, failed, me


def _stage_choices(lead: Lead) -> list[LeadStatus]:
    """The stage buttons: the lifecycle's next stages, except `assigned` (claim or assign
    does that) and `new` unless someone holds the lead (it means: back to the pool)."""
    return [
        s
        for s in lifecycle.allowed_transitions(lead.status)
        if s is not LeadStatus.ASSIGNED and (s is not LeadStatus.NEW or lead.agent_id)
    ]


def render_lead(
    lead: Lead,
    status: int = 200,
    *,
    values: Any = None,
    errors: dict[str, str] | None = None,
    form: str | None = None,
) -> tuple[str, int]:
    """The lead page; after a failed form, `form` names it and `values`/`errors` refill it."""
    owner = service.agents_by_id({lead.agent_id} if lead.agent_id else set()).get(
        lead.agent_id or 0
    )
    user = me()
    return render_template(
        "workspace/lead.html",
        lead=lead,
        owner=owner,
        timeline=activity.timeline(lead),
        stages=_stage_choices(lead),
        window=activity.wechat_window(lead),
        agents=assignable_agents() if user.role in (Role.ADMIN, Role.LEAD) else [],
        can_merge=user.role is Role.ADMIN,
        offer_contacted=request.args.get("offer") == "contacted"
        and lead.status is LeadStatus.ASSIGNED,
        values=values,
        errors=errors or {},
        failed_form=form,
    ), status


@bp.get("/leads/<int:lead_id>")
@role_required()
def lead(lead_id: int) -> PageResult:
    return render_lead(service.get_visible_lead(me(), lead_id))


def _act(
    lead_id: int, form: str, action: Callable[[Lead], str], *, then: Callable[[], str] | None = None
) -> PageResult:
    """Run `action` on the (locked) lead and commit; redirect to the lead page with its
    message, or show the page again with what went wrong."""
    try:
        lead = service.get_visible_lead(me(), lead_id, for_update=True)
        done = action(lead)
        target = lead.merged_into_id or lead.id
        db.session.commit()
    except AppError as exc:
        failed(exc)
        errors = {present.form_field(k): v for k, v in present.field_errors(exc).items()}
        lead = service.get_visible_lead(me(), lead_id)
        return render_lead(lead, exc.status, values=request.form, errors=errors, form=form)
    flash(done, "info")
    return redirect(url_for("workspace.lead", lead_id=target) + (then() if then else ""), 303)


def _version() -> int | None:
    raw = (request.form.get("version") or "").strip()
    return int(raw) if raw.isdigit() else None


# --- the forms -------------------------------------------------------------------------------


@bp.post("/leads/<int:lead_id>/edit")
@role_required()
def edit(lead_id: int) -> PageResult:
    def action(lead: Lead) -> str:
        version = _version()
        if version is None:
            raise ValidationFailed("version missing", fields={"version": "required"})
        changed = activity.edit_lead(
            lead, present.lead_form_changes(request.form), by=me(), expected_version=version
        )
        if not changed:
            return _("没有修改")
        names = "、".join(present.label_of_field(n) for n in changed)
        return _("已保存：%(fields)s", fields=names)

    return _act(lead_id, "edit", action)


@bp.post("/leads/<int:lead_id>/status")
@role_required()
def change_status(lead_id: int) -> PageResult:
    def action(lead: Lead) -> str:
        to = request.form.get("to") or ""
        service.transition(
            lead,
            to,
            agent=me(),
            reason=request.form.get("reason"),
            note=(request.form.get("note") or "").strip() or None,
            expected_version=_version(),
        )
        return _("阶段已变更为 %(stage)s", stage=labels.label(lead.status))

    return _act(lead_id, "status", action)


@bp.post("/leads/<int:lead_id>/notes")
@role_required()
def add_note(lead_id: int) -> PageResult:
    def action(lead: Lead) -> str:
        activity.add_note(lead, request.form.get("text"), by=me())
        return _("已添加备注")

    return _act(lead_id, "note", action)


@bp.post("/leads/<int:lead_id>/calls")
@role_required()
def log_call(lead_id: int) -> PageResult:
    offer: list[bool] = []

    def action(lead: Lead) -> str:
        minutes = (request.form.get("duration_minutes") or "").strip()
        seconds: Any = None
        if minutes:
            try:
                seconds = round(float(minutes) * 60)
            except ValueError:
                raise ValidationFailed(
                    "duration must be a number of minutes",
                    fields={"duration_seconds": "must be a number"},
                ) from None
        logged = activity.log_call(
            lead,
            outcome=request.form.get("outcome"),
            duration_seconds=seconds,
            note=request.form.get("note"),
            by=me(),
        )
        offer.append(logged.offer_contacted)
        return _("已记录通话")

    return _act(
        lead_id, "call", action, then=lambda: "?offer=contacted" if offer and offer[0] else ""
    )


@bp.post("/leads/<int:lead_id>/follow-up")
@role_required()
def set_follow_up(lead_id: int) -> PageResult:
    def action(lead: Lead) -> str:
        if request.form.get("clear"):
            activity.set_follow_up(lead, None, by=me())
            return _("已取消下次跟进")
        at = activity.parse_local_datetime(request.form.get("at"))
        activity.set_follow_up(lead, at, by=me(), note=request.form.get("note"))
        return _("已设置下次跟进")

    return _act(lead_id, "follow_up", action)


@bp.post("/leads/<int:lead_id>/assign")
@role_required(Role.LEAD, Role.ADMIN)
def assign(lead_id: int) -> PageResult:
    def action(lead: Lead) -> str:
        raw = (request.form.get("agent_id") or "").strip()
        if not raw.isdigit():
            raise ValidationFailed("choose an agent", fields={"agent_id": "required"})
        routing.assign_to(me(), str(lead.id), int(raw))
        return _("已改派")

    return _act(lead_id, "assign", action)


@bp.post("/leads/<int:lead_id>/merge")
@role_required(Role.ADMIN)
def merge(lead_id: int) -> PageResult:
    def action(duplicate: Lead) -> str:
        into = (request.form.get("into") or "").strip()
        if not into:
            raise ValidationFailed("say which lead", fields={"into": "required"})
        survivor = service.get_visible_lead(me(), into)
        activity.lock_leads(duplicate, survivor)
        activity.merge_leads(duplicate, survivor, by=me(), expected_version=_version())
        return _("已并入线索 %(ref)s", ref=survivor.reference)

    return _act(lead_id, "merge", action)


@bp.post("/leads/<int:lead_id>/wechat")
@role_required()
def wechat_reply(lead_id: int) -> PageResult:
    def action(lead: Lead) -> str:
        activity.send_wechat_reply(lead, request.form.get("text"), by=me())
        return _("回复已进入发送队列")

    return _act(lead_id, "wechat", action)


# --- the 匹配载体 panel: listings matched, reserved and sent to the lead (docs/listings.md) ---


PANEL_TOP = 8


@bp.context_processor
def _panel_helpers() -> dict[str, Any]:
    return {"listing_panel": listing_panel}


def _panel_lead(key: str | int, *, for_update: bool = False) -> Lead:
    """A lead the user may see, or 404 with the sentence in the user's language."""
    try:
        return service.get_visible_lead(me(), key, for_update=for_update)
    except NotFound:
        raise NotFound(_("找不到这条线索")) from None


def listing_panel(lead: Lead) -> dict[str, Any]:
    """What the lead page's 匹配载体 panel shows: the best listings with score, reasons and
    warnings, the listings reserved for the lead, its shortlists and the WeChat window."""
    matches = listings.match_listings_for_lead(lead, limit=PANEL_TOP)
    reserved = listings.reserved_for_lead(lead.id)
    language = current_language()
    return {
        "matches": [(listing, listings.match_to_dict(m, language)) for listing, m in matches],
        "reserved": reserved,
        "shortlists": listings.shortlists_for_lead(lead.id)[:5],
        "window": activity.wechat_window(lead),
        "won": lead.status in listings.SIGNED_STATUSES,
    }


def _lead_act(lead_id: int, action: Any) -> PageResult:
    """Run `action(lead)` for a lead the user may see; commit; back to the lead page."""
    try:
        lead = _panel_lead(lead_id, for_update=True)
        message = action(lead)
        db.session.commit()
    except AppError as exc:
        flash_failure(exc)
        try:
            lead = _panel_lead(lead_id)
        except AppError as missing:
            return render_template("error.html", status=404, message=missing.message), 404
        return render_lead(lead, exc.status)
    flash(message, "info")
    return redirect(url_for("workspace.lead", lead_id=lead_id) + "#listings", 303)


@bp.post("/leads/<int:lead_id>/listings/reserve")
@role_required()
def reserve(lead_id: int) -> PageResult:
    def action(lead: Lead) -> str:
        raw = (request.form.get("listing_id") or "").strip()
        if not raw.isdigit():
            raise ValidationFailed(_("请选择载体"), fields={"listing_id": _("必填")})
        listings.reserve_for_lead(raw, lead, by=me(), reason=request.form.get("reason"))
        return _("已为该线索预留载体")

    return _lead_act(lead_id, action)


@bp.post("/leads/<int:lead_id>/listings/close")
@role_required()
def close_deal(lead_id: int) -> PageResult:
    """The lead has signed: its reserved listing is let or sold to it."""

    def action(lead: Lead) -> str:
        raw = (request.form.get("listing_id") or "").strip()
        to = request.form.get("to") or ""
        if not raw.isdigit():
            raise ValidationFailed(_("请选择载体"), fields={"listing_id": _("必填")})
        listing = listings.get_listing(raw, for_update=True)
        if listing.reserved_for_lead_id != lead.id:
            listings.require_manager(me(), listing)
        listings.mark_let_or_sold(listing, to, by=me(), lead=lead)
        return _("载体已标记为 %(status)s", status=listing_label(listing.status))

    return _lead_act(lead_id, action)


@bp.post("/leads/<int:lead_id>/listings/shortlist")
@role_required()
def shortlist(lead_id: int) -> PageResult:
    """Make a shortlist of the ticked listings; with `send`, deliver it as a news card."""

    def action(lead: Lead) -> str:
        made = listings.create_shortlist(lead, request.form.getlist("listing_ids"), by=me())
        link = url_for("listing_public.shortlist", token=made.token, _external=True)
        if request.form.get("send"):
            sent = listings.send_shortlist(lead, made, link, by=me())
            if sent:
                return _("推荐清单已进入微信发送队列")
            return _(
                "客户不在微信48小时服务窗口内，无法发送微信消息，请复制链接通过其他渠道发送：%(link)s",
                link=link,
            )
        return _("已生成推荐清单链接：%(link)s", link=link)

    return _lead_act(lead_id, action)


@bp.post("/leads/<int:lead_id>/listings/shortlist/<int:shortlist_id>/revoke")
@role_required()
def revoke(lead_id: int, shortlist_id: int) -> PageResult:
    def action(lead: Lead) -> str:
        listings.revoke_shortlist(shortlist_id, lead, by=me())
        return _("推荐清单链接已作废")

    return _lead_act(lead_id, action)
