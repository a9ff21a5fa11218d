"""A lineup announcement as a release: an edition of a public festival, 20 bands new to the catalog, 3 new genres."""

from dataclasses import dataclass
from datetime import UTC, datetime

from catalog import services
from releases import services as releases
from tests import factories as f
from tests.publishing.scenarios import World, published_world

ANNOUNCEMENT = datetime(2027, 1, 15, 9, 0, tzinfo=UTC)  # "Friday 10:00 CET"


@dataclass
class Announcement:
    world: World
    release: object
    genres: list
    bands: list
    edition: object

    @property
    def band_keys(self) -> list[str]:
        return [band.key for band in self.bands]


def submitted(record):
    services.record_submit_for_review(record=record, user=None)
    record.refresh_from_db()
    return record


def lineup_announcement(*, bands: int = 20, user=None) -> Announcement:
    """The world of tests/publishing, published, plus a draft release holding the announcement's records in review."""
    world = published_world()
    genres = [submitted(f.genre(f"new-genre-{n}", f"New Genre {n}")) for n in range(3)]
    new_bands = [
        submitted(f.band(f"new-band-{n:02d}", f"New Band {n:02d}", genres=[genres[n % 3], world.heavy], country="SE",
                         members=[(f"Singer {n}", [world.vocals]), (f"Player {n}", [world.guitar])]))
        for n in range(bands)
    ]
    edition = submitted(f.edition(world.hellfest, 2027, bands=[*new_bands, world.metallica]))
    release = releases.release_create(name="Hellfest 2027: the first 20 bands", user=user)
    releases.release_add_records(release=release, records=[*genres, *new_bands, edition], user=user)
    release.refresh_from_db()
    return Announcement(world, release, genres, new_bands, edition)
