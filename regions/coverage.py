"""Which regions serve an address (SPEC 15): coverage rules, the lookup and its cache.

A region covers ranges of Dutch 4-digit postcodes and/or CBS municipality codes (``GMxxxx``).
Within one region pieces may not overlap (a typo that double-counts would hide a gap);
between regions overlaps are normal (shared areas) and reported, never refused.

**Municipalities.** There is no offline postcode → municipality table (the CBS/PDOK data is a
download we do not make), so a municipality code is a stored attribute the lookup uses only
when the caller passes ``municipality=GMxxxx``; it never guesses one from a postcode.

**Cache.** Coverage changes a few times a year and lookups come with every intake form, so
each process keeps the whole coverage in memory as an index, tagged with a version stamp that
lives in the shared cache (Redis). Every change to coverage or to a region's public details
writes a new stamp after commit; a process whose index carries another stamp rebuilds it from
the database. A lookup costs one cache read. If the cache is down, the index is rebuilt from the
database for each lookup: slower, still correct.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import structlog
from django.core.cache import cache
from django.db import transaction

from config.api.errors import BadRequest, ErrorDetail, ValidationFailed

from .models import MUNICIPALITY_CODE_PATTERN, POSTCODE_MAX, POSTCODE_MIN, Region, RegionCoverage

logger = structlog.get_logger(__name__)

VERSION_CACHE_KEY = "regions:coverage:version"
VERSION_TIMEOUT_S = None  # the stamp never expires; a new one replaces it
_POSTCODE = re.compile(r"^\s*([1-9][0-9]{3})\s*(?:[A-Za-z]{2})?\s*$")
_MUNICIPALITY = re.compile(MUNICIPALITY_CODE_PATTERN, re.IGNORECASE)


@dataclass(frozen=True)
class PostcodeRange:
    start: int
    end: int

    def overlaps(self, other: PostcodeRange) -> bool:
        return self.start <= other.end and other.start <= self.end


# --- parsing and validation ----------------------------------------------------------------------


def parse_postcode(raw: str, *, parameter: str = "postcode") -> int:
    """``3511AB``, ``3511 ab`` or ``3511`` → 3511; anything else is a 400 naming ``parameter``."""
    match = _POSTCODE.match(raw or "")
    if match is None:
        raise BadRequest(
            f"{parameter} must be a Dutch postcode: 1234AB, 1234 AB or 1234.",
            details=[ErrorDetail(parameter, f"Not a Dutch postcode: {raw!r}.")],
        )
    return int(match.group(1))


def parse_municipality(raw: str, *, parameter: str = "municipality") -> str:
    value = (raw or "").strip().upper()
    if not _MUNICIPALITY.match(value):
        raise BadRequest(
            f"{parameter} must be a CBS municipality code: GM and four digits (GM0344).",
            details=[ErrorDetail(parameter, f"Not a municipality code: {raw!r}.")],
        )
    return value


def coverage_problems(
    ranges: Sequence[PostcodeRange], municipalities: Sequence[str], *, prefix: str = ""
) -> list[ErrorDetail]:
    """Why this set cannot be one region's coverage: bad bounds, overlapping ranges, a
    municipality listed twice. Empty when it can."""
    problems = []
    for index, piece in enumerate(ranges):
        if not (POSTCODE_MIN <= piece.start <= piece.end <= POSTCODE_MAX):
            problems.append(
                ErrorDetail(
                    f"{prefix}postcodeRanges.{index}",
                    f"Give 4-digit postcodes {POSTCODE_MIN}–{POSTCODE_MAX}, from ≤ to.",
                )
            )
    for index, piece in enumerate(ranges):
        for other_index in range(index):
            if piece.overlaps(ranges[other_index]):
                problems.append(
                    ErrorDetail(
                        f"{prefix}postcodeRanges.{index}",
                        f"{piece.start}–{piece.end} overlaps "
                        f"{ranges[other_index].start}–{ranges[other_index].end} of this region.",
                    )
                )
    seen: set[str] = set()
    for index, code in enumerate(municipalities):
        if not _MUNICIPALITY.match(code):
            problems.append(
                ErrorDetail(f"{prefix}municipalities.{index}", "Use GM and four digits.")
            )
        elif code in seen:
            problems.append(
                ErrorDetail(f"{prefix}municipalities.{index}", f"{code} is listed twice.")
            )
        seen.add(code)
    return problems


# --- writing -------------------------------------------------------------------------------------


def coverage_changed() -> None:
    """Give every process's lookup index a new version stamp once the change is committed."""

    def bump() -> None:
        try:
            cache.set(VERSION_CACHE_KEY, uuid.uuid4().hex, VERSION_TIMEOUT_S)
        except Exception:  # redis-py's own errors: the next lookups read the database
            logger.warning("regions.coverage_cache_unavailable")

    transaction.on_commit(bump)


