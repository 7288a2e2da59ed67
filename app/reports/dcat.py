"""The machine-readable description of a public results page (#17): a DCAT-AP.de compatible dcat:Dataset in JSON-LD,
so open-data portals can harvest it. Title, description, publisher (REPORT_ORGANISATION), issued and modified,
licence (REPORT_LICENCE as a URI of the DCAT-AP.de licence vocabulary), place (dct:spatial), date (dct:temporal),
and one dcat:Distribution per released download. Only what the page itself shows goes in."""

import datetime as dt
from collections.abc import Sequence
from typing import Any

from app.config import settings
from app.reports.public import PublicFile

CONTEXT = {
    "dcat": "http://www.w3.org/ns/dcat#",
    "dct": "http://purl.org/dc/terms/",
    "dcatde": "http://dcat-ap.de/def/dcatde/",
    "foaf": "http://xmlns.com/foaf/0.1/",
    "locn": "http://www.w3.org/ns/locn#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
}
LICENCES = "http://dcat-ap.de/def/licenses/"
# The names REPORT_LICENCE is usually set to, and their URIs in the DCAT-AP.de licence vocabulary.
KNOWN_LICENCES = {
    "datenlizenz deutschland – namensnennung – version 2.0": "dl-by-de/2.0",
    "datenlizenz deutschland - namensnennung - version 2.0": "dl-by-de/2.0",
    "dl-de/by-2-0": "dl-by-de/2.0",
    "datenlizenz deutschland – zero – version 2.0": "dl-zero-de/2.0",
    "datenlizenz deutschland - zero - version 2.0": "dl-zero-de/2.0",
    "dl-de/zero-2-0": "dl-zero-de/2.0",
    "cc by 4.0": "cc-by/4.0",
    "cc-by 4.0": "cc-by/4.0",
    "cc0": "cc-zero",
    "cc0 1.0": "cc-zero",
}
THEME = "http://publications.europa.eu/resource/authority/data-theme/GOVE"  # Regierung und öffentlicher Sektor
LANGUAGE = "http://publications.europa.eu/resource/authority/language/DEU"
FILE_TYPES = "http://publications.europa.eu/resource/authority/file-type/"
MEDIA_TYPES = "https://www.iana.org/assignments/media-types/"


def licence_uri(licence: str) -> str | None:
    """REPORT_LICENCE as a URI: given as one, or a known name; None for a name this table does not know."""
    text = licence.strip()
    if text.startswith(("http://", "https://")):
        return text
    found = KNOWN_LICENCES.get(" ".join(text.casefold().split()))
    return LICENCES + found if found else None


def _moment(value: dt.datetime | None) -> dict[str, str] | None:
    if value is None:
        return None
    aware = value if value.tzinfo else value.replace(tzinfo=dt.UTC)
    return {"@value": aware.astimezone(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z"), "@type": "xsd:dateTime"}


def dataset(*, url: str, title: str, description: str, places: Sequence[str], dates: Sequence[dt.date], keywords: Sequence[str],
            issued: dt.datetime | None, modified: dt.datetime | None, files: Sequence[tuple[PublicFile, str, str]]) -> dict[str, Any]:
    """The dcat:Dataset of a page at `url`; `files`: each released file with its URL and its title in words."""
    licence = licence_uri(settings.report_licence)
    organisation = settings.report_organisation.strip()
    doc: dict[str, Any] = {
        "@context": CONTEXT,
        "@id": url,
        "@type": "dcat:Dataset",
        "dct:identifier": url,
        "dct:title": {"@value": title, "@language": "de"},
        "dct:description": {"@value": description, "@language": "de"},
        "dcat:landingPage": {"@id": url},
        "dcat:theme": {"@id": THEME},
        "dct:language": {"@id": LANGUAGE},
        "dcat:keyword": list(dict.fromkeys(k for k in keywords if k)),
    }
    if organisation:
        doc["dct:publisher"] = {"@type": "foaf:Organization", "foaf:name": organisation}
        doc["dcatde:licenseAttributionByText"] = organisation
    if licence:
        doc["dct:license"] = {"@id": licence}
    else:
        doc["dct:rights"] = settings.report_licence.strip()
    for key, value in (("dct:issued", _moment(issued)), ("dct:modified", _moment(modified))):
        if value:
            doc[key] = value
    named = [p for p in dict.fromkeys(places) if p]
    if named:
        doc["dct:spatial"] = [{"@type": "dct:Location", "locn:geographicName": p} for p in named]
    if dates:
        doc["dct:temporal"] = {"@type": "dct:PeriodOfTime",
                               "dcat:startDate": {"@value": min(dates).isoformat(), "@type": "xsd:date"},
                               "dcat:endDate": {"@value": max(dates).isoformat(), "@type": "xsd:date"}}
    distributions = []
    for file, file_url, label in files:
        media = file.media_type.split(";")[0]
        item: dict[str, Any] = {"@type": "dcat:Distribution", "dct:title": {"@value": label, "@language": "de"},
                                "dcat:accessURL": {"@id": file_url}, "dcat:downloadURL": {"@id": file_url},
                                "dct:format": {"@id": FILE_TYPES + file.file_type}, "dcat:mediaType": {"@id": MEDIA_TYPES + media}}
        if licence:
            item["dct:license"] = {"@id": licence}
        distributions.append(item)
    if distributions:
        doc["dcat:distribution"] = distributions
    return doc
