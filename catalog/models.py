"""The catalog's SQL models. Rules that must hold whatever writes the data live in constraints here.

Each publishable model carries its review state (`Reviewable`): the working copy
editors change, and the approved snapshot that the public sees. Business logic
lives in `catalog.services`, not in `save()`.
"""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django_countries.fields import CountryField
from simple_history.models import HistoricalRecords

from . import limits
from .currencies import CURRENCY_CHOICES
from .ordering import OrderedManyToManyField

KEY_PATTERN = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"
key_validator = RegexValidator(
    KEY_PATTERN,
    "Use lowercase letters, digits and single hyphens, e.g. `iron-maiden` (a URL slug).",
    code="invalid_key",
)


def key_field(**kwargs) -> models.CharField:
    return models.CharField(
        max_length=100,
        unique=True,
        validators=[key_validator],
        help_text="URL slug used by the public API. Stable once published: renaming is a deliberate action.",
        **kwargs,
    )


class ReviewStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    IN_REVIEW = "in_review", "In review"
    APPROVED = "approved", "Approved"


class ReviewableQuerySet(models.QuerySet):
    def approved(self):
        return self.filter(review_status=ReviewStatus.APPROVED)

    def in_review(self):
        return self.filter(review_status=ReviewStatus.IN_REVIEW)

    def drafts(self):
        return self.filter(review_status=ReviewStatus.DRAFT)

    def published(self):
        """Records with a public copy (an approved snapshot), whatever their working state."""
        return self.filter(published_snapshot__isnull=False)


class Reviewable(models.Model):
    """Review state, the approved public snapshot and an optimistic-lock version."""

    review_status = models.CharField(
        max_length=16, choices=ReviewStatus.choices, default=ReviewStatus.DRAFT, db_index=True
    )
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    submitted_at = models.DateTimeField(null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    last_edited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", editable=False,
        help_text="Who last saved the working copy (the two-pairs-of-eyes rule keeps them from approving it).",
    )
    published_snapshot = models.JSONField(
        null=True,
        blank=True,
        editable=False,
        help_text="The public fields as last approved. The public API shows this, not the working copy.",
    )
    published_revision = models.PositiveIntegerField(
        default=0, editable=False, help_text="Counts approvals; publishing writes items conditioned on it."
    )
    version = models.PositiveIntegerField(
        default=1, editable=False, help_text="Bumped on every save; a save based on an older version is refused."
    )
    # Legacy import bookkeeping: what the last import wrote, to spot editors' changes since.
    import_hash = models.CharField(max_length=64, blank=True, editable=False)
    import_version = models.PositiveIntegerField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ReviewableQuerySet.as_manager()

    class Meta:
        abstract = True

    def clean(self):
        super().clean()
        limits.check_record(self)  # the public tier's size limits (admin form, admin API)

    @property
    def is_published(self) -> bool:
        return self.published_snapshot is not None

    @property
    def has_unpublished_changes(self) -> bool:
        return self.review_status != ReviewStatus.APPROVED



def review_permissions(model_name: str) -> list[tuple[str, str]]:
    """The workflow's permissions for one model: `submit_<model>` and `approve_<model>`."""
    return [
        (f"submit_{model_name}", f"Can submit {model_name} for review"),
        (f"approve_{model_name}", f"Can approve {model_name}, return it to draft and unpublish it"),
    ]


class Genre(Reviewable):
    key = key_field()
    name = models.CharField(max_length=100, unique=True)
    description = models.TextField(blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]
        permissions = review_permissions("genre")

    def __str__(self) -> str:
        return self.name


class RoleCategory(models.TextChoices):
    VOICE = "voice", "Voice"
    STRING = "string", "String"
    PERCUSSION = "percussion", "Percussion"
    KEYS = "keys", "Keys"
    ELECTRONICS = "electronics", "Electronics"
    OTHER = "other", "Other"


class Role(Reviewable):
    key = key_field()
    name = models.CharField(max_length=100, unique=True)
    category = models.CharField(max_length=16, choices=RoleCategory.choices, default=RoleCategory.OTHER)
    description = models.TextField(blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]
        permissions = review_permissions("role")

    def __str__(self) -> str:
        return self.name


