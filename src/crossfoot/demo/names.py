"""Names and ids of the demo company: customers, their name variants, Salesforce ids.

Company names are ``<first word> <sector> <legal suffix>``. First words are
unique: a curated list of words that are pairwise dissimilar (below 0.78
Jaro-Winkler), each given a sector noun such that no two plain names (case,
accents and punctuation dropped, no legal suffix) reach ``MAX_SIMILARITY``.
That holds for demos of up to ~700 deals (one account per three deals).

Larger demos (benchmarks) need more first words than any curated list: the
rest are invented words of four syllables without a sector (``Nutobabas
Inc.``), unique by construction and unique after normalizing, but not checked
pairwise (that would be quadratic); a small share of pairs of invented words
reach 0.88 Jaro-Winkler (about 2 in 10,000 pairs that share the first two
letters). Their domains and ids always differ.

A NetSuite ``companyname`` is a harmless variant of the Salesforce name: case,
a comma before the suffix, the suffix spelled out, without dots or dropped,
accents dropped. After dropping legal suffixes, case, punctuation and accents
every variant is the same name again.
"""

from __future__ import annotations

import random
import unicodedata
from dataclasses import dataclass

_WORDS = """
Alderbrook Basalt Cobalt Dunmore Emberly Fjordland Granitex Harborview Indigo Juniper Kestrel
Lumenis Meridian Nimbus Obsidian Pinnacle Quartzite Redwood Sablewood Tundra Vantage Willowmere
Xenotech Yarrowby Zephyrus Aurora Beacon Cascade Everest Falconer Glacier Horizon Ironclad
Jasperton Lighthouse Monarch Northwind Orchard Pioneer Quillon Summit Trident Upland Vertex
Zenith Bramble Citadel Elmstead Foxglove Gossamer Heather Jubilee Kingfisher Larkspur Marigold
Nightingale Osprey Peregrine Saffron Thistle Ulysses Wrenfield Yellowtail Zinnia Crescent Dynamo
Eclipse Forgeworks Gryphon Halcyon Icarus Javelin Kodiak Lodestar Mistral Novalis Onyxia Paragon
Radiant Sequoia Tempest Valorian Whitestone Yeoman Zodiac Bluebell Copperfield Dovetail Fairhaven
Goldcrest Inverness Jetstream Moorland Newhaven Pemberton Riverbend Thornbury Underhill Westbrook
Ashford Birchwood Calloway Dartmoor Edgewater Highgate Ivybridge Lindale Maplecroft Oakhurst
Rockport Sandringham Tamarind Vickery Wexford Brightwater Castlemaine Eastleigh Foxhollow Hollister
Ingleby Jarrowgate Langford Millbrook Oldfield Radcliffe Shelbourne Tarrant Vandermeer Abernathy
Carrington Delacroix Ellington Fitzroy Kensington Lockhart Nettleton Ormsby Prescott Quimby
Ravenscroft Sterling Wetherby Boreal Dorado Equinox Fulcrum Gemini Helios Jovian Magellan Nebula
Polaris Solstice Wolfram Ypsilon Zircon Andromeda Cassiopeia Electra Fornax Galaxia Octans
Reticulum Sagitta Tucana Volans Brückner Ménard Löwenstein Zürich Bernina Dolomite Engadin
Ferrara Genova Havana Kalahari Lapland Nordkapp Oaxaca Quebec Sahara Wyoming Zanzibar Bavaria
Córdoba Dalmatia Hebrides Kashmir Lombardy Malabar Provence Vesuvius Dorset Fenland Gwynedd
Hampshire Kintyre Lothian Suffolk Tayside Wessex Yorvik Albion Hibernia Cambria Camelot Elysium
Olympus Arcadia Atlantis Utopia Xanadu Valhalla Lemuria Orpheus Perseus Achilles Nestor Odyssey
Argonaut Minerva Neptune Mercury Apollo Artemis Athena Poseidon Kronos Erebus Pontus Thalassa
Tethys Mnemosyne Phoebe Iapetus Epimetheus Menoetius
"""
_CURATED = _WORDS.split()

