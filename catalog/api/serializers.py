"""Request bodies of the admin API, in the public API's camelCase shapes (spec Examples 3–5).

These check shape and types only (400 when wrong); references to other records (band, genre,
role keys) are checked by the views (422), rules of the record by the model (422).
"""

import datetime

from rest_framework import serializers

from catalog import limits
from catalog.currencies import CURRENCY_CHOICES
from catalog.models import KEY_PATTERN, BillingSize, EditionStatus, RoleCategory

CURRENCIES = [code for code, _ in CURRENCY_CHOICES]


class KeyField(serializers.RegexField):
    def __init__(self, **kwargs):
        super().__init__(KEY_PATTERN, max_length=100, **kwargs)


class DescriptionField(serializers.CharField):
    """Free text capped at the public tier's limit (`catalog.limits`)."""

    def __init__(self, **kwargs):
        super().__init__(required=False, allow_blank=True, max_length=limits.DESCRIPTION_MAX_CHARS,
                         error_messages={"max_length": limits.limit_message("description")}, **kwargs)


class VersionedSerializer(serializers.Serializer):
    version = serializers.IntegerField(
        required=False, min_value=1,
        help_text="The version this edit started from (or send If-Match). A newer stored version gives 409.",
    )
    submitForReview = serializers.BooleanField(required=False, default=False, help_text="Submit after saving.")


class CoordinatesSerializer(serializers.Serializer):
    lat = serializers.DecimalField(max_digits=9, decimal_places=6, min_value=-90, max_value=90, coerce_to_string=False)
    lng = serializers.DecimalField(max_digits=9, decimal_places=6, min_value=-180, max_value=180, coerce_to_string=False)


class FestivalSerializer(VersionedSerializer):
    key = KeyField(required=False)
    name = serializers.CharField(max_length=200)
    city = serializers.CharField(max_length=200, required=False, allow_blank=True)
    country = serializers.CharField(max_length=100, required=False, allow_blank=True, allow_null=True,
                                    help_text="Country name or ISO 3166 code.")
    countryCode = serializers.CharField(max_length=6, required=False, allow_blank=True, allow_null=True,
                                        help_text="ISO 3166-1 alpha-2 code (or GB-ENG, GB-SCT, GB-WLS, GB-NIR); "
                                                  "the same as `country` when both are sent.")
    coordinates = CoordinatesSerializer(required=False, allow_null=True)
    website = serializers.URLField(max_length=500, required=False, allow_blank=True, allow_null=True)
    poster = serializers.URLField(max_length=1000, required=False, allow_blank=True, allow_null=True)
    description = DescriptionField()


class DatesSerializer(serializers.Serializer):
    start = serializers.DateField()
    end = serializers.DateField()


class LineupBandSerializer(serializers.Serializer):
    key = serializers.CharField(max_length=100)
    name = serializers.CharField(max_length=200, required=False, help_text="Ignored: the band's own name is used.")
    size = serializers.ChoiceField(choices=BillingSize.values, required=False, allow_null=True)


class EditionSerializer(VersionedSerializer):
    dates = DatesSerializer()
    bands = LineupBandSerializer(many=True, required=False)
    ticketPrice = serializers.DecimalField(max_digits=10, decimal_places=2, min_value=0, required=False,
                                           allow_null=True, coerce_to_string=False)
    currency = serializers.ChoiceField(choices=CURRENCIES, required=False, allow_null=True, allow_blank=True)
    status = serializers.ChoiceField(choices=EditionStatus.values, required=False)


class MemberSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    roleKeys = serializers.ListField(child=serializers.CharField(max_length=100), required=False, default=list)


class BandSerializer(VersionedSerializer):
    key = KeyField(required=False)
    name = serializers.CharField(max_length=200)
    country = serializers.CharField(max_length=100, required=False, allow_blank=True, allow_null=True)
    countryCode = serializers.CharField(max_length=6, required=False, allow_blank=True, allow_null=True,
                                        help_text="ISO 3166-1 alpha-2 code (or GB-ENG, GB-SCT, GB-WLS, GB-NIR); "
                                                  "the same as `country` when both are sent.")
    description = DescriptionField()
    logo = serializers.URLField(max_length=1000, required=False, allow_blank=True, allow_null=True)
    headlineImage = serializers.URLField(max_length=1000, required=False, allow_blank=True, allow_null=True)
    website = serializers.URLField(max_length=500, required=False, allow_blank=True, allow_null=True)
    spotify = serializers.URLField(max_length=500, required=False, allow_blank=True, allow_null=True)
    genreKeys = serializers.ListField(child=serializers.CharField(max_length=100), required=False)
    members = MemberSerializer(many=True, required=False)
    reviewed = serializers.BooleanField(required=False)


class GenreSerializer(VersionedSerializer):
    key = KeyField(required=False)
    name = serializers.CharField(max_length=100)
    description = DescriptionField()


class RoleSerializer(VersionedSerializer):
    key = KeyField(required=False)
    name = serializers.CharField(max_length=100)
    category = serializers.ChoiceField(choices=RoleCategory.values, required=False)
    description = DescriptionField()


class BandValidateSerializer(serializers.Serializer):
    bands = serializers.ListField(
        child=serializers.JSONField(), allow_empty=False, max_length=1000,
        help_text='Band keys, or objects with a "key" (lineup entries).',
    )


class CacheInvalidateSerializer(serializers.Serializer):
    paths = serializers.ListField(child=serializers.CharField(max_length=500), allow_empty=False, max_length=100)

    def validate_paths(self, paths):
        bad = [p for p in paths if not (p.startswith("/api/") or p.startswith("#"))]
        if bad:
            raise serializers.ValidationError(f"Paths must start with /api/ (or be #cache-tags): {bad}")
        return paths


class DateOrDateTimeField(serializers.Field):
    """`2025-11-23` or `2025-11-23T10:00:00Z`; a bare date is returned as a date, a date-time
    without an offset is read in the project's time zone (UTC)."""

    def to_internal_value(self, data):
        from django.utils import timezone
        from django.utils.dateparse import parse_date, parse_datetime

        text = str(data).strip()
        try:
            # The date first: parse_datetime would read a bare date as midnight (fromisoformat).
            value = parse_date(text) or parse_datetime(text)
        except ValueError:
            value = None
        if value is None:
            raise serializers.ValidationError("Use a date (2025-11-23) or an ISO 8601 date-time.")
        if isinstance(value, datetime.datetime) and timezone.is_naive(value):
            value = timezone.make_aware(value)
        return value

    def to_representation(self, value):
        return value.isoformat()


class AuditQuerySerializer(serializers.Serializer):
    startDate = DateOrDateTimeField(required=False)
    endDate = DateOrDateTimeField(required=False, help_text="A bare date includes that whole day.")
    user = serializers.CharField(required=False, max_length=255)
    action = serializers.CharField(required=False, max_length=32)
    limit = serializers.IntegerField(required=False, min_value=1, max_value=1000, default=100)