class GenreAlias(models.Model):
    """Free text seen in legacy data or imports ("Symphonic", "Symphonic metal") → a canonical genre."""

    text = models.CharField(max_length=100, unique=True, help_text="Compared case-insensitively, spaces folded.")
    genre = models.ForeignKey(Genre, on_delete=models.CASCADE, related_name="aliases")

    class Meta:
        ordering = ["text"]
        verbose_name_plural = "genre aliases"

    def __str__(self) -> str:
        return f"{self.text} → {self.genre}"


class RoleAlias(models.Model):
    """Free text ("Guitarist", "Lead Guitar") → one or more canonical roles."""

    text = models.CharField(max_length=100, unique=True, help_text="Compared case-insensitively, spaces folded.")
    roles = models.ManyToManyField(Role, related_name="aliases")

    class Meta:
        ordering = ["text"]
        verbose_name_plural = "role aliases"

    def __str__(self) -> str:
        return self.text


class BandGenre(models.Model):
    """A band's genre at its place in the editors' order (`position`, 0 first)."""

    band = models.ForeignKey("Band", on_delete=models.CASCADE, related_name="genre_links")
    genre = models.ForeignKey(Genre, on_delete=models.CASCADE, related_name="band_links")
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        db_table = "catalog_band_genres"  # the table of the former plain many-to-many, rows kept
        ordering = ["position", "id"]
        unique_together = [("band", "genre")]


class Band(Reviewable):
    key = key_field()
    name = models.CharField(max_length=200, db_index=True)
    country = CountryField(blank=True)
    description = models.TextField(blank=True)
    logo = models.ImageField(upload_to="bands/logos/", blank=True)
    logo_url = models.URLField(max_length=1000, blank=True, help_text="External logo, used when no file is uploaded.")
    headline_image = models.ImageField(upload_to="bands/headlines/", blank=True)
    headline_image_url = models.URLField(max_length=1000, blank=True)
    website = models.URLField(max_length=500, blank=True)
    spotify = models.URLField(max_length=500, blank=True, verbose_name="Spotify link")
    genres = OrderedManyToManyField(Genre, blank=True, related_name="bands", through=BandGenre)
    reviewed = models.BooleanField(
        default=False, db_index=True, help_text="The band's facts have been checked by an editor (shown publicly)."
    )
    history = HistoricalRecords(m2m_fields=[genres])

    class Meta:
        ordering = ["name"]
        permissions = review_permissions("band")
        # The admin's country filter, and its page of a country's bands by name, read an index, not the table.
        indexes = [models.Index(fields=["country", "name"], name="band_country_name")]

    def __str__(self) -> str:
        return self.name


class MemberRole(models.Model):
    """A member's role at its place in the editors' order (`position`, 0 first)."""

    member = models.ForeignKey("Member", on_delete=models.CASCADE, related_name="role_links")
    role = models.ForeignKey(Role, on_delete=models.CASCADE, related_name="member_links")
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        db_table = "catalog_member_roles"
        ordering = ["position", "id"]
        unique_together = [("member", "role")]


class Member(models.Model):
    band = models.ForeignKey(Band, on_delete=models.CASCADE, related_name="members")
    name = models.CharField(max_length=200)
    roles = OrderedManyToManyField(Role, blank=True, related_name="members", through=MemberRole)
    order = models.PositiveSmallIntegerField(default=0)
    history = HistoricalRecords(m2m_fields=[roles])

    class Meta:
        ordering = ["band", "order", "id"]

    def __str__(self) -> str:
        return self.name


