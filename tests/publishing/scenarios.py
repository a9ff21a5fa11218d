"""A small published catalog built through the catalog's own workflow (factories), shared by the tests."""

from dataclasses import dataclass

from tests import factories as f


@dataclass
class World:
    heavy: object
    thrash: object
    vocals: object
    guitar: object
    maiden: object
    metallica: object
    hellfest: object
    hellfest_2026: object
    wacken: object
    wacken_2026: object


def published_world() -> World:
    heavy = f.approved(f.genre("heavy-metal", "Heavy Metal"))
    thrash = f.approved(f.genre("thrash-metal", "Thrash Metal"))
    vocals = f.approved(f.role("vocals", "Vocals", category="voice"))
    guitar = f.approved(f.role("guitar", "Guitar", category="string"))
    maiden = f.approved(f.band("iron-maiden", "Iron Maiden", genres=[heavy], country="GB",
                               members=[("Bruce Dickinson", [vocals]), ("Dave Murray", [guitar])]))
    metallica = f.approved(f.band("metallica", "Metallica", genres=[heavy, thrash], country="US",
                                  members=[("James Hetfield", [vocals, guitar])]))
    hellfest = f.approved(f.festival("hellfest", "Hellfest", latitude=47.0889, longitude=-1.2806))
    hellfest_2026 = f.approved(f.edition(hellfest, 2026, bands=[metallica, maiden], ticket_price=259, currency="EUR"))
    wacken = f.approved(f.festival("wacken", "Wacken Open Air", city="Wacken", country="DE"))
    wacken_2026 = f.approved(f.edition(wacken, 2026, bands=[maiden]))
    return World(heavy, thrash, vocals, guitar, maiden, metallica, hellfest, hellfest_2026, wacken, wacken_2026)
