"""Near-duplicate fingerprints: copies and updated versions are similar; other stories and page furniture are not."""
from __future__ import annotations

import pytest

from newswatch.fingerprint import BANDS, SIMILAR, content_text, fingerprint
from tests.story_texts import BANNER, GAS, RAID, RAID_RU, RAID_UPDATE_1, RAID_UPDATE_2, SHELLING, paywalled, syndicated


def similarity(a: str, b: str) -> float:
    first, second = fingerprint(a), fingerprint(b)
    assert first is not None and second is not None
    return first.similarity(second)


@pytest.mark.parametrize("copy", [
    syndicated(RAID, "Ledger"),
    syndicated(RAID, "Chronicle", dateline="LONDON"),
    RAID_UPDATE_1,
    RAID_UPDATE_2,
    paywalled(RAID),  # the same story behind a cookie and paywall banner
])
def test_copies_and_updates_are_near_duplicates(copy: str) -> None:
    assert similarity(RAID, copy) >= SIMILAR
    assert set(fingerprint(RAID).bands()) & set(fingerprint(copy).bands())  # found by band lookup


@pytest.mark.parametrize("other", [SHELLING, GAS, RAID_RU])
def test_other_stories_are_not(other: str) -> None:
    assert similarity(RAID, other) < 0.2


def test_boilerplate_only_pages_have_no_fingerprint() -> None:
    assert content_text(BANNER) == ""
    assert fingerprint(BANNER) is None
    assert fingerprint(BANNER + " " + BANNER) is None
    # a short lede drowned in furniture: too little real text to compare safely
    assert fingerprint(paywalled("Shelling damaged homes in Shebekino on Thursday, the governor said.")) is None


def test_different_stories_behind_the_same_banner_do_not_match() -> None:
    assert similarity(paywalled(SHELLING), paywalled(GAS)) < 0.2


def test_fingerprint_is_stable() -> None:
    # signatures are stored in the archive: the same text must give the same bands in every process
    first, second = fingerprint(RAID), fingerprint(RAID)
    assert first.signature == second.signature
    assert len(first.bands()) == BANDS and len(set(first.bands())) == BANDS
