"""Build tests/data/museum.csv: a second source describing 20 real sample monuments under its own ids,
with its own (slightly different) names and positions 10–40 m off, plus 3 records of other things
nearby. The link-suggestion tests use it as real overlapping data. Run: python scripts/build_museum_sample.py"""

from __future__ import annotations

import csv
import gzip
from pathlib import Path

import pyoxigraph as ox

ROOT = Path(__file__).resolve().parents[1]
# (museum id, RCE monument number or None for a decoy near that monument, name, address, monument number
#  column filled?, type, (north, east) offset in metres)
RECORDS = [
    ("FM-01", "485645", "Lutherse zaal", "", False, "kerk-en-kerkonderdeel", (12, -8)),
    ("FM-02", "18495", "Cornelie-gasthuis", "Hardewikerstraat 39", False, "", (-15, 10)),
    ("FM-03", "18647", "Sint-Annengasthuis", "Oude Kijk in 't Jatstraat 4", False, "", (20, 5)),
    ("FM-04", "485446", "Academiegebouw Rijksuniversiteit", "", True, "onderwijs-en-wetenschap", (-25, -20)),
    ("FM-05", "483675", "Huize De Brandenborgh", "", False, "woonhuis", (8, 30)),
    ("FM-06", "18654", "Pelster Gasthuis", "Pelsterstraat 41", False, "", (-10, -10)),
    ("FM-07", "408908", "Fogelsanghstate", "", False, "kasteel-buitenplaats", (35, 0)),
    ("FM-08", "516332", "Het Tsiispakhus", "", False, "", (0, 18)),
    ("FM-09", "387957", "Fockens State", "", False, "boerderij", (-30, 12)),
    ("FM-10", "485413", "Klooster De Tuin", "", True, "", (14, 14)),
    ("FM-11", "478478", "Vrede & Recht", "", False, "woonhuis", (-12, 22)),
    ("FM-12", "516356", "Wilhelmina-boom", "", False, "", (9, -16)),
    ("FM-13", "35103", "Boerderij Formerum", "Formerum Zuid 7", False, "boerderij", (-20, 25)),
    ("FM-14", "39032", "Korenmolen van Winsum", "Molenstraat 4", False, "industrie-en-poldermolen", (18, -12)),
    ("FM-15", "8256", "Kerk van Solwerd", "Pastorielaan 5", True, "kerk-en-kerkonderdeel", (-8, -30)),
    ("FM-16", "18449", "Koopmanshuis", "Damsterdiep 42", False, "", (25, 6)),
    ("FM-17", "20745", "Woonhuis aan de Vijver", "Vijver 2", False, "woonhuis", (-18, -6)),
    ("FM-18", "15770", "Herenhuis Voorstraat", "Voorstraat 75", False, "", (10, 10)),
    ("FM-19", "13134", "Werkplaats met woonhuis", "Keppelstraat 40", False, "", (-6, 20)),
    ("FM-20", "39873", "Grachtenpand", "Galamagracht 54", False, "", (15, -25)),
    ("FM-21", "485446", "Museumwinkel", "", False, "", (-45, 30)),
    ("FM-22", "18654", "Fietsenstalling", "", False, "", (40, -35)),
    ("FM-23", "35103", "Uitkijkpunt duinen", "", False, "", (60, -40)),
]


def main() -> None:
    store = ox.Store()
    with gzip.open(ROOT / "data" / "rce-monuments.ttl.gz") as source:
        store.load(source, ox.RdfFormat.TURTLE, base_iri="http://localhost:8000/")
    out = ROOT / "tests" / "data" / "museum.csv"
    with out.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["objectnummer", "naam", "breedte", "lengte", "soort", "gemeente", "adres", "monumentnummer"])
        for key, number, name, address, with_number, kind, (north, east) in RECORDS:
            place = ox.NamedNode(f"http://localhost:8000/id/place/rm-{number}")
            values = {q.predicate.value.rsplit("#", 1)[-1]: q.object.value
                      for q in store.quads_for_pattern(place, None, None)}
            lat, lon = float(values["lat"]), float(values["long"])
            lat += north / 111_320
            lon += east / (111_320 * 0.6)
            writer.writerow([key, name, f"{lat:.7f}", f"{lon:.7f}", kind, values["municipality"], address,
                             number if with_number else ""])
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
