"""Admin forms: forms that show service refusals (records, subscriptions), the transition form."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.admin.widgets import AdminDateWidget
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tracker.models import (
    LAW_ONLY_EVENT_KINDS,
    DatePrecision,
    DraftLaw,
    ProceduralEvent,
    ProceduralEventKind,
    StatusChange,
    TimelineEntry,
    TrackedRecord,
    parse_date_as_known,
)
from tracker.selectors import status_history
from tracker.workflows import RADA_SEATS

# The counts a vote in parliament must give, and all it may give.
REQUIRED_VOTE_FIELDS = ("votes_for", "votes_against", "abstained")
VOTE_FIELDS = TimelineEntry.VOTE_FIELDS
VOTE_LABELS = {
    "votes_for": _("Votes for"),
    "votes_against": _("Votes against"),
    "abstained": _("Abstained"),
    "not_voting": _("Did not vote"),
    "present": _("Present"),
}


def add_service_error(form: forms.BaseForm, error: ValidationError) -> None:
    """Show a service's ValidationError on `form`, on the field it names when the form has it."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for name, errors in error.error_dict.items():
        if name in form.fields:
            form.add_error(name, errors)
        elif name == NON_FIELD_ERRORS:
            form.add_error(None, errors)
        else:
            form.add_error(None, [f"{name}: {message}" for e in errors for message in e.messages])


class ServiceForm(forms.ModelForm):
    """An admin form saved through a service. If the service refuses what the form accepted,
    the admin renders the form again with `service_error` set, and it is shown here."""

    service_error: ValidationError | None = None

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if self.service_error is not None:
            add_service_error(self, self.service_error)
        return cleaned


class RecordForm(ServiceForm):
    """The admin form of a record, saved through the record services."""


class KnownDateMixin:
    """A date as far as it is known: an exact day, a month (entered as a month), or none.

    Adds `date_precision`, `occurred_on` and `occurred_month`; `known_date()` gives the
    (date, precision) pair the timeline services take. Nothing is made up: a month is sent
    as a month, an unknown date as no date.
    """

    def _add_date_fields(self, *, initial_on=None, initial_precision=None) -> None:
        self.fields["date_precision"] = forms.ChoiceField(
            label=_("Date known"),
            choices=DatePrecision.choices,
            initial=initial_precision or DatePrecision.DAY,
            widget=forms.RadioSelect,
            help_text=_(
                "How much of the date a source gives. Choose “Date not known” rather than "
                "guessing a day."
            ),
        )
        self.fields["occurred_on"] = forms.DateField(
            label=_("Happened on"),
            required=False,
            widget=AdminDateWidget,
            help_text=_("The day it happened in the real world; not in the future."),
        )
        self.fields["occurred_month"] = forms.CharField(
            label=_("Month"),
            required=False,
            max_length=7,
            widget=forms.TextInput({"placeholder": "YYYY-MM", "size": 8}),
            help_text=_("When only the month is known, e.g. 2025-07."),
        )
        if initial_precision == DatePrecision.MONTH and initial_on is not None:
            self.fields["occurred_month"].initial = initial_on.strftime("%Y-%m")
        elif initial_precision != DatePrecision.UNKNOWN:
            self.fields["occurred_on"].initial = initial_on

    def _clean_known_date(self, cleaned: dict[str, Any]) -> None:
        precision = cleaned.get("date_precision")
        day = cleaned.get("occurred_on")
        month_text = (cleaned.get("occurred_month") or "").strip()
        if precision == DatePrecision.DAY:
            if day is None and "occurred_on" not in self.errors:
                self.add_error("occurred_on", _("Give the day, or say only the month is known."))
            if month_text:
                self.add_error("occurred_month", _("Leave the month empty when the day is known."))
            cleaned["known_on"] = day
        elif precision == DatePrecision.MONTH:
            try:
                month, known = parse_date_as_known(month_text)
            except ValueError:
                month, known = None, None
            if known != DatePrecision.MONTH:
                month = None
                self.add_error("occurred_month", _("Give the month as YYYY-MM, e.g. 2025-07."))
            if day is not None:
                self.add_error(
                    "occurred_on", _("Leave the day empty when only the month is known.")
                )
            cleaned["known_on"] = month
        elif precision == DatePrecision.UNKNOWN:
            if day is not None or month_text:
                self.add_error(
                    "occurred_on" if day is not None else "occurred_month",
                    _("Leave the date empty when it is not known."),
                )
            cleaned["known_on"] = None

    def known_date(self) -> dict[str, Any]:
        return {
            "occurred_on": self.cleaned_data.get("known_on"),
            "date_precision": self.cleaned_data["date_precision"],
        }

    def date_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in ("date_precision", "occurred_on", "occurred_month")]