SECTORS = (
    "Robotics",
    "Logistics",
    "Foods",
    "Pharma",
    "Textiles",
    "Motors",
    "Packaging",
    "Aerospace",
    "Furniture",
    "Brewing",
    "Plastics",
    "Electronics",
    "Metals",
    "Energy",
    "Optics",
    "Tooling",
    "Marine",
    "Freight",
    "Ceramics",
    "Instruments",
)

#: country code -> (Salesforce BillingCountry, top-level domain, legal suffixes)
COUNTRIES: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "US": ("United States", ".com", ("Inc.", "LLC", "Corp.")),
    "DE": ("Germany", ".de", ("GmbH", "AG")),
    "FR": ("France", ".fr", ("SAS", "SA")),
    "NL": ("Netherlands", ".nl", ("B.V.",)),
    "IE": ("Ireland", ".ie", ("Ltd",)),
    "GB": ("United Kingdom", ".co.uk", ("Ltd", "PLC")),
}

_SPELLED_OUT = {
    "Inc.": "Incorporated",
    "LLC": "L.L.C.",
    "Corp.": "Corporation",
    "GmbH": "GMBH",
    "AG": "AG",
    "SAS": "S.A.S.",
    "SA": "S.A.",
    "B.V.": "BV",
    "Ltd": "Limited",
    "PLC": "plc",
}

_CONSONANTS = "bdfgklmnprstvz"
_VOWELS = "aeiou"
_FINALS = "nrsxl"
_SYLLABLES = [c + v for c in _CONSONANTS for v in _VOWELS]
#: the most similar two different companies may be (Jaro-Winkler on the plain names)
MAX_SIMILARITY = 0.85


