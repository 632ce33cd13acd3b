#!/usr/bin/env python3
"""Build the sample data set of "Plaatsen van Betekenis" from the open data in shared/data.

Usage:
    python scripts/build_sample_data.py [--shared PATH] [--out PATH]

Reads (from ../shared/data relative to the repository root, or --shared):
    rce_rijksmonumenten_gebouwd_noord_2015.utf8.csv   RCE rijksmonumenten, CC0 1.0
    rce_cht_2021.nt.gz                                RCE Cultuurhistorische Thesaurus, CC0 1.0

Writes (to data/ or --out), deterministically (the same bytes on every run):
    rce-monuments.ttl.gz   the 8,025 monuments               -> graph {base}id/dataset/rce-monuments
    cht.ttl.gz             monument-type scheme + CHT subset -> graph {base}id/dataset/cht
    sample-context.ttl     stories, collections, sources ... -> graph {base}id/dataset/sample-context
    catalogue.ttl          DCAT/VoID descriptions            -> graph urn:pvb:graph:catalogue

All platform IRIs are relative (<id/place/rm-7032>) and the files carry no @base, so they resolve
against the base IRI given at load time (PVB_BASE_IRI, default http://localhost:8000/).
See docs/data-model.md for the vocabulary and graph layout. Only the standard library and
pyoxigraph (to read the CHT N-Triples and to re-parse the output as a check) are needed.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import io
import re
import sys
import unicodedata
from collections import defaultdict
from pathlib import Path

import pyoxigraph as ox

SCRIPT_PATH = "scripts/build_sample_data.py"
CSV_NAME = "rce_rijksmonumenten_gebouwd_noord_2015.utf8.csv"
CHT_NAME = "rce_cht_2021.nt.gz"
CHECK_BASE = "http://localhost:8000/"

# ---------------------------------------------------------------------------------------------
# Namespaces and a small, careful Turtle writer
# ---------------------------------------------------------------------------------------------
PREFIXES = {
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "owl": "http://www.w3.org/2002/07/owl#",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "schema": "https://schema.org/",
    "dcterms": "http://purl.org/dc/terms/",
    "geo": "http://www.w3.org/2003/01/geo/wgs84_pos#",
    "gsp": "http://www.opengis.net/ont/geosparql#",
    "prov": "http://www.w3.org/ns/prov#",
    "dcat": "http://www.w3.org/ns/dcat#",
    "void": "http://rdfs.org/ns/void#",
    "foaf": "http://xmlns.com/foaf/0.1/",
    "org": "http://www.w3.org/ns/org#",
    "pvb": "https://w3id.org/pvb/ns#",
    "cht": "https://data.cultureelerfgoed.nl/term/id/cht/",
}


class IRI(str):
    """An IRI, absolute or relative to the load-time base."""


class Lit:
    __slots__ = ("value", "lang", "datatype")

    def __init__(self, value: str, lang: str | None = None, datatype: str | None = None):
        self.value = value
        self.lang = lang
        self.datatype = datatype

    def key(self):
        return (self.value, self.lang or "", self.datatype or "")

    def __eq__(self, other):
        return isinstance(other, Lit) and self.key() == other.key()

    def __hash__(self):
        return hash(self.key())


def ns(prefix: str, local: str) -> IRI:
    return IRI(PREFIXES[prefix] + local)


RDF_TYPE = ns("rdf", "type")
XSD_DOUBLE = ns("xsd", "double")
XSD_INTEGER = ns("xsd", "integer")
XSD_BOOLEAN = ns("xsd", "boolean")
XSD_DATE = ns("xsd", "date")
XSD_TIME = ns("xsd", "time")
WKT = ns("gsp", "wktLiteral")


def nl(text: str) -> Lit:
    return Lit(text, lang="nl")


def en(text: str) -> Lit:
    return Lit(text, lang="en")


def integer(n: int) -> Lit:
    return Lit(str(int(n)), datatype=XSD_INTEGER)


def boolean(b: bool) -> Lit:
    return Lit("true" if b else "false", datatype=XSD_BOOLEAN)


_PN_LOCAL = re.compile(r"^[A-Za-z0-9_](?:[A-Za-z0-9_.-]*[A-Za-z0-9_-])?$")
_ESC = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t", "\b": "\\b", "\f": "\\f"}


def _iri_text(iri: str) -> str:
    for ch in iri:
        if ch in '<>"{}|^`\\' or ord(ch) <= 0x20:
            raise ValueError(f"character {ch!r} not allowed in IRI {iri!r}")
    return f"<{iri}>"


def term_text(t) -> str:
    if isinstance(t, IRI):
        if t == RDF_TYPE:
            return "a"
        for prefix, base in PREFIXES.items():
            if t.startswith(base):
                local = t[len(base) :]
                if _PN_LOCAL.match(local):
                    return f"{prefix}:{local}"
        return _iri_text(t)
    if isinstance(t, Lit):
        body = "".join(_ESC.get(ch, ch if ord(ch) >= 0x20 and ch != "\x7f" else f"\\u{ord(ch):04X}") for ch in t.value)
        text = f'"{body}"'
        if t.lang:
            return f"{text}@{t.lang}"
        if t.datatype:
            return f"{text}^^{term_text(IRI(t.datatype))}"
        return text
    raise TypeError(f"not a term: {t!r}")


def _sort_key(t):
    if isinstance(t, IRI):
        return (0, str(t), "", "")
    return (1, t.value, t.lang or "", t.datatype or "")


class Graph:
    def __init__(self):
        self.triples: set[tuple] = set()

    def add(self, s, p, o):
        if o is None:
            return
        if not isinstance(s, IRI) or not isinstance(p, IRI) or not isinstance(o, (IRI, Lit)):
            raise TypeError((s, p, o))
        self.triples.add((s, p, o))

    def __len__(self):
        return len(self.triples)

    def serialize(self, header: str) -> bytes:
        by_s: dict = defaultdict(lambda: defaultdict(list))
        for s, p, o in self.triples:
            by_s[s][p].append(o)
        used = set()
        body = []
        for s in sorted(by_s):
            preds = by_s[s]
            plist = sorted(preds, key=lambda p: (p != RDF_TYPE, p))
            lines = []
            for p in plist:
                objs = ", ".join(term_text(o) for o in sorted(preds[p], key=_sort_key))
                lines.append(f"    {term_text(p)} {objs}")
            body.append(f"{term_text(s)}\n" + " ;\n".join(lines) + " .\n")
        text = "\n".join(body)
        for prefix in PREFIXES:
            if f"{prefix}:" in text:
                used.add(prefix)
        out = io.StringIO()
        for line in header.strip().splitlines():
            out.write(f"# {line}\n".replace("# \n", "#\n"))
        out.write("\n")
        for prefix in sorted(used):
            out.write(f"@prefix {prefix}: <{PREFIXES[prefix]}> .\n")
        out.write("\n")
        out.write(text)
        return out.getvalue().encode("utf-8")


def write_file(path: Path, data: bytes, compress: bool) -> None:
    if compress:
        buf = io.BytesIO()
        with gzip.GzipFile(filename="", mode="wb", fileobj=buf, mtime=0, compresslevel=9) as gz:
            gz.write(data)
        data = buf.getvalue()
    path.write_bytes(data)


# ---------------------------------------------------------------------------------------------
# Monument types: Dutch and English singular labels, and their CHT matches (hand-checked)
# ---------------------------------------------------------------------------------------------
# SubCategorieMS -> (Dutch singular for labels, English singular / prefLabel@en)
TYPE_LABELS = {
    "Aanlegvoorziening": ("Aanlegvoorziening", "Mooring facility"),
    "Appartementengebouw": ("Appartementengebouw", "Apartment building"),
    "Bedieningsgebouw": ("Bedieningsgebouw", "Control building"),
    "Bedrijfs-,fabriekswoning": ("Bedrijfswoning", "Company house"),
    "Begraafplaats en -onderdl": ("Begraafplaats", "Cemetery"),
    "Bestuursgebouw en onderdl": ("Bestuursgebouw", "Administrative building"),
    "Bijgebouwen": ("Bijgebouw", "Outbuilding"),
    "Bijgebouwen kastelen enz.": ("Bijgebouw van kasteel of buitenplaats", "Outbuilding of a castle or country house"),
    "Boerderij": ("Boerderij", "Farmhouse"),
    "Brug": ("Brug", "Bridge"),
    "Crematorium": ("Crematorium", "Crematorium"),
    "Dienstwoning": ("Dienstwoning", "Service dwelling"),
    "Dierenverblijf": ("Dierenverblijf", "Animal shelter"),
    "Erfscheiding": ("Erfscheiding", "Boundary wall or fence"),
    "Fort, vesting en -onderdl": ("Vestingwerk", "Fortification"),
    "Gedenkteken": ("Gedenkteken", "Memorial"),
    "Gemaal": ("Gemaal", "Pumping station"),
    "Gerechtsgebouw": ("Gerechtsgebouw", "Courthouse"),
    "Gezondheidszorg": ("Gebouw voor gezondheidszorg", "Healthcare building"),
    "Gracht": ("Gracht", "Canal or moat"),
    "Grensafbakening": ("Grensafbakening", "Boundary marker"),
    "Handel en kantoor": ("Handels- of kantoorgebouw", "Commercial or office building"),
    "Horeca": ("Horecagebouw", "Inn, café or hotel"),
    "Industrie": ("Industriegebouw", "Industrial building"),
    "Industrie- en poldermolen": ("Molen", "Windmill"),
    "Kapel": ("Kapel", "Chapel"),
    "Kasteel, buitenplaats": ("Kasteel of buitenplaats", "Castle or country house"),
    "Kazemat": ("Kazemat", "Casemate"),
    "Kerk en kerkonderdeel": ("Kerk", "Church"),
    "Kerkelijke dienstwoning": ("Pastorie of kosterswoning", "Parsonage or sexton's house"),
    "Klooster, kloosteronderdl": ("Klooster", "Monastery"),
    "Kust- en oevermarkering": ("Kust- of oevermarkering", "Coastal or shore marker"),
    "Militair verblijfsgebouw": ("Militair verblijfsgebouw", "Military barracks"),
    "Militair wachtgebouw": ("Militair wachtgebouw", "Military guardhouse"),
    "Militaire opslagplaats": ("Militaire opslagplaats", "Military depot"),
    "Nijverheid": ("Nijverheidsgebouw", "Craft or trade building"),
    "Nutsbedrijf": ("Nutsgebouw", "Utility building"),
    "Omwalling": ("Omwalling", "Rampart"),
    "Onderdeel woningen e.d.": ("Onderdeel van een woning", "Part of a dwelling"),
    "Onderwijs en wetenschap": ("Onderwijsgebouw", "School or research building"),
    "Open verdedigingswerk": ("Open verdedigingswerk", "Open defence work"),
    "Opslag": ("Opslaggebouw", "Storage building"),
    "Overheidsgebouw": ("Overheidsgebouw", "Government building"),
    "Scheepshulpmiddel": ("Scheepshulpmiddel", "Shipping aid"),
    "Sociale zorg, liefdadigh.": ("Gebouw voor zorg en liefdadigheid", "Charitable care building"),
    "Sport en recreatie": ("Sport- of recreatiegebouw", "Sports or recreation building"),
    "Straatmeubilair": ("Straatmeubilair", "Street furniture"),
    "Transport": ("Transportgebouw", "Transport building"),
    "Tuin, park en plantsoen": ("Tuin of park", "Garden or park"),
    "Vanwege onderdelen kerk": ("Kerkonderdeel", "Church element"),
    "Vergadering en vereniging": ("Verenigingsgebouw", "Meeting or society building"),
    "Verkeersobject": ("Verkeersobject", "Traffic object"),
    "Versperring": ("Versperring", "Barrier"),
    "Voorwerk": ("Voorwerk", "Outwork"),
    "Waarnemingspost": ("Waarnemingspost", "Observation post"),
    "Waterkering en -doorlaat": ("Waterkering", "Flood defence or sluice"),
    "Waterweg, werf en haven": ("Waterweg, werf of haven", "Waterway, wharf or harbour"),
    "Weg": ("Weg", "Road"),
    "Welzijn, kunst en cultuur": ("Cultuurgebouw", "Cultural building"),
    "Werk-woonhuis": ("Werk-woonhuis", "House with workplace"),
    "Winkel": ("Winkel", "Shop"),
    "Woonhuis": ("Woonhuis", "House"),
}
UNTYPED_LABELS = ("Rijksmonument", "National monument")

# SubCategorieMS -> (kind, [CHT Dutch prefLabel or altLabel, plural lower case]).  The labels
# are looked up in the CHT at build time; kind "exact" = skos:exactMatch, "close" = closeMatch.
# Types not listed here have no good CHT match (an editorialNote says so).
CHT_MATCHES = {
    "Aanlegvoorziening": ("close", ["aanlegplaatsen"]),
    "Appartementengebouw": ("close", ["appartementsgebouwen"]),
    "Bedieningsgebouw": ("exact", ["bedieningsgebouwen"]),
    "Bedrijfs-,fabriekswoning": ("close", ["bedrijfswoningen"]),
    "Begraafplaats en -onderdl": ("close", ["begraafplaatsen"]),
    "Bestuursgebouw en onderdl": ("close", ["bestuursgebouwen"]),
    "Bijgebouwen": ("close", ["bijgebouwen"]),
    "Boerderij": ("exact", ["boerderijen"]),
    "Brug": ("exact", ["bruggen"]),
    "Crematorium": ("exact", ["crematoria"]),
    "Dienstwoning": ("exact", ["dienstwoningen"]),
    "Dierenverblijf": ("exact", ["dierenverblijven"]),
    "Erfscheiding": ("close", ["erfscheidingen"]),
    "Fort, vesting en -onderdl": ("close", ["forten (verdedigingswerk)", "vestingen"]),
    "Gedenkteken": ("exact", ["gedenktekens"]),
    "Gemaal": ("exact", ["gemalen"]),
    "Gerechtsgebouw": ("exact", ["gerechtsgebouwen"]),
    "Gezondheidszorg": ("close", ["verzorgingsgebouwen"]),
    "Gracht": ("exact", ["grachten"]),
    "Grensafbakening": ("close", ["grensmarkeringen"]),
    "Handel en kantoor": ("close", ["handelsgebouwen", "kantoorgebouwen"]),
    "Horeca": ("close", ["horecagebouwen"]),
    "Industrie": ("close", ["industriegebouwen"]),
    "Industrie- en poldermolen": ("close", ["molens"]),
    "Kapel": ("exact", ["kapellen (gebouw)"]),
    "Kasteel, buitenplaats": ("close", ["buitenplaatsen"]),
    "Kazemat": ("exact", ["kazematten"]),
    "Kerk en kerkonderdeel": ("close", ["kerken"]),
    "Kerkelijke dienstwoning": ("close", ["pastorieën"]),
    "Klooster, kloosteronderdl": ("close", ["kloosters"]),
    "Militair verblijfsgebouw": ("close", ["kazernes"]),
    "Militair wachtgebouw": ("exact", ["wachtgebouwen"]),
    "Militaire opslagplaats": ("close", ["munitiedepots"]),
    "Nutsbedrijf": ("close", ["nutsgebouwen"]),
    "Omwalling": ("close", ["wallen (verdedigingswerk)"]),
    "Onderwijs en wetenschap": ("close", ["onderwijsgebouwen"]),
    "Opslag": ("close", ["opslaggebouwen"]),
    "Overheidsgebouw": ("exact", ["overheidsgebouwen"]),
    "Sociale zorg, liefdadigh.": ("close", ["verzorgingsgebouwen"]),
    "Sport en recreatie": ("close", ["sportgebouwen", "recreatiegebouwen"]),
    "Straatmeubilair": ("exact", ["straatmeubilair"]),
    "Transport": ("close", ["transportgebouwen"]),
    "Tuin, park en plantsoen": ("close", ["tuinen", "parken"]),
    "Vergadering en vereniging": ("close", ["verenigingsgebouwen"]),
    "Versperring": ("exact", ["versperringen"]),
    "Voorwerk": ("exact", ["voorwerken"]),
    "Waarnemingspost": ("exact", ["waarnemingsposten"]),
    "Waterkering en -doorlaat": ("close", ["waterkeringen"]),
    "Waterweg, werf en haven": ("close", ["havens"]),
    "Weg": ("exact", ["wegen"]),
    "Welzijn, kunst en cultuur": ("close", ["cultuurgebouwen"]),
    "Winkel": ("exact", ["winkels"]),
    "Woonhuis": ("exact", ["woonhuizen"]),
}
# Why the others have no match (shown in the editorialNote and the README table).
NO_MATCH_REASONS = {
    "Bijgebouwen kastelen enz.": "the CHT 'bijgebouwen' sits under 'boerderijen' (farm outbuildings)",
    "Kust- en oevermarkering": "the category spans beacons, lighthouses and markers; no single CHT concept",
    "Nijverheid": "CHT 'nijverheid' is an economic concept, not a building type",
    "Onderdeel woningen e.d.": "a residual category (parts of dwellings) with no CHT counterpart",
    "Open verdedigingswerk": "no CHT concept for open (earthen) defence works; only the broad 'verdedigingswerken'",
    "Scheepshulpmiddel": "no CHT concept for shipping aids",
    "Vanwege onderdelen kerk": "protected for parts of a church; not a building type",
    "Verkeersobject": "no CHT concept for traffic objects",
    "Werk-woonhuis": "no CHT concept for a combined work and living house",
}


def slugify(text: str) -> str:
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii").lower()
    return re.sub(r"[^a-z0-9]+", "-", text).strip("-")


def place_iri(number: str) -> IRI:
    return IRI(f"id/place/rm-{number}")


def type_iri(subcat: str) -> IRI:
    return IRI(f"id/type/{slugify(subcat)}")


def register_url(number: str) -> IRI:
    return IRI(f"https://monumentenregister.cultureelerfgoed.nl/monumenten/{number}")


# ---------------------------------------------------------------------------------------------
# Monuments
# ---------------------------------------------------------------------------------------------
def clean(value: str | None) -> str:
    return (value or "").strip()


def read_monuments(path: Path) -> list[dict]:
    with path.open(encoding="utf-8", newline="") as f:
        rows = [{k: clean(v) for k, v in row.items()} for row in csv.DictReader(f)]
    rows.sort(key=lambda r: int(r["NummerRijksmonument"]))
    return rows


def year(value: str) -> int | None:
    if value and value.isdigit() and int(value) > 0:
        return int(value)
    return None


def monument_labels(row: dict) -> tuple[str, str]:
    name = row["NaamRijksmonument"]
    if name:
        return name, name
    subcat = row["SubCategorieMS"]
    nl_type, en_type = TYPE_LABELS.get(subcat, (subcat, subcat)) if subcat else UNTYPED_LABELS
    parts = [p for p in (row["Adres"], row["Plaats"]) if p]
    return ", ".join([nl_type, *parts]), ", ".join([en_type, *parts])


def build_monuments(rows: list[dict]) -> Graph:
    g = Graph()
    for row in rows:
        num = row["NummerRijksmonument"]
        s = place_iri(num)
        g.add(s, RDF_TYPE, ns("pvb", "HeritagePlace"))
        g.add(s, RDF_TYPE, ns("schema", "LandmarksOrHistoricalBuildings"))
        label_nl, label_en = monument_labels(row)
        g.add(s, ns("rdfs", "label"), nl(label_nl))
        g.add(s, ns("rdfs", "label"), en(label_en))
        if row["NaamRijksmonument"]:
            g.add(s, ns("schema", "name"), nl(row["NaamRijksmonument"]))
        g.add(s, ns("dcterms", "identifier"), Lit(num))
        if row["SubCategorieMS"]:
            g.add(s, ns("dcterms", "type"), type_iri(row["SubCategorieMS"]))
        start, end = year(row["BouwjaarBegin"]), year(row["BouwjaarEind"])
        if start is not None:
            g.add(s, ns("pvb", "buildYearStart"), integer(start))
        if end is not None:
            g.add(s, ns("pvb", "buildYearEnd"), integer(end))
        addr = IRI(f"{s}#address")
        g.add(s, ns("schema", "address"), addr)
        g.add(addr, RDF_TYPE, ns("schema", "PostalAddress"))
        if row["Adres"]:
            g.add(addr, ns("schema", "streetAddress"), Lit(row["Adres"]))
        if row["Postcode"]:
            g.add(addr, ns("schema", "postalCode"), Lit(row["Postcode"]))
        g.add(addr, ns("schema", "addressLocality"), Lit(row["Plaats"]))
        g.add(addr, ns("schema", "addressRegion"), Lit(row["Provincie"]))
        g.add(addr, ns("schema", "addressCountry"), Lit("NL"))
        g.add(s, ns("pvb", "municipality"), Lit(row["Gemeente"]))
        g.add(s, ns("pvb", "province"), Lit(row["Provincie"]))
        if row["Status"]:
            g.add(s, ns("pvb", "protectionStatus"), Lit(row["Status"]))
        if row["Situering"]:
            g.add(s, ns("pvb", "situation"), nl(row["Situering"]))
        lat, lon = row["lat"], row["long"]
        float(lat), float(lon)  # fail loudly on a malformed coordinate
        g.add(s, ns("geo", "lat"), Lit(lat, datatype=XSD_DOUBLE))
        g.add(s, ns("geo", "long"), Lit(lon, datatype=XSD_DOUBLE))
        geom = IRI(f"{s}#geometry")
        g.add(s, ns("gsp", "hasGeometry"), geom)
        g.add(geom, RDF_TYPE, ns("gsp", "Geometry"))
        g.add(geom, ns("gsp", "asWKT"), Lit(f"POINT({lon} {lat})", datatype=WKT))
        g.add(s, ns("schema", "url"), register_url(num))
    return g


# ---------------------------------------------------------------------------------------------
# CHT subset and the monument-type scheme
# ---------------------------------------------------------------------------------------------
SKOS = PREFIXES["skos"]
CHT_SCHEME = "https://data.cultureelerfgoed.nl/term/id/cht/b532325c-dc08-49db-b4f1-15e53b037ec3"
CHT_KEEP = {
    SKOS + p
    for p in (
        "prefLabel",
        "altLabel",
        "broader",
        "inScheme",
        "topConceptOf",
        "hasTopConcept",
        "scopeNote",
        "exactMatch",
    )
}


def read_cht(path: Path) -> dict:
    """All CHT triples with the kept predicates, plus rdf:type skos:*, indexed by subject."""
    data: dict = defaultdict(lambda: defaultdict(set))
    with gzip.open(path, "rb") as f:
        for t in ox.parse(f, format=ox.RdfFormat.N_TRIPLES):
            if not isinstance(t.subject, ox.NamedNode):
                continue
            p = t.predicate.value
            o = t.object
            if p == RDF_TYPE:
                if isinstance(o, ox.NamedNode) and o.value.startswith(SKOS):
                    data[t.subject.value][p].add(IRI(o.value))
                continue
            if p not in CHT_KEEP and p != PREFIXES["rdfs"] + "label":
                continue
            if isinstance(o, ox.NamedNode):
                data[t.subject.value][p].add(IRI(o.value))
            elif isinstance(o, ox.Literal):
                if o.language:
                    data[t.subject.value][p].add(Lit(o.value, lang=o.language))
                elif o.datatype.value == PREFIXES["xsd"] + "string":
                    data[t.subject.value][p].add(Lit(o.value))
                else:
                    data[t.subject.value][p].add(Lit(o.value, datatype=o.datatype.value))
    return data


def cht_label_index(cht: dict) -> dict[str, list[tuple[int, str]]]:
    index: dict = defaultdict(list)
    for s, preds in cht.items():
        for rank, p in ((0, SKOS + "prefLabel"), (1, SKOS + "altLabel")):
            for lit in preds.get(p, ()):
                if lit.lang == "nl":
                    index[lit.value.lower()].append((rank, s))
    return index


def pref_nl(cht: dict, iri: str) -> str:
    labels = sorted(lit.value for lit in cht.get(iri, {}).get(SKOS + "prefLabel", ()) if lit.lang == "nl")
    return labels[0] if labels else iri


def build_cht(rows: list[dict], cht: dict) -> tuple[Graph, list[tuple]]:
    g = Graph()
    scheme = IRI("id/scheme/monument-types")
    g.add(scheme, RDF_TYPE, ns("skos", "ConceptScheme"))
    g.add(scheme, ns("skos", "prefLabel"), nl("Monumenttypen van de Rijksdienst voor het Cultureel Erfgoed"))
    g.add(scheme, ns("skos", "prefLabel"), en("Monument types of the Cultural Heritage Agency of the Netherlands"))
    g.add(scheme, ns("rdfs", "label"), nl("Monumenttypen (RCE)"))
    g.add(scheme, ns("rdfs", "label"), en("Monument types (RCE)"))
    g.add(
        scheme,
        ns("dcterms", "description"),
        en(
            "The types (SubCategorieMS) used in the RCE register of national monuments, as found in the "
            "2015 export for Friesland, Groningen and Drenthe, matched to the RCE Cultuurhistorische "
            "Thesaurus (CHT)."
        ),
    )

    index = cht_label_index(cht)
    counts: dict[str, int] = defaultdict(int)
    for row in rows:
        if row["SubCategorieMS"]:
            counts[row["SubCategorieMS"]] += 1
    table = []
    matched_cht: set[str] = set()
    for subcat in sorted(counts):
        c = type_iri(subcat)
        if subcat not in TYPE_LABELS:
            raise SystemExit(f"no hand-written labels for monument type {subcat!r}")
        g.add(c, RDF_TYPE, ns("skos", "Concept"))
        g.add(c, ns("skos", "inScheme"), scheme)
        g.add(c, ns("skos", "topConceptOf"), scheme)
        g.add(scheme, ns("skos", "hasTopConcept"), c)
        g.add(c, ns("skos", "prefLabel"), nl(subcat))
        g.add(c, ns("skos", "prefLabel"), en(TYPE_LABELS[subcat][1]))
        g.add(c, ns("skos", "notation"), Lit(subcat))
        if subcat in CHT_MATCHES:
            kind, labels = CHT_MATCHES[subcat]
            prop = ns("skos", "exactMatch" if kind == "exact" else "closeMatch")
            targets = []
            for label in labels:
                hits = sorted(index.get(label, []))
                if not hits:
                    raise SystemExit(f"CHT label {label!r} (for {subcat!r}) not found")
                if len({s for _, s in hits}) > 1 and hits[0][0] == hits[1][0]:
                    raise SystemExit(f"CHT label {label!r} is ambiguous: {hits}")
                target = hits[0][1]
                targets.append(target)
                g.add(c, prop, IRI(target))
                matched_cht.add(target)
            table.append((subcat, counts[subcat], kind, [(t, pref_nl(cht, t)) for t in targets], ""))
        else:
            reason = NO_MATCH_REASONS[subcat]
            g.add(
                c,
                ns("skos", "editorialNote"),
                en(f"No good match in the RCE Cultuurhistorische Thesaurus (CHT): {reason}."),
            )
            table.append((subcat, counts[subcat], "none", [], reason))
    unknown = (set(CHT_MATCHES) | set(NO_MATCH_REASONS)) - set(counts)
    if unknown:
        raise SystemExit(f"match table names types not in the data: {sorted(unknown)}")

    # Matched CHT concepts with their full broader chains.
    todo, included = sorted(matched_cht), set()
    while todo:
        iri = todo.pop()
        if iri in included:
            continue
        included.add(iri)
        todo.extend(sorted(str(b) for b in cht.get(iri, {}).get(SKOS + "broader", ())))
    schemes = set()
    for iri in sorted(included):
        preds = cht.get(iri, {})
        s = IRI(iri)
        g.add(s, RDF_TYPE, ns("skos", "Concept"))
        for p in sorted(CHT_KEEP):
            for o in preds.get(p, ()):
                if p == SKOS + "broader" and str(o) not in included:
                    continue
                if p in (SKOS + "inScheme", SKOS + "topConceptOf"):
                    schemes.add(str(o))
                if p == SKOS + "topConceptOf":
                    g.add(IRI(str(o)), ns("skos", "hasTopConcept"), s)
                if p == SKOS + "hasTopConcept":
                    continue
                g.add(s, IRI(p), o)
    for sch in sorted(schemes):
        s = IRI(sch)
        g.add(s, RDF_TYPE, ns("skos", "ConceptScheme"))
        labels = [
            (IRI(p), o) for p in (SKOS + "prefLabel", PREFIXES["rdfs"] + "label") for o in cht.get(sch, {}).get(p, ())
        ]
        if not labels and sch == CHT_SCHEME:
            # The 2021 dump has no triples about the scheme itself: name it here.
            labels = [
                (ns("skos", "prefLabel"), nl("Cultuurhistorische Thesaurus")),
                (ns("skos", "prefLabel"), en("Cultural Heritage Thesaurus")),
                (ns("rdfs", "label"), nl("Cultuurhistorische Thesaurus")),
                (ns("rdfs", "label"), en("Cultural Heritage Thesaurus")),
            ]
            g.add(
                s,
                ns("skos", "editorialNote"),
                en("Label added by Plaatsen van Betekenis: the CHT 2021 dump holds no label for its scheme."),
            )
            g.add(s, ns("dcterms", "publisher"), IRI("id/institution/rce"))
        for p, o in labels:
            g.add(s, p, o)
    return g, table


# ---------------------------------------------------------------------------------------------
# Sample context: stories, collections, sources, institutions, tourist information
# ---------------------------------------------------------------------------------------------
SAMPLE_NOTE_NL = "Voorbeeldinhoud, geschreven voor de demo van Plaatsen van Betekenis; geen officiële informatie."
SAMPLE_NOTE_EN = "Sample content written for the Plaatsen van Betekenis demo; not official information."


# 11 rows of the 2015 export share a placeholder position in France; keep them out of the samples.
PLACEHOLDER_POSITION = ("47.974765885163", "3.313557634774")


def has_real_position(row: dict) -> bool:
    return (row["lat"], row["long"]) != PLACEHOLDER_POSITION


def select(rows, limit=None, order=None, **where):
    out = [r for r in rows if has_real_position(r) and all(r[k] == v for k, v in where.items())]
    out.sort(key=order or (lambda r: int(r["NummerRijksmonument"])))
    return out[:limit] if limit else out


def mark_sample(g: Graph, s: IRI, desc_nl: str | None = None, desc_en: str | None = None) -> None:
    g.add(s, ns("pvb", "sampleContent"), boolean(True))
    g.add(s, ns("dcterms", "description"), nl(f"{desc_nl} {SAMPLE_NOTE_NL}" if desc_nl else SAMPLE_NOTE_NL))
    g.add(s, ns("dcterms", "description"), en(f"{desc_en} {SAMPLE_NOTE_EN}" if desc_en else SAMPLE_NOTE_EN))


def add_work(g, iri, classes, title_nl, title_en, desc_nl, desc_en, places, publisher):
    s = IRI(iri)
    for cls in classes:
        g.add(s, RDF_TYPE, cls)
    g.add(s, ns("dcterms", "title"), nl(title_nl))
    g.add(s, ns("dcterms", "title"), en(title_en))
    g.add(s, ns("rdfs", "label"), nl(title_nl))
    g.add(s, ns("rdfs", "label"), en(title_en))
    mark_sample(g, s, desc_nl, desc_en)
    if not places:
        raise SystemExit(f"{iri}: no monuments selected")
    for r in places:
        g.add(s, ns("dcterms", "spatial"), place_iri(r["NummerRijksmonument"]))
    if publisher:
        g.add(s, ns("dcterms", "publisher"), IRI(publisher))
    return s


def names(places):
    return ", ".join(monument_labels(r)[0] for r in places)


def build_context(rows: list[dict]) -> tuple[Graph, list[tuple[str, list[str]]]]:
    g = Graph()
    by_num = {r["NummerRijksmonument"]: r for r in rows}
    rce, society, editors = (
        "id/institution/rce",
        "id/institution/historische-vereniging-achtkarspelen",
        "id/institution/pvb-redactie",
    )

    # Institutions
    s = IRI(rce)
    for cls in (
        ns("pvb", "Institution"),
        ns("foaf", "Organization"),
        ns("schema", "Organization"),
        ns("org", "Organization"),
    ):
        g.add(s, RDF_TYPE, cls)
    g.add(s, ns("foaf", "name"), nl("Rijksdienst voor het Cultureel Erfgoed"))
    g.add(s, ns("foaf", "name"), en("Cultural Heritage Agency of the Netherlands"))
    g.add(s, ns("rdfs", "label"), nl("Rijksdienst voor het Cultureel Erfgoed"))
    g.add(s, ns("rdfs", "label"), en("Cultural Heritage Agency of the Netherlands"))
    g.add(s, ns("schema", "url"), IRI("https://www.cultureelerfgoed.nl/"))
    mark_sample(
        g, s, "Echte instelling; deze beschrijving is beknopt.", "A real institution; this description is brief."
    )
    s = IRI(society)
    for cls in (
        ns("pvb", "Institution"),
        ns("foaf", "Organization"),
        ns("schema", "Organization"),
        ns("org", "Organization"),
    ):
        g.add(s, RDF_TYPE, cls)
    g.add(s, ns("foaf", "name"), nl("Historische Vereniging Achtkarspelen (voorbeeld)"))
    g.add(s, ns("rdfs", "label"), nl("Historische Vereniging Achtkarspelen (voorbeeld)"))
    g.add(s, ns("rdfs", "label"), en("Achtkarspelen Historical Society (sample)"))
    mark_sample(g, s, "Een verzonnen lokale erfgoedvereniging.", "A made-up local heritage society.")
    s = IRI(editors)
    for cls in (
        ns("pvb", "Institution"),
        ns("foaf", "Organization"),
        ns("schema", "Organization"),
        ns("org", "Organization"),
    ):
        g.add(s, RDF_TYPE, cls)
    g.add(s, ns("foaf", "name"), nl("Redactie Plaatsen van Betekenis"))
    g.add(s, ns("rdfs", "label"), nl("Redactie Plaatsen van Betekenis"))
    g.add(s, ns("rdfs", "label"), en("Plaatsen van Betekenis editors"))
    mark_sample(g, s, "De redactie van dit platform.", "The editors of this platform.")

    story_classes = (ns("pvb", "Story"), ns("schema", "CreativeWork"))
    coll_classes = (ns("pvb", "Collection"), ns("schema", "Collection"))
    stories = []

    def story(key, tnl, ten, dnl, den, places, publisher):
        add_work(g, f"id/story/{key}", story_classes, tnl, ten, dnl, den, places, publisher)
        stories.append((f"id/story/{key}", [r["NummerRijksmonument"] for r in places]))

    mills_ak = select(rows, Gemeente="Achtkarspelen", SubCategorieMS="Industrie- en poldermolen")
    story(
        "molens-van-achtkarspelen",
        "De molens van Achtkarspelen",
        "The mills of Achtkarspelen",
        f"Een wandeling langs de rijksmonumentale molens van Achtkarspelen: {names(mills_ak)}.",
        f"A walk past the listed mills of Achtkarspelen: {names(mills_ak)}.",
        mills_ak,
        society,
    )

    churches_ak = select(rows, Gemeente="Achtkarspelen", SubCategorieMS="Kerk en kerkonderdeel")
    assert any(r["NummerRijksmonument"] == "7032" for r in churches_ak)
    story(
        "dorpskerken-van-achtkarspelen",
        "Dorpskerken van Achtkarspelen",
        "Village churches of Achtkarspelen",
        "Van Augustinusga tot Twijzel: de kerken die de dorpen van Achtkarspelen hun silhouet geven, "
        "te beginnen bij de kerk aan de Geawei in Augustinusga.",
        "From Augustinusga to Twijzel: the churches that give the villages of Achtkarspelen their "
        "skyline, starting with the church on the Geawei in Augustinusga.",
        churches_ak,
        society,
    )

    churches_lp = select(rows, limit=8, Gemeente="Loppersum", SubCategorieMS="Kerk en kerkonderdeel")
    story(
        "kerken-van-loppersum",
        "Kerken van Groningen: Loppersum",
        "Churches of Groningen: Loppersum",
        "Middeleeuwse dorpskerken op de wierden van Loppersum, in " + ", ".join(r["Plaats"] for r in churches_lp) + ".",
        "Medieval village churches on the dwelling mounds of Loppersum, in "
        + ", ".join(r["Plaats"] for r in churches_lp)
        + ".",
        churches_lp,
        editors,
    )

    farms = select(
        rows,
        limit=8,
        order=lambda r: (float(r["long"]), int(r["NummerRijksmonument"])),
        Gemeente="Westerveld",
        Plaats="Havelte",
        SubCategorieMS="Boerderij",
    )
    story(
        "boerderijenroute-havelte",
        "Boerderijenroute Havelte",
        "Farmhouse route Havelte",
        "Een fietsroute van west naar oost langs Drentse boerderijen in Havelte: "
        + "; ".join(r["Adres"] or r["Plaats"] for r in farms)
        + ".",
        "A cycling route from west to east past Drenthe farmhouses in Havelte: "
        + "; ".join(r["Adres"] or r["Plaats"] for r in farms)
        + ".",
        farms,
        editors,
    )

    borgen = [
        r for r in select(rows, Provincie="Groningen", SubCategorieMS="Kasteel, buitenplaats") if r["NaamRijksmonument"]
    ][:8]
    story(
        "borgen-van-groningen",
        "Borgen van Groningen",
        "Borgs of Groningen",
        f"De Groninger borgen, landhuizen van de oude adel: {names(borgen)}.",
        f"The borgs of Groningen, manor houses of the old gentry: {names(borgen)}.",
        borgen,
        editors,
    )

    pumps = select(rows, SubCategorieMS="Gemaal")
    story(
        "gemalen-droge-voeten",
        "Gemalen: droge voeten in het noorden",
        "Pumping stations: dry feet in the north",
        "Stoom- en elektrische gemalen die het laagland van Friesland, Groningen en Drenthe droog houden.",
        "Steam and electric pumping stations that keep the lowlands of Friesland, Groningen and Drenthe dry.",
        pumps,
        editors,
    )

    # Collections
    named_mills = [r for r in select(rows, SubCategorieMS="Industrie- en poldermolen") if r["NaamRijksmonument"]][:12]
    add_work(
        g,
        "id/collection/molens-noord-nederland",
        coll_classes,
        "Molens in Noord-Nederland",
        "Mills in the northern Netherlands",
        "Een selectie van molens met een naam.",
        "A selection of named mills.",
        named_mills,
        editors,
    )
    staten = [
        r for r in select(rows, Provincie="Friesland", SubCategorieMS="Kasteel, buitenplaats") if r["NaamRijksmonument"]
    ][:10]
    add_work(
        g,
        "id/collection/friese-staten",
        coll_classes,
        "Friese staten en stinzen",
        "Frisian states and stins",
        "Adellijke huizen en buitenplaatsen in Friesland.",
        "Noble houses and country estates in Friesland.",
        staten,
        editors,
    )
    augustinusga = select(rows, Plaats="Augustinusga")
    add_work(
        g,
        "id/collection/erfgoed-augustinusga",
        coll_classes,
        "Erfgoed van Augustinusga",
        "Heritage of Augustinusga",
        "Alle rijksmonumenten in het dorp Augustinusga.",
        "All national monuments in the village of Augustinusga.",
        augustinusga,
        society,
    )
    forts = select(rows, SubCategorieMS="Fort, vesting en -onderdl")
    add_work(
        g,
        "id/collection/vestingwerken",
        coll_classes,
        "Vestingwerken",
        "Fortifications",
        "Forten, vestingen en hun onderdelen.",
        "Forts, fortified towns and their parts.",
        forts,
        editors,
    )

    # Sources
    src = ns("pvb", "Source")
    s = add_work(
        g,
        "id/source/rce-register-rm-7032",
        (src, ns("pvb", "WebPage"), ns("schema", "WebPage")),
        "Monumentenregister: monument 7032 (Augustinusga)",
        "Monument register: monument 7032 (Augustinusga)",
        "De registerpagina van de Rijksdienst voor het Cultureel Erfgoed.",
        "The register page of the Cultural Heritage Agency.",
        [by_num["7032"]],
        rce,
    )
    g.add(s, ns("schema", "url"), register_url("7032"))
    s = add_work(
        g,
        "id/source/kerkvoogdij-achtkarspelen",
        (src, ns("pvb", "ArchivalRecord")),
        "Archief van de kerkvoogdijen in Achtkarspelen, 1800-1950",
        "Records of the church wardens in Achtkarspelen, 1800-1950",
        "Een verzonnen archiefbeschrijving: rekeningen en bestekken voor onderhoud van de kerken.",
        "A made-up archival description: accounts and specifications for church maintenance.",
        churches_ak,
        society,
    )
    g.add(s, ns("dcterms", "temporal"), Lit("1800/1950"))
    s = add_work(
        g,
        "id/source/dorpsarchief-augustinusga",
        (src, ns("pvb", "ArchivalRecord")),
        "Dorpsarchief Augustinusga: foto's en kaarten",
        "Augustinusga village archive: photographs and maps",
        "Een verzonnen dorpsarchief met foto's van de Geawei, de kerk en de boerderijen.",
        "A made-up village archive with photographs of the Geawei, the church and the farms.",
        augustinusga,
        society,
    )
    s = add_work(
        g,
        "id/source/molenrapport-achtkarspelen",
        (src, ns("pvb", "Document"), ns("schema", "Report")),
        "Molenrapport Achtkarspelen",
        "Mill report Achtkarspelen",
        "Een verzonnen inventarisatierapport over de staat van de molens.",
        "A made-up survey report on the condition of the mills.",
        mills_ak,
        society,
    )
    for _key, rec in (
        ("borgen", borgen[0]),
        ("molen", named_mills[0]),
        ("gemaal", next(r for r in pumps if r["NaamRijksmonument"])),
    ):
        name = rec["NaamRijksmonument"]
        same_name = [r for r in rows if r["NaamRijksmonument"] == name and has_real_position(r)]
        s = add_work(
            g,
            f"id/source/wikipedia-{slugify(name)}",
            (src, ns("pvb", "WebPage"), ns("schema", "WebPage")),
            f"Wikipedia: {name}",
            f"Wikipedia: {name}",
            "Een Wikipedia-adres, opgebouwd uit de naam van het monument (de "
            "pagina kan ontbreken of over iets anders gaan).",
            "A Wikipedia address built from the monument's name (the page may be missing or about something else).",
            same_name,
            None,
        )
        g.add(
            s, ns("schema", "url"), IRI("https://nl.wikipedia.org/wiki/" + name.replace(" ", "_").replace("'", "%27"))
        )
    s = add_work(
        g,
        "id/source/rce-register-loppersum",
        (src, ns("pvb", "WebPage"), ns("schema", "WebPage")),
        "Monumentenregister: kerken in Loppersum",
        "Monument register: churches in Loppersum",
        "Registerpagina's van de kerken uit het verhaal over Loppersum.",
        "Register pages of the churches in the Loppersum story.",
        churches_lp,
        rce,
    )
    for r in churches_lp:
        g.add(s, ns("schema", "url"), register_url(r["NummerRijksmonument"]))

    # Tourist information, on the places themselves (schema.org), with sample-marked nodes.
    visits = [
        (
            by_num["7032"],
            True,
            [("Saturday", "13:30", "16:30"), ("Sunday", "13:30", "16:30")],
            "2024-05-01",
            "2024-09-30",
        ),
        (mills_ak[0], True, [("Saturday", "10:00", "16:00")], None, None),
        (
            churches_lp[0],
            True,
            [("Wednesday", "13:00", "17:00"), ("Saturday", "11:00", "17:00")],
            "2024-04-01",
            "2024-10-31",
        ),
        (
            borgen[0],
            False,
            [
                ("Tuesday", "11:00", "17:00"),
                ("Wednesday", "11:00", "17:00"),
                ("Thursday", "11:00", "17:00"),
                ("Friday", "11:00", "17:00"),
                ("Saturday", "11:00", "17:00"),
                ("Sunday", "11:00", "17:00"),
            ],
            None,
            None,
        ),
    ]
    for rec, free, hours, valid_from, valid_through in visits:
        p = place_iri(rec["NummerRijksmonument"])
        g.add(p, ns("schema", "isAccessibleForFree"), boolean(free))
        g.add(p, ns("schema", "publicAccess"), boolean(True))
        g.add(p, ns("schema", "url"), IRI(f"https://example.org/pvb-sample/bezoek/rm-{rec['NummerRijksmonument']}"))
        for i, (day, opens, closes) in enumerate(hours, start=1):
            h = IRI(f"{p}#hours-{i}")
            g.add(p, ns("schema", "openingHoursSpecification"), h)
            g.add(h, RDF_TYPE, ns("schema", "OpeningHoursSpecification"))
            g.add(h, ns("schema", "dayOfWeek"), ns("schema", day))
            g.add(h, ns("schema", "opens"), Lit(opens + ":00", datatype=XSD_TIME))
            g.add(h, ns("schema", "closes"), Lit(closes + ":00", datatype=XSD_TIME))
            if valid_from:
                g.add(h, ns("schema", "validFrom"), Lit(valid_from, datatype=XSD_DATE))
                g.add(h, ns("schema", "validThrough"), Lit(valid_through, datatype=XSD_DATE))
            g.add(h, ns("pvb", "sampleContent"), boolean(True))
            g.add(h, ns("rdfs", "comment"), en(SAMPLE_NOTE_EN))
        f = IRI(f"{p}#wheelchair-access")
        g.add(p, ns("schema", "amenityFeature"), f)
        g.add(f, RDF_TYPE, ns("schema", "LocationFeatureSpecification"))
        g.add(f, ns("schema", "name"), nl("Rolstoeltoegankelijk"))
        g.add(f, ns("schema", "name"), en("Wheelchair accessible"))
        g.add(f, ns("schema", "value"), boolean(rec is not borgen[0]))
        g.add(f, ns("pvb", "sampleContent"), boolean(True))
        g.add(f, ns("rdfs", "comment"), en(SAMPLE_NOTE_EN))
    return g, stories


# ---------------------------------------------------------------------------------------------
# Catalogue
# ---------------------------------------------------------------------------------------------
CSV_SOURCE = "https://github.com/jolietjakeblues/monumenten-en-locatie/blob/a17470f6/Monumentendata/RCE_Rijksmonumenten_gebouwd.csv"
CHT_SOURCE = "https://github.com/TREEcg/demo_data/tree/bd40ebbd/cht"
CC0 = IRI("http://creativecommons.org/publicdomain/zero/1.0/")


def build_catalogue(counts: dict[str, int]) -> Graph:
    g = Graph()
    act = IRI("id/activity/build-sample-data")
    g.add(act, RDF_TYPE, ns("prov", "Activity"))
    g.add(act, ns("rdfs", "label"), Lit(f"python {SCRIPT_PATH}"))
    g.add(
        act,
        ns("rdfs", "comment"),
        en(f"Run of {SCRIPT_PATH} in the Plaatsen van Betekenis repository, which builds the sample data in data/."),
    )
    g.add(act, ns("prov", "used"), IRI(CSV_SOURCE))
    g.add(act, ns("prov", "used"), IRI(CHT_SOURCE))
    g.add(act, ns("prov", "wasAssociatedWith"), IRI("id/institution/pvb-redactie"))
    datasets = [
        (
            "rce-monuments",
            "Rijksmonumenten in Friesland, Groningen en Drenthe (2015)",
            "National monuments in Friesland, Groningen and Drenthe (2015)",
            "De 8.025 gebouwde rijksmonumenten uit de RCE-export van 2015, met type, adres, bouwjaren en coördinaten.",
            "The 8,025 built national monuments from the 2015 RCE export, "
            "with type, address, build years and coordinates.",
            CC0,
            [CSV_SOURCE],
            "id/institution/rce",
            "rce-monuments.ttl.gz",
        ),
        (
            "cht",
            "Monumenttypen en Cultuurhistorische Thesaurus (deelverzameling)",
            "Monument types and Cultural-historical Thesaurus (subset)",
            "Het schema van RCE-monumenttypen met overeenkomsten naar de CHT, en "
            "de gebruikte CHT-begrippen met hun bredere begrippen.",
            "The scheme of RCE monument types with matches to the CHT, and the "
            "CHT concepts used with their broader concepts.",
            CC0,
            [CHT_SOURCE, CSV_SOURCE],
            "id/institution/rce",
            "cht.ttl.gz",
        ),
        (
            "sample-context",
            "Voorbeeldcontext: verhalen, collecties, bronnen",
            "Sample context: stories, collections, sources",
            "Voorbeeldinhoud, geschreven voor de demo: verhalen, collecties, bronnen, "
            "instellingen en bezoekersinformatie bij echte rijksmonumenten.",
            "Sample content written for the demo: stories, collections, sources, "
            "institutions and visitor information about real national monuments.",
            CC0,
            [CSV_SOURCE],
            "id/institution/pvb-redactie",
            "sample-context.ttl",
        ),
    ]
    for key, tnl, ten, dnl, den, lic, sources, publisher, fname in datasets:
        d = IRI(f"id/dataset/{key}")
        g.add(d, RDF_TYPE, ns("dcat", "Dataset"))
        g.add(d, RDF_TYPE, ns("void", "Dataset"))
        g.add(d, ns("dcterms", "title"), nl(tnl))
        g.add(d, ns("dcterms", "title"), en(ten))
        g.add(d, ns("dcterms", "description"), nl(dnl))
        g.add(d, ns("dcterms", "description"), en(den))
        g.add(d, ns("dcterms", "license"), lic)
        g.add(d, ns("dcterms", "publisher"), IRI(publisher))
        g.add(d, ns("dcterms", "identifier"), Lit(key))
        for src in sources:
            g.add(d, ns("dcterms", "source"), IRI(src))
            g.add(d, ns("prov", "wasDerivedFrom"), IRI(src))
        g.add(d, ns("prov", "wasGeneratedBy"), act)
        g.add(d, ns("void", "triples"), integer(counts[key]))
        g.add(d, ns("dcat", "keyword"), nl("erfgoed"))
        g.add(d, ns("dcat", "keyword"), en("heritage"))
        g.add(d, ns("dcterms", "spatial"), IRI("http://sws.geonames.org/2750405/"))  # the Netherlands
        dist = IRI(f"id/dataset/{key}#distribution")
        g.add(d, ns("dcat", "distribution"), dist)
        g.add(dist, RDF_TYPE, ns("dcat", "Distribution"))
        g.add(dist, ns("dcterms", "title"), Lit(f"data/{fname}"))
        g.add(dist, ns("dcat", "mediaType"), IRI("https://www.iana.org/assignments/media-types/text/turtle"))
        if fname.endswith(".gz"):
            g.add(
                dist, ns("dcat", "compressFormat"), IRI("https://www.iana.org/assignments/media-types/application/gzip")
            )
        g.add(dist, ns("dcterms", "license"), lic)
        if key == "sample-context":
            g.add(d, ns("pvb", "sampleContent"), boolean(True))
    return g


# ---------------------------------------------------------------------------------------------
# Main
# ---------------------------------------------------------------------------------------------
def check_parse(data: bytes, expected: int, name: str) -> None:
    store = ox.Store()
    store.load(data, format=ox.RdfFormat.TURTLE, base_iri=CHECK_BASE)
    if len(store) != expected:
        raise SystemExit(f"{name}: re-parsed {len(store)} triples, expected {expected}")


def match_table_markdown(table) -> str:
    lines = ["| RCE type (SubCategorieMS) | monuments | match | CHT concept(s) |", "| --- | ---: | --- | --- |"]
    for subcat, n, kind, targets, reason in table:
        if targets:
            cell = "; ".join(f"[{label}]({iri})" for iri, label in targets)
            kind = f"skos:{kind}Match"
        else:
            cell = f"— ({reason})"
            kind = "none"
        lines.append(f"| {subcat} | {n} | {kind} | {cell} |")
    return "\n".join(lines)


def main(argv=None) -> int:
    root = Path(__file__).resolve().parent.parent
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--shared", type=Path, default=root.parent / "shared" / "data", help="folder with the source data")
    ap.add_argument("--out", type=Path, default=root / "data", help="output folder (default: data/)")
    ap.add_argument("--match-table", type=Path, help="also write the type match table (Markdown) here")
    args = ap.parse_args(argv)

    rows = read_monuments(args.shared / CSV_NAME)
    cht = read_cht(args.shared / CHT_NAME)

    monuments = build_monuments(rows)
    types, table = build_cht(rows, cht)
    context, stories = build_context(rows)
    counts = {"rce-monuments": len(monuments), "cht": len(types), "sample-context": len(context)}
    catalogue = build_catalogue(counts)

    header = (
        "{what}\nGenerated by " + SCRIPT_PATH + " -- do not edit by hand.\n"
        "Relative IRIs: load with a base IRI (e.g. http://localhost:8000/).\n{source}"
    )
    src_csv = "Source: RCE rijksmonumenten export 2015 (" + CSV_SOURCE + "), CC0 1.0."
    src_cht = "Source: RCE Cultuurhistorische Thesaurus 2021 (" + CHT_SOURCE + "), CC0 1.0."
    outputs = [
        (
            "rce-monuments.ttl.gz",
            monuments,
            True,
            header.format(what="RCE national monuments (Friesland, Groningen, Drenthe).", source=src_csv),
        ),
        (
            "cht.ttl.gz",
            types,
            True,
            header.format(what="Monument-type scheme and CHT subset.", source=src_cht + "\n" + src_csv),
        ),
        (
            "sample-context.ttl",
            context,
            False,
            header.format(
                what="SAMPLE CONTENT written for the demo (stories, collections, sources, institutions, visitor info).",
                source="About real monuments from: " + src_csv,
            ),
        ),
        (
            "catalogue.ttl",
            catalogue,
            False,
            header.format(what="DCAT/VoID catalogue of the sample datasets.", source=""),
        ),
    ]
    args.out.mkdir(parents=True, exist_ok=True)
    for fname, graph, compress, head in outputs:
        data = graph.serialize(head)
        check_parse(data, len(graph), fname)
        write_file(args.out / fname, data, compress)
        print(f"wrote {args.out / fname}: {len(graph)} triples")

    places = sum(1 for t in monuments.triples if t[1] == ns("geo", "lat"))
    print(f"places: {places}")
    bad = [r["NummerRijksmonument"] for r in rows if not has_real_position(r)]
    print(f"places at the source's placeholder position {PLACEHOLDER_POSITION}: {len(bad)} ({', '.join(bad)})")
    print("\nMonument type -> CHT match")
    for subcat, n, kind, targets, reason in table:
        what = "; ".join(f"{label} <{iri.rsplit('/', 1)[-1]}>" for iri, label in targets) or f"(none: {reason})"
        print(f"  {subcat:<28} {n:>5}  {kind:<6} {what}")
    n_exact = sum(1 for t in table if t[2] == "exact")
    n_close = sum(1 for t in table if t[2] == "close")
    n_none = sum(1 for t in table if t[2] == "none")
    print(f"types: {len(table)} (exact {n_exact}, close {n_close}, none {n_none})")
    print("\nStories")
    for iri, nums in stories:
        print(f"  {iri}: {', '.join(nums)}")
    if args.match_table:
        args.match_table.write_text(match_table_markdown(table) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