def _vote_field(name: str) -> forms.IntegerField:
    return forms.IntegerField(
        label=VOTE_LABELS[name],
        required=False,
        min_value=0,
        max_value=RADA_SEATS,
        widget=forms.NumberInput({"min": 0, "max": RADA_SEATS}),
    )


def _source_field() -> forms.URLField:
    return forms.URLField(
        label=_("Source"),
        required=False,
        assume_scheme="https",
        max_length=500,
        help_text=_("A link to the official record: the Rada card, a decree, a press release."),
    )


class TimelineForm(KnownDateMixin, forms.Form):
    """What the transition, procedural event and correction forms share."""

    # Shown in the template in their own fieldsets.
    grouped = ("date_precision", "occurred_on", "occurred_month", *VOTE_FIELDS)

    @property
    def has_vote_fields(self) -> bool:
        return "votes_for" in self.fields

    def vote_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in VOTE_FIELDS if name in self.fields]

    def other_fields(self) -> list[forms.BoundField]:
        return [
            self[name]
            for name, field in self.fields.items()
            if name not in self.grouped and not field.widget.is_hidden
        ]

    def votes(self) -> dict[str, int | None]:
        return {name: self.cleaned_data.get(name) for name in VOTE_FIELDS if name in self.fields}


class TransitionForm(TimelineForm):
    """Record one status change of `record`; offers only what the workflow allows.

    From a final status it offers the statuses the record may be reopened to, and the
    reason for reopening is required.
    """

    expected_status = forms.CharField(widget=forms.HiddenInput)
    to_status = forms.ChoiceField(label=_("New status"), widget=forms.RadioSelect)
    note = forms.CharField(label=_("Note"), required=False, widget=forms.Textarea({"rows": 3}))
    source_url = _source_field()
    after_step = forms.ModelChoiceField(
        label=_("Place after step"),
        queryset=StatusChange.objects.none(),
        required=False,
        empty_label=_("— by its date —"),
        help_text=_(
            "For a step learned late: the step it followed. Left empty, the step takes its "
            "place by its date (at the end when the date is not known)."
        ),
    )

    def __init__(self, *args: Any, record: TrackedRecord, target: str | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.record = record
        workflow = record.workflow
        self.workflow = workflow
        # The form offers what follows the status the user saw; if the record moved since,
        # the service refuses with a message saying so.
        seen = self.data.get("expected_status") if self.is_bound else record.status
        self.seen_status = seen if seen in workflow.statuses.values else record.status
        self.reopening = workflow.is_terminal(self.seen_status) and bool(
            workflow.reopen_targets(self.seen_status)
        )
        self.targets = (
            workflow.reopen_targets(self.seen_status)
            if self.reopening
            else workflow.allowed_targets(self.seen_status)
        )
        self.vote_targets = [t for t in self.targets if workflow.is_vote(self.seen_status, t)]

        self._add_date_fields(initial_on=timezone.localdate())
        self.fields["expected_status"].initial = record.status
        to_status = self.fields["to_status"]
        to_status.choices = [(t, workflow.label(t)) for t in self.targets]
        allowed = ", ".join(workflow.label(t) for t in self.targets) or _("none; it is final")
        to_status.error_messages["invalid_choice"] = _(
            "“%(value)s” cannot follow “{current}”. Allowed next statuses: {allowed}."
        ).format(current=workflow.label(self.seen_status), allowed=allowed)
        if target in self.targets:
            to_status.initial = target
        if self.reopening:
            to_status.label = _("Reopen to")
            note = self.fields["note"]
            note.required = True
            note.label = _("Why it is reopened")
            note.help_text = _(
                "A reopening needs a reason: e.g. “back on the agenda on 12 March”, "
                "“re-registered under No. 1234-1”."
            )
            note.error_messages["required"] = _("Say why the record is reopened.")
        self.fields["after_step"].queryset = status_history(record).select_related(None)
        self.fields["after_step"].label_from_instance = self._step_label

        # Vote counts only where the chosen move is a vote in parliament.
        chosen = self.data.get("to_status") if self.is_bound else to_status.initial
        if self.vote_targets and not (
            not self.is_bound and chosen and chosen not in self.vote_targets
        ):
            for name in VOTE_FIELDS:
                self.fields[name] = _vote_field(name)

    def _step_label(self, step: StatusChange) -> str:
        when = step.date_text or _("date not known")
        return f"{self.workflow.label(step.to_status)} ({when})"

    def vote_target_labels(self) -> list[str]:
        return [self.workflow.label(t) for t in self.vote_targets]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        self._clean_known_date(cleaned)
        to_status = cleaned.get("to_status")
        if not to_status or not self.has_vote_fields:
            return cleaned
        given = [name for name in VOTE_FIELDS if cleaned.get(name) is not None]
        if to_status in self.vote_targets:
            for name in REQUIRED_VOTE_FIELDS:
                if name not in given and name not in self.errors:
                    self.add_error(name, _("Give the count from the vote (0 if none)."))
        elif given:
            self.add_error(
                given[0],
                _("“%(to)s” is not a vote in parliament; leave the vote counts empty.")
                % {"to": self.workflow.label(to_status)},
            )
        return cleaned

    def transition_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for `record_transition`, from the cleaned form."""
        data = self.cleaned_data
        return {
            "to_status": data["to_status"],
            **self.known_date(),
            "note": data.get("note") or "",
            "source_url": data.get("source_url") or "",
            "expected_status": data["expected_status"],
            "reopening": self.reopening,
            "after_step": data.get("after_step"),
            **self.votes(),
        }


def event_kind_choices(record: TrackedRecord) -> list[tuple[str, str]]:
    """The kinds of procedural event that can happen to `record`."""
    is_law = isinstance(record, DraftLaw)
    return [
        (value, label)
        for value, label in ProceduralEventKind.choices
        if is_law or value not in LAW_ONLY_EVENT_KINDS
    ]


class ProceduralEventForm(TimelineForm):
    """Something that happened to a record without changing its status."""

    kind = forms.ChoiceField(label=_("What happened"))
    title = forms.CharField(
        label=_("Title"),
        required=False,
        max_length=300,
        help_text=_("e.g. “Hearing of the National Security Committee”."),
    )
    note = forms.CharField(label=_("Note"), required=False, widget=forms.Textarea({"rows": 3}))
    source_url = _source_field()

    def __init__(self, *args: Any, record: TrackedRecord, **kwargs):
        super().__init__(*args, **kwargs)
        self.record = record
        self.fields["kind"].choices = event_kind_choices(record)
        self._add_date_fields(initial_on=timezone.localdate())
        for name in VOTE_FIELDS:
            self.fields[name] = _vote_field(name)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        self._clean_known_date(cleaned)
        return cleaned

    def event_kwargs(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "kind": data["kind"],
            **self.known_date(),
            "title": data.get("title") or "",
            "note": data.get("note") or "",
            "source_url": data.get("source_url") or "",
            **self.votes(),
        }


class CorrectionForm(TimelineForm):
    """Correct a step or event: prefilled with what it says now; the reason is required."""

    reason = forms.CharField(
        label=_("Why it is corrected"),
        widget=forms.Textarea({"rows": 2}),
        error_messages={"required": _("Say why the entry is corrected.")},
    )
    note = forms.CharField(label=_("Note"), required=False, widget=forms.Textarea({"rows": 3}))
    source_url = _source_field()

    def __init__(self, *args: Any, entry: TimelineEntry, **kwargs):
        super().__init__(*args, **kwargs)
        self.entry = entry
        self._add_date_fields(initial_on=entry.occurred_on, initial_precision=entry.date_precision)
        self.fields["note"].initial = entry.note
        self.fields["source_url"].initial = entry.source_url
        record = entry.record
        if isinstance(entry, ProceduralEvent):
            self.fields["kind"] = forms.ChoiceField(
                label=_("What happened"), choices=event_kind_choices(record), initial=entry.kind
            )
            self.fields["title"] = forms.CharField(
                label=_("Title"), required=False, max_length=300, initial=entry.title
            )
            show_votes = True
        else:
            show_votes = entry.is_vote or record.workflow.is_vote(
                entry.from_status, entry.to_status
            )
        if show_votes:
            for name in VOTE_FIELDS:
                self.fields[name] = _vote_field(name)
                self.fields[name].initial = getattr(entry, name)
        # The reason comes last.
        self.fields["reason"] = self.fields.pop("reason")

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        self._clean_known_date(cleaned)
        if not self.errors and not self.changes():
            raise ValidationError(_("Nothing was changed; change a value or cancel."))
        return cleaned

    def changes(self) -> dict[str, Any]:
        """The values that differ from the entry's, as `correct_entry` takes them."""
        entry, data = self.entry, self.cleaned_data
        values: dict[str, Any] = {
            **self.known_date(),
            "note": (data.get("note") or "").strip(),
            "source_url": (data.get("source_url") or "").strip(),
            **self.votes(),
        }
        for name in ("kind", "title"):
            if name in self.fields:
                values[name] = (data.get(name) or "").strip()
        return {name: value for name, value in values.items() if getattr(entry, name) != value}


class RetractionForm(forms.Form):
    reason = forms.CharField(
        label=_("Why it is retracted"),
        widget=forms.Textarea({"rows": 3}),
        help_text=_("e.g. “recorded on the wrong bill”. The entry stays visible to staff."),
        error_messages={"required": _("Say why the entry is retracted.")},
    )


class ImportUploadForm(forms.Form):
    file = forms.FileField(
        label=_("CSV file"),
        help_text=_("UTF-8, comma- or semicolon-separated, with the header row below."),
    )