def strip_accents(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def plain(name: str) -> str:
    """Lower case, no accents, no punctuation (legal suffixes are the caller's business)."""
    return "".join(c for c in strip_accents(name).lower() if c.isalnum() or c == " ")


def jaro_winkler(s: str, t: str) -> float:
    """Jaro-Winkler similarity (prefix scale 0.1, up to four characters)."""
    if s == t:
        return 1.0
    window = max(len(s), len(t)) // 2 - 1
    s_hit, t_hit = [False] * len(s), [False] * len(t)
    for i, c in enumerate(s):
        for j in range(max(0, i - window), min(len(t), i + window + 1)):
            if not t_hit[j] and t[j] == c:
                s_hit[i] = t_hit[j] = True
                break
    s_chars = [c for c, hit in zip(s, s_hit, strict=True) if hit]
    t_chars = [c for c, hit in zip(t, t_hit, strict=True) if hit]
    m = len(s_chars)
    if not m:
        return 0.0
    half_transpositions = sum(a != b for a, b in zip(s_chars, t_chars, strict=True)) / 2
    jaro = (m / len(s) + m / len(t) + (m - half_transpositions) / m) / 3
    prefix = 0
    for a, b in zip(s[:4], t[:4], strict=False):
        if a != b:
            break
        prefix += 1
    return jaro + prefix * 0.1 * (1 - jaro)


def _pseudo_words(count: int) -> list[str]:
    """Unique invented words of four syllables and a final letter (``Nutobabas``)."""
    taken = {plain(w) for w in _CURATED}
    space = len(_SYLLABLES) ** 4
    words: list[str] = []
    i = 0
    while len(words) < count:
        if i >= space:
            raise ValueError(f"cannot name {count} companies")
        j = (i * 7919 + 4099) % space  # 7919 is prime and coprime to 70: a permutation
        a, b, c, d = j % 70, (j // 70) % 70, (j // 4900) % 70, j // 343_000
        word = "".join(_SYLLABLES[x] for x in (a, b, c, d)) + _FINALS[(a + b + c + d) % 5]
        if word not in taken:
            words.append(word.title())
        i += 1
    return words


def _distinctive_parts(rng: random.Random, count: int) -> list[tuple[str, str]]:
    """``count`` (first word, sector) pairs, no two of them near-duplicates.

    The curated words come first, each with a sector chosen so that its plain name
    stays below ``MAX_SIMILARITY`` to every name before it. Beyond the curated list,
    invented words without a sector (see the module docstring).
    """
    words = list(_CURATED)
    rng.shuffle(words)
    parts: list[tuple[str, str]] = []
    seen: list[str] = []
    for word in words[:count]:
        sectors = list(SECTORS)
        rng.shuffle(sectors)
        best, best_score = sectors[0], 2.0
        for sector in sectors:
            name = plain(f"{word} {sector}")
            score = max((jaro_winkler(name, other) for other in seen), default=0.0)
            if score < best_score:
                best, best_score = sector, score
            if score < MAX_SIMILARITY:
                break
        parts.append((word, best))
        seen.append(plain(f"{word} {best}"))
    parts += [(word, "") for word in _pseudo_words(count - len(parts))]
    rng.shuffle(parts)
    return parts


@dataclass(frozen=True, slots=True)
class CompanyName:
    word: str
    sector: str  # empty for invented names
    suffix: str
    country: str  # ISO 3166 alpha-2

    @property
    def base(self) -> str:
        """The name without its legal suffix."""
        return f"{self.word} {self.sector}" if self.sector else self.word

    @property
    def salesforce(self) -> str:
        return f"{self.base} {self.suffix}"

    @property
    def domain(self) -> str:
        tld = COUNTRIES[self.country][1]
        return plain(self.base).replace(" ", "") + tld

    def variant(self, kind: int) -> str:
        """A harmless spelling of the same company (``kind`` 0 is the name itself)."""
        base = self.base
        if kind == 1:
            return self.salesforce.upper()
        if kind == 2:
            return f"{base}, {self.suffix}"
        if kind == 3:
            return f"{base} {self.suffix.replace('.', '')}"
        if kind == 4:
            return f"{base} {_SPELLED_OUT[self.suffix]}"
        if kind == 5:
            return base
        if kind == 6:
            return strip_accents(f"{base}, {self.suffix}")
        return self.salesforce


VARIANT_KINDS = 7


def company_names(rng: random.Random, countries: list[str]) -> list[CompanyName]:
    """One distinct company per entry of ``countries`` (ISO codes)."""
    return [
        CompanyName(word, sector, rng.choice(COUNTRIES[cc][2]), cc)
        for (word, sector), cc in zip(
            _distinctive_parts(rng, len(countries)), countries, strict=True
        )
    ]


# --- Salesforce ids ---------------------------------------------------------------

_B62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_CHECK = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"
_SPACE = 62**6


def salesforce_id(prefix: str, n: int) -> str:
    """The 18-character id number ``n`` of an object with key ``prefix`` (``001``, ``006``…).

    15 case-sensitive characters (key prefix, pod ``5g``, reserved ``0``, nine
    unique characters) plus Salesforce's case-insensitive checksum.
    """
    salt = int(prefix, 36) * 104_729  # so that record n of two objects do not look alike
    j = ((n + salt) * 1_000_003 + 7_777_777) % _SPACE  # 1,000,003 is prime, coprime to 62
    high, rest = divmod(j, 3844 * 3844)
    middle, low = divmod(rest, 3844)
    id15 = f"{prefix}5g0000{_PAIRS[high]}{_PAIRS[middle]}{_PAIRS[low]}"
    # the checksum: per block of five characters, a bit per upper-case letter (first = 1)
    bits = id15.translate(_UPPER_BITS)[::-1]
    return (
        f"{id15}{_CHECK[int(bits[10:], 2)]}{_CHECK[int(bits[5:10], 2)]}{_CHECK[int(bits[:5], 2)]}"
    )


_PAIRS = [a + b for a in _B62 for b in _B62]
_UPPER_BITS = str.maketrans({c: "1" if c.isupper() else "0" for c in _B62})
