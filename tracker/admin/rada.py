"""The Rada's open data in the admin: suggested bills, the review queue, rules and runs.

Who may do what follows the law permissions: whoever may view laws sees these lists; whoever
may record a law's steps (Editors) accepts, dismisses and settles differences, adds a bill by
its number and edits the suggestion rules. Every decision goes through
`tracker.services.rada_review`, which writes through the law and timeline services.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.http import HttpRequest, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from tracker.models import (
    RadaBill,
    RadaReview,
    RadaSuggestionRule,
    ReviewKind,
    ReviewState,
    SuggestedBill,
    SuggestionState,
    SyncRun,
)
from tracker.services.errors import TransitionNotAllowed
from tracker.services.rada_review import (
    accept_review,
    accept_suggestion,
    add_bill_by_number,
    dismiss_suggestion,
    edit_review,
    keep_ours,
)

from .mixins import ReadOnlyMixin


def _can_view(request: HttpRequest) -> bool:
    return request.user.is_active and request.user.has_perm("tracker.view_draftlaw")


def _can_decide(request: HttpRequest) -> bool:
    return request.user.is_active and request.user.has_perm("tracker.transition_draftlaw")


def _problem(error: Exception) -> str:
    if isinstance(error, ValidationError):
        return " ".join(error.messages)
    return str(getattr(error, "message", error))


def _law_link(law) -> str:
    url = reverse("admin:tracker_draftlaw_change", args=[law.pk])
    return format_html('<a href="{}">{}</a>', url, law)


def rada_context(law) -> dict:
    """What a law's page says about the Rada's data: its card, and differences to review."""
    bill = RadaBill.objects.filter(law=law).first()
    open_reviews = RadaReview.objects.filter(law=law, state=ReviewState.OPEN).count()
    url = reverse("admin:tracker_radareview_changelist")
    return {
        "rada_bill": bill,
        "rada_reviews_open": open_reviews,
        "rada_reviews_url": f"{url}?law__id__exact={law.pk}",
    }


class LawPermissions(ReadOnlyMixin):
    """Read with the right to view laws; decide with the right to record their steps."""

    def has_module_permission(self, request):
        return _can_view(request)

    def has_view_permission(self, request, obj=None):
        return _can_view(request)


class DefaultStateFilter(admin.SimpleListFilter):
    """A state filter that shows what waits for a decision unless told otherwise."""

    parameter_name = "state"
    default: str = ""
    states: type[models.TextChoices]

    def lookups(self, request, model_admin):
        return [*self.states.choices, ("all", _("All"))]

    def value(self):
        return super().value() or self.default

    def queryset(self, request, queryset):
        value = self.value()
        if value == "all":
            return queryset
        return queryset.filter(state=value)

    def choices(self, changelist):
        for value, label in self.lookup_choices:
            yield {
                "selected": self.value() == str(value),
                "query_string": changelist.get_query_string({self.parameter_name: value}),
                "display": label,
            }


class SuggestionStateFilter(DefaultStateFilter):
    title = _("decision")
    states = SuggestionState
    default = SuggestionState.PENDING


class ReviewStateFilter(DefaultStateFilter):
    title = _("state")
    states = ReviewState
    default = ReviewState.OPEN


class AddByNumberForm(forms.Form):
    number = forms.CharField(
        label=_("Registration number"),
        max_length=32,
        help_text=_("As the Rada registered it, e.g. 13302 or 13302-1."),
    )


@admin.register(SuggestedBill)
class SuggestedBillAdmin(LawPermissions, admin.ModelAdmin):
    list_display = (
        "registration_number",
        "title",
        "committee",
        "current_phase",
        "reasons",
        "state",
        "tracked_as",
        "card_link",
    )
    list_filter = (SuggestionStateFilter,)
    search_fields = ("registration_number", "title", "committee", "rubric")
    actions = ("accept_selected", "dismiss_selected")
    change_list_template = "admin/tracker/suggestedbill_change_list.html"
    list_select_related = ("law",)

    def get_queryset(self, request):
        return super().get_queryset(request).defer("card")

    def changelist_view(self, request, extra_context=None):
        extra_context = {**(extra_context or {}), "can_decide": _can_decide(request)}
        return super().changelist_view(request, extra_context)

    def get_actions(self, request):
        actions = super().get_actions(request)
        if not _can_decide(request):
            actions.pop("accept_selected", None)
            actions.pop("dismiss_selected", None)
        return actions

    @admin.display(description=_("tracked as"))
    def tracked_as(self, suggestion: SuggestedBill) -> str:
        return _law_link(suggestion.law) if suggestion.law else "—"

    @admin.display(description=_("card"))
    def card_link(self, suggestion: SuggestedBill) -> str:
        return format_html(
            '<a href="{}" rel="noopener" target="_blank">{}</a>',
            suggestion.card_url,
            gettext("the Rada's card"),
        )

    @admin.action(description=_("Track the selected bills"))
    def accept_selected(self, request, queryset):
        self._decide(request, queryset, accept=True)

    @admin.action(description=_("Dismiss the selected bills"))
    def dismiss_selected(self, request, queryset):
        self._decide(request, queryset, accept=False)

    def _decide(self, request, queryset, *, accept: bool) -> None:
        done = 0
        for suggestion in queryset.order_by("pk"):
            try:
                if accept:
                    accept_suggestion(suggestion=suggestion, user=request.user)
                else:
                    dismiss_suggestion(suggestion=suggestion, user=request.user)
            except (ValidationError, TransitionNotAllowed) as exc:
                self.message_user(
                    request,
                    gettext("%(bill)s: %(problem)s")
                    % {"bill": suggestion, "problem": _problem(exc)},
                    messages.ERROR,
                )
                continue
            done += 1
        if done:
            message = (
                gettext(
                    "%(count)s bills are now tracked, hidden from partners until you publish them."
                )
                if accept
                else gettext("%(count)s bills dismissed.")
            )
            self.message_user(request, message % {"count": done}, messages.SUCCESS)

    def get_urls(self):
        return [
            path(
                "add-by-number/",
                self.admin_site.admin_view(self.add_by_number_view),
                name="tracker_suggestedbill_add_by_number",
            ),
            *super().get_urls(),
        ]

    def add_by_number_view(self, request):
        if not _can_decide(request):
            raise PermissionDenied
        form = AddByNumberForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                law = add_bill_by_number(number=form.cleaned_data["number"], user=request.user)
            except ValidationError as exc:
                for message in exc.messages:
                    form.add_error("number", message)
            else:
                self.message_user(
                    request,
                    gettext(
                        "Bill %(number)s is followed; the next sync of the Rada's data fills it in "
                        "if it was not known yet."
                    )
                    % {"number": form.cleaned_data["number"]},
                    messages.SUCCESS,
                )
                return HttpResponseRedirect(reverse("admin:tracker_draftlaw_change", args=[law.pk]))
        context = {
            **self.admin_site.each_context(request),
            "title": gettext("Follow a bill by its number"),
            "form": form,
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/tracker/rada_add_by_number.html", context)


class ReviewDecisionForm(forms.Form):
    ACTIONS = (
        ("accept", _("Accept the Rada's side")),
        ("keep", _("Keep ours")),
        ("edit", _("Edit")),
    )
    action = forms.ChoiceField(choices=ACTIONS, widget=forms.HiddenInput)
    value = forms.CharField(
        label=_("Value"),
        required=False,
        max_length=500,
        help_text=_(
            "For Edit: the date (YYYY-MM-DD, YYYY-MM, or empty if not known), the field's value, "
            "or for an unknown phase the kind of procedural event."
        ),
    )
    note = forms.CharField(
        label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


@admin.register(RadaReview)
class RadaReviewAdmin(LawPermissions, admin.ModelAdmin):
    list_display = ("subject", "law_link", "kind", "rada_value", "our_value", "state", "created_at")
    list_filter = (ReviewStateFilter, "kind")
    search_fields = ("subject", "law__registration_number", "law__title_en", "law__title_uk")
    list_select_related = ("law",)
    change_form_template = "admin/tracker/rada_review.html"

    @admin.display(description=_("law"), ordering="law")
    def law_link(self, review: RadaReview) -> str:
        return _law_link(review.law)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        review = self.get_object(request, object_id)
        if review is None or not self.has_view_permission(request, review):
            return self._get_obj_does_not_exist_redirect(request, self.model._meta, object_id)
        form = ReviewDecisionForm(request.POST or None)
        if request.method == "POST":
            if not _can_decide(request):
                raise PermissionDenied
            if form.is_valid():
                action = form.cleaned_data["action"]
                note = form.cleaned_data["note"]
                try:
                    if action == "accept":
                        accept_review(review=review, user=request.user, note=note)
                    elif action == "keep":
                        keep_ours(review=review, user=request.user, note=note)
                    else:
                        edit_review(
                            review=review,
                            user=request.user,
                            value=form.cleaned_data["value"],
                            note=note,
                        )
                except (ValidationError, TransitionNotAllowed) as exc:
                    form.add_error(None, _problem(exc))
                else:
                    self.message_user(request, gettext("Settled."), messages.SUCCESS)
                    next_open = (
                        RadaReview.objects.filter(law=review.law, state=ReviewState.OPEN)
                        .order_by("created_at", "pk")
                        .first()
                    )
                    if next_open is not None:
                        url = reverse("admin:tracker_radareview_change", args=[next_open.pk])
                    else:
                        url = reverse("admin:tracker_draftlaw_change", args=[review.law_id])
                    return HttpResponseRedirect(url)
        entry = review.status_change or review.procedural_event
        context = {
            **self.admin_site.each_context(request),
            "title": gettext("Difference with the Rada's data"),
            "review": review,
            "entry": entry,
            "form": form,
            "opts": self.model._meta,
            "original": review,
            "can_decide": _can_decide(request) and review.state == ReviewState.OPEN,
            "can_edit": review.kind != ReviewKind.NOT_IN_RADA,
            "law_url": reverse("admin:tracker_draftlaw_change", args=[review.law_id]),
        }
        return TemplateResponse(request, self.change_form_template, context)


@admin.register(RadaSuggestionRule)
class RadaSuggestionRuleAdmin(admin.ModelAdmin):
    list_display = ("kind", "value", "is_active")
    list_filter = ("kind", "is_active")
    list_editable = ("is_active",)

    def has_module_permission(self, request):
        return _can_view(request)

    def has_view_permission(self, request, obj=None):
        return _can_view(request)

    def has_add_permission(self, request):
        return _can_decide(request)

    def has_change_permission(self, request, obj=None):
        return _can_decide(request)

    def has_delete_permission(self, request, obj=None):
        return _can_decide(request)

    formfield_overrides = {models.CharField: {"strip": True}}


@admin.register(SyncRun)
class SyncRunAdmin(LawPermissions, admin.ModelAdmin):
    list_display = (
        "started_at",
        "outcome",
        "bills_read",
        "bills_followed",
        "changes",
        "reviews_opened",
        "suggestions",
        "warnings",
        "source",
    )
    list_filter = ("outcome",)
    readonly_fields = [f.name for f in SyncRun._meta.fields]
