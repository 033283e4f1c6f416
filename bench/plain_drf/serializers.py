"""Nested ModelSerializers, written the way a DRF tutorial does it."""

from __future__ import annotations

from rest_framework import serializers

from tracker.models import DraftLaw, Event, Facility, LawDocument, PartnerCountry, TaxMeasure


class PartnerCodeSerializer(serializers.ModelSerializer):
    class Meta:
        model = PartnerCountry
        fields = ["code"]


class TaxMeasureSummarySerializer(serializers.ModelSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="plain-tax-measure-detail")

    class Meta:
        model = TaxMeasure
        fields = ["id", "url", "name_en", "name_uk", "status"]


class FacilitySummarySerializer(serializers.ModelSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="plain-facility-detail")

    class Meta:
        model = Facility
        fields = ["id", "url", "name_en", "name_uk", "status"]


class LawDocumentSerializer(serializers.ModelSerializer):
    class Meta:
        model = LawDocument
        fields = ["kind", "title", "url", "published_on"]


class LawSerializer(serializers.ModelSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="plain-law-detail")
    status_label = serializers.CharField(read_only=True)
    partners = serializers.SlugRelatedField(slug_field="code", many=True, read_only=True)

    class Meta:
        model = DraftLaw
        fields = [
            "id", "url", "visibility", "created_at", "updated_at", "status", "status_label",
            "partners", "registration_number", "registration_date", "title_en", "title_uk",
            "initiator", "lead_committee", "planned_next_step", "planned_next_step_on",
            "effective_date",
        ]  # fmt: skip


class LawDetailSerializer(LawSerializer):
    documents = LawDocumentSerializer(many=True, read_only=True)
    tax_measures = TaxMeasureSummarySerializer(many=True, read_only=True)
    facilities = FacilitySummarySerializer(many=True, read_only=True)

    class Meta(LawSerializer.Meta):
        fields = [
            *LawSerializer.Meta.fields, "summary_en", "summary_uk", "documents",
            "tax_measures", "facilities",
        ]  # fmt: skip


class EventSerializer(serializers.ModelSerializer):
    class Meta:
        model = Event
        fields = ["id", "type", "record_type", "record_id", "occurred_at", "data"]


class TaxMeasureSerializer(serializers.ModelSerializer):
    partners = serializers.SlugRelatedField(slug_field="code", many=True, read_only=True)

    class Meta:
        model = TaxMeasure
        exclude = ["internal_notes"]


class FacilitySerializer(serializers.ModelSerializer):
    partners = serializers.SlugRelatedField(slug_field="code", many=True, read_only=True)

    class Meta:
        model = Facility
        exclude = ["internal_notes", "exact_site", "enabling_laws", "tax_measures"]
