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
#: any character outside printable ASCII (no escapes, so every backend's regex reads it alike)
_NON_ASCII = "[^ -~]"


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
    # "B.V." is also written "BV": each initialism without its dots, except the two
    # that are English words and could end a real name
    joined = {t.replace(" ", "") for t in terms if all(len(w) == 1 for w in t.split())}
    terms |= joined - {"is", "sad"}
    alternatives = "|".join(re.escape(t) for t in sorted(terms, key=lambda t: (-len(t), t)))
    return rf"(\s(?:{alternatives}))+$"


def folded(text: ir.StringValue) -> ir.StringValue:
    """``text`` with the accented letters of ``_ACCENTED`` replaced by their plain letters.

    Only text with a non-ASCII character goes through ``translate``: DuckDB's
    translate costs about 9 µs a row with a 60-letter map (it was most of the
    account-matching stage: 1–3 s at 35,000 customers), and most names are ASCII.
    """
    return ibis.ifelse(text.re_search(_NON_ASCII), text.translate(_ACCENTED, _PLAIN), text)


def spaced_name(name: ir.StringValue) -> ir.StringValue:
    """Lower case, accents folded, every run of punctuation one space."""
    return folded(name.lower()).re_replace(r"[^a-z0-9]+", " ").strip()


def normalized_name(name: ir.StringValue) -> ir.StringValue:
    """The comparable form of a company name (see module docstring)."""
    spaced = spaced_name(name)
    # a name that is only a legal term ("AG") keeps it rather than becoming empty; the
    # suffix pattern appears once in the SQL (an expression is inlined wherever it is
    # used, and the pattern has 300 alternatives)
    stripped = (" " + spaced).re_replace(legal_suffix_pattern(), "").strip()
    return stripped.nullif("").fill_null(spaced)


def name_block(name: ir.StringValue) -> ir.StringValue:
    """The first word of the normalized name, without normalizing it whole again.

    Legal suffixes are removed only from the end and never the whole name, so
    the first word of the spaced name is the first word of the normalized one.
    """
    return spaced_name(name).re_extract(r"^(\S+)", 1)


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
    plain = folded(country.lower()).re_replace(r"[^a-z0-9]+", " ")
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