@transaction.atomic
def region_coverage_replace(
    *, region: Region, postcode_ranges: Sequence[PostcodeRange], municipalities: Sequence[str]
) -> None:
    """Replace the region's whole coverage; ``ValidationFailed`` lists every problem."""
    municipalities = [code.strip().upper() for code in municipalities]
    problems = coverage_problems(postcode_ranges, municipalities)
    if problems:
        raise ValidationFailed(details=problems)
    Region.objects.select_for_update().filter(pk=region.pk).first()  # one writer per region
    RegionCoverage.objects.filter(region=region).delete()
    RegionCoverage.objects.bulk_create(
        [
            RegionCoverage(region=region, postcode_from=r.start, postcode_to=r.end)
            for r in sorted(postcode_ranges, key=lambda r: r.start)
        ]
        + [RegionCoverage(region=region, municipality_code=code) for code in municipalities]
    )
    coverage_changed()


# --- reading -------------------------------------------------------------------------------------


def region_coverage(region: Region) -> tuple[list[PostcodeRange], list[str]]:
    ranges, municipalities = [], []
    for row in RegionCoverage.objects.filter(region=region).order_by(
        "postcode_from", "municipality_code"
    ):
        if row.municipality_code:
            municipalities.append(row.municipality_code)
        else:
            ranges.append(PostcodeRange(row.postcode_from, row.postcode_to))  # type: ignore[arg-type]
    return ranges, municipalities


@dataclass
class _Index:
    version: str | None
    regions: dict[Any, dict[str, str]] = field(default_factory=dict)
    ranges: list[tuple[int, int, Any]] = field(default_factory=list)
    municipalities: dict[str, list[Any]] = field(default_factory=dict)
    order: dict[Any, int] = field(default_factory=dict)


_index: _Index | None = None


def _build(version: str | None) -> _Index:
    index = _Index(version=version)
    for position, region in enumerate(Region.objects.filter(active=True).order_by("code")):
        index.order[region.pk] = position
        index.regions[region.pk] = {
            "code": region.code,
            "name": region.name,
            "contactEmail": region.contact_email,
            "website": region.website,
        }
    for row in RegionCoverage.objects.filter(region_id__in=list(index.regions)):
        if row.municipality_code:
            index.municipalities.setdefault(row.municipality_code, []).append(row.region_id)
        else:
            index.ranges.append((row.postcode_from, row.postcode_to, row.region_id))  # type: ignore[arg-type]
    return index


def _current_index() -> _Index:
    global _index
    try:
        version = cache.get(VERSION_CACHE_KEY)
        if version is None:
            version = uuid.uuid4().hex
            if not cache.add(VERSION_CACHE_KEY, version, VERSION_TIMEOUT_S):
                version = cache.get(VERSION_CACHE_KEY)
    except Exception:
        logger.warning("regions.coverage_cache_unavailable")
        return _build(None)
    index = _index
    if index is None or index.version != version:
        index = _index = _build(version)
    return index


def regions_serving(
    *, postcode: int | None, municipality: str | None = None
) -> list[dict[str, str]]:
    """The active regions whose coverage holds the postcode (4 digits) or, when given, the
    municipality code; ordered by region code."""
    index = _current_index()
    found: set[Any] = set()
    if postcode is not None:
        found.update(pk for start, end, pk in index.ranges if start <= postcode <= end)
    if municipality is not None:
        found.update(index.municipalities.get(municipality, ()))
    return [index.regions[pk] for pk in sorted(found, key=index.order.__getitem__)]


# --- the overview --------------------------------------------------------------------------------


@dataclass(frozen=True)
class CoverageSpan:
    start: int
    end: int
    region_codes: tuple[str, ...]


def coverage_overview(
    *, regions: Iterable[Region] | None = None
) -> tuple[list[CoverageSpan], list[CoverageSpan]]:
    """(postcode ranges no active region covers, ranges two or more regions cover), as maximal
    runs of the same set of regions."""
    queryset = Region.objects.filter(active=True) if regions is None else regions
    codes = {region.pk: region.code for region in queryset}
    holders: list[list[str]] = [[] for _ in range(POSTCODE_MAX + 1)]
    for row in RegionCoverage.objects.filter(
        region_id__in=list(codes), municipality_code=""
    ).order_by("region__code"):
        for postcode in range(row.postcode_from, row.postcode_to + 1):  # type: ignore[arg-type,operator]
            holders[postcode].append(codes[row.region_id])
    gaps: list[CoverageSpan] = []
    shared: list[CoverageSpan] = []
    start = POSTCODE_MIN
    for postcode in range(POSTCODE_MIN, POSTCODE_MAX + 2):
        if postcode <= POSTCODE_MAX and holders[postcode] == holders[start]:
            continue
        span = CoverageSpan(start, postcode - 1, tuple(sorted(holders[start])))
        if not span.region_codes:
            gaps.append(span)
        elif len(span.region_codes) > 1:
            shared.append(span)
        start = postcode
    return gaps, shared


def overlaps_with_other_regions(region: Region) -> list[CoverageSpan]:
    _, shared = coverage_overview(regions=Region.objects.all())
    return [span for span in shared if region.code in span.region_codes]
