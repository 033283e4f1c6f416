"""Admin forms: forms that show service refusals (records, subscriptions), the transition form."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.admin.widgets import AdminDateWidget
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tracker.models import TrackedRecord
from tracker.workflows import RADA_SEATS

VOTE_FIELDS = ("votes_for", "votes_against", "abstained")


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


class TransitionForm(forms.Form):
    """Record one status change of `record`; offers only what the workflow allows."""

    expected_status = forms.CharField(widget=forms.HiddenInput)
    to_status = forms.ChoiceField(label=_("New status"), widget=forms.RadioSelect)
    occurred_on = forms.DateField(
        label=_("Happened on"),
        widget=AdminDateWidget,
        help_text=_("The day it happened in the real world; not in the future."),
    )
    note = forms.CharField(label=_("Note"), required=False, widget=forms.Textarea({"rows": 3}))
    source_url = forms.URLField(
        label=_("Source"),
        required=False,
        assume_scheme="https",
        max_length=500,
        help_text=_("A link to the official record: the Rada card, a decree, a press release."),
    )
    votes_for = forms.IntegerField(label=_("Votes for"), required=False, min_value=0)
    votes_against = forms.IntegerField(label=_("Votes against"), required=False, min_value=0)
    abstained = forms.IntegerField(label=_("Abstained"), required=False, min_value=0)

    def __init__(self, *args: Any, record: TrackedRecord, target: str | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.record = record
        workflow = record.workflow
        self.workflow = workflow
        # The form offers what follows the status the user saw; if the record moved since,
        # the service refuses with a message saying so.
        seen = self.data.get("expected_status") if self.is_bound else record.status
        self.seen_status = seen if seen in workflow.statuses.values else record.status
        self.targets = workflow.allowed_targets(self.seen_status)
        self.vote_targets = [t for t in self.targets if workflow.is_vote(self.seen_status, t)]

        self.fields["expected_status"].initial = record.status
        self.fields["occurred_on"].initial = timezone.localdate
        to_status = self.fields["to_status"]
        to_status.choices = [(t, workflow.label(t)) for t in self.targets]
        allowed = ", ".join(workflow.label(t) for t in self.targets) or _("none; it is final")
        to_status.error_messages["invalid_choice"] = _(
            "“%(value)s” cannot follow “{current}”. Allowed next statuses: {allowed}."
        ).format(current=workflow.label(self.seen_status), allowed=allowed)
        if target in self.targets:
            to_status.initial = target
        for name in VOTE_FIELDS:
            self.fields[name].max_value = RADA_SEATS
            self.fields[name].widget.attrs.update({"min": 0, "max": RADA_SEATS})

        # Vote counts only where the chosen move is a vote in parliament.
        chosen = self.data.get("to_status") if self.is_bound else to_status.initial
        if not self.vote_targets or (
            not self.is_bound and chosen and chosen not in self.vote_targets
        ):
            for name in VOTE_FIELDS:
                del self.fields[name]

    @property
    def has_vote_fields(self) -> bool:
        return "votes_for" in self.fields

    def vote_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in VOTE_FIELDS if name in self.fields]

    def other_fields(self) -> list[forms.BoundField]:
        hidden = {"expected_status", *VOTE_FIELDS}
        return [self[name] for name in self.fields if name not in hidden]

    def vote_target_labels(self) -> list[str]:
        return [self.workflow.label(t) for t in self.vote_targets]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        to_status = cleaned.get("to_status")
        if not to_status or not self.has_vote_fields:
            return cleaned
        given = [name for name in VOTE_FIELDS if cleaned.get(name) is not None]
        if to_status in self.vote_targets:
            for name in VOTE_FIELDS:
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
            "occurred_on": data["occurred_on"],
            "note": data.get("note") or "",
            "source_url": data.get("source_url") or "",
            "expected_status": data["expected_status"],
            **{name: data.get(name) for name in VOTE_FIELDS},
        }


class ImportUploadForm(forms.Form):
    file = forms.FileField(
        label=_("CSV file"),
        help_text=_("UTF-8, comma- or semicolon-separated, with the header row below."),
    )
