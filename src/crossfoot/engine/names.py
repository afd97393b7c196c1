"""Company-name normalization as a table expression, with cleanco's legal terms.

"ACME Robotics, Inc.", "Acme Robotics Inc" and "Acmé Robotics GmbH" all become
``acme robotics``: lower case, accents folded, punctuation to spaces, legal
suffixes (cleanco's list of 300+ terms across countries) removed from the end.
"""

from __future__ import annotations

import re
from functools import cache

import ibis
import ibis.expr.types as ir
import pycountry
from cleanco.clean import get_unique_terms

_ACCENTED = "àáâãäåāăąçćčďèéêëēėęěìíîïīįłñńňòóôõöøōőŕřśšşťùúûüūůűųýÿžźżß"
_PLAIN = "aaaaaaaaacccdeeeeeeeeiiiiiilnnnoooooooorrssstuuuuuuuuyyzzzs"


def _plain_text(term: str) -> str:
    out = term.lower().translate(str.maketrans(_ACCENTED, _PLAIN))
    return " ".join(re.sub(r"[^a-z0-9]+", " ", out).split())


@cache
def legal_suffix_pattern() -> str:
    terms = {_plain_text(t) for t in get_unique_terms()} | {
        "incorporated",
        "corporation",
        "limited",
    }
    terms.discard("")
    alternatives = "|".join(re.escape(t) for t in sorted(terms, key=lambda t: (-len(t), t)))
    return rf"(\s(?:{alternatives}))+$"


def normalized_name(name: ir.StringValue) -> ir.StringValue:
    """The comparable form of a company name (see module docstring)."""
    plain = name.lower().translate(_ACCENTED, _PLAIN)
    spaced = plain.re_replace(r"[^a-z0-9]+", " ").strip()
    # a name that is only a legal term ("AG") keeps it rather than becoming empty
    stripped = (" " + spaced).re_replace(legal_suffix_pattern(), "").strip()
    return (stripped.length() > 0).ifelse(stripped, spaced)


def plain_python(name: str) -> str:
    """The same normalization in Python, for tests and the demo generator."""
    spaced = _plain_text(name)
    stripped = re.sub(legal_suffix_pattern(), "", " " + spaced).strip()
    return stripped or spaced


@cache
def country_aliases() -> dict[str, str]:
    """Upper-cased country names and codes → ISO 3166 alpha-2 (pycountry's data).

    "United States", "USA", "US" and "United States of America" are one country.
    """
    out: dict[str, str] = {}
    for c in pycountry.countries:
        for name in (
            c.name,
            getattr(c, "official_name", None),
            getattr(c, "common_name", None),
            c.alpha_3,
        ):
            if name:
                out[_plain_text(name).upper()] = c.alpha_2
    out.update(
        {"UK": "GB", "GREAT BRITAIN": "GB", "ENGLAND": "GB", "USA": "US", "UNITED STATES": "US"}
    )
    return out


def country_key(country: ir.StringValue) -> ir.StringValue:
    """A country column in the plain upper-case form the alias table is keyed on."""
    plain = country.lower().translate(_ACCENTED, _PLAIN).re_replace(r"[^a-z0-9]+", " ")
    return plain.strip().upper().nullif("")


def with_country_code(t: ir.Table, column: str) -> ir.Table:
    """Replace ``column`` by its ISO alpha-2 code where recognized (else its plain form).

    A join against the alias table, not a CASE of 700 branches per row.
    """
    aliases = ibis.memtable(
        {"_alias": list(country_aliases()), "_code": list(country_aliases().values())}
    )
    keyed = t.mutate(_key=country_key(t[column]))
    j = keyed.left_join(aliases, keyed._key == aliases._alias)
    return j.mutate(**{column: ibis.coalesce(j._code, j._key)}).drop("_key", "_alias", "_code")