class Festival(Reviewable):
    key = key_field()
    name = models.CharField(max_length=200, db_index=True)
    city = models.CharField(max_length=200, blank=True)
    country = CountryField(blank=True)
    latitude = models.DecimalField(
        max_digits=9, decimal_places=6, null=True, blank=True,
        validators=[MinValueValidator(-90), MaxValueValidator(90)],
    )
    longitude = models.DecimalField(
        max_digits=9, decimal_places=6, null=True, blank=True,
        validators=[MinValueValidator(-180), MaxValueValidator(180)],
    )
    website = models.URLField(max_length=500, blank=True)
    poster = models.ImageField(upload_to="festivals/posters/", blank=True)
    poster_url = models.URLField(max_length=1000, blank=True, help_text="External poster, used when no file is uploaded.")
    description = models.TextField(blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]
        permissions = review_permissions("festival")
        indexes = [models.Index(fields=["country", "name"], name="festival_country_name")]
        constraints = [
            models.CheckConstraint(
                condition=Q(latitude__isnull=True) | Q(latitude__gte=-90, latitude__lte=90),
                name="festival_latitude_range",
            ),
            models.CheckConstraint(
                condition=Q(longitude__isnull=True) | Q(longitude__gte=-180, longitude__lte=180),
                name="festival_longitude_range",
            ),
            models.CheckConstraint(
                condition=Q(latitude__isnull=True, longitude__isnull=True)
                | Q(latitude__isnull=False, longitude__isnull=False),
                name="festival_coordinates_both_or_neither",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def location(self) -> str:
        return ", ".join(part for part in (self.city, self.country.name if self.country else "") if part)


class FestivalAlias(models.Model):
    """A former key of a festival; the public API answers it with a redirect to the current key."""

    key = models.CharField(max_length=100, unique=True, validators=[key_validator])
    festival = models.ForeignKey(Festival, on_delete=models.CASCADE, related_name="aliases")
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["key"]
        verbose_name_plural = "festival aliases"

    def __str__(self) -> str:
        return f"{self.key} → {self.festival.key}"


class EditionStatus(models.TextChoices):
    ANNOUNCED = "announced", "Announced"
    CONFIRMED = "confirmed", "Confirmed"
    CANCELLED = "cancelled", "Cancelled"
    COMPLETED = "completed", "Completed"


class EditionQuerySet(ReviewableQuerySet):
    def upcoming(self, today=None):
        return self.filter(end_date__gte=today or timezone.now().date())

    def past(self, today=None):
        return self.filter(end_date__lt=today or timezone.now().date())


class Edition(Reviewable):
    festival = models.ForeignKey(Festival, on_delete=models.CASCADE, related_name="editions")
    year = models.PositiveSmallIntegerField(validators=[MinValueValidator(1950), MaxValueValidator(2100)])
    start_date = models.DateField()
    end_date = models.DateField()
    ticket_price = models.DecimalField(
        max_digits=10, decimal_places=2, null=True, blank=True, validators=[MinValueValidator(0)]
    )
    currency = models.CharField(max_length=3, choices=CURRENCY_CHOICES, blank=True)
    status = models.CharField(max_length=16, choices=EditionStatus.choices, default=EditionStatus.ANNOUNCED)
    bands = models.ManyToManyField(Band, through="LineupEntry", related_name="editions")
    history = HistoricalRecords()

    objects = EditionQuerySet.as_manager()

    class Meta:
        ordering = ["festival__name", "-year"]
        permissions = review_permissions("edition")
        constraints = [
            models.UniqueConstraint(fields=["festival", "year"], name="edition_one_per_festival_and_year"),
            models.CheckConstraint(condition=Q(end_date__gte=F("start_date")), name="edition_end_not_before_start"),
            models.CheckConstraint(
                condition=Q(ticket_price__isnull=True) | Q(ticket_price__gte=0), name="edition_price_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(ticket_price__isnull=True) | ~Q(currency=""), name="edition_price_has_currency"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.festival.name} {self.year}"


class BillingSize(models.IntegerChoices):
    HEADLINER = 0, "0 · Headliner"
    MAIN = 1, "1 · Main"
    MID = 2, "2 · Mid"
    SMALL = 3, "3 · Small"


class LineupEntry(models.Model):
    edition = models.ForeignKey(Edition, on_delete=models.CASCADE, related_name="lineup")
    band = models.ForeignKey(Band, on_delete=models.PROTECT, related_name="lineup_entries")
    billing_size = models.PositiveSmallIntegerField(
        choices=BillingSize.choices, null=True, blank=True, help_text="0 is the top of the bill; empty when unknown."
    )
    order = models.PositiveSmallIntegerField(default=0)
    history = HistoricalRecords()

    class Meta:
        ordering = ["edition", "order", "id"]
        verbose_name_plural = "lineup entries"
        constraints = [
            models.UniqueConstraint(fields=["edition", "band"], name="lineup_one_entry_per_band_and_edition"),
            models.CheckConstraint(
                condition=Q(billing_size__isnull=True) | Q(billing_size__gte=0, billing_size__lte=3),
                name="lineup_billing_size_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.band} @ {self.edition}"


REVIEWABLE_MODELS = (Genre, Role, Band, Festival, Edition)
