"""Near-duplicate fingerprints of article text (pure): MinHash over word shingles, cut into LSH bands.

Two articles whose extracted texts share most of their 5-word shingles (estimated Jaccard
similarity >= SIMILAR) are copies of one story. Candidates are found by band keys: each
signature is cut into BANDS bands of ROWS hash values, and each band is hashed to one 64-bit
key, so a lookup is "which articles share any of these 32 keys" — an indexed query whose cost
does not grow with the archive. With 32 bands of 4 rows a pair at similarity 0.5 becomes a
candidate with probability 0.87, at 0.6 with 0.99, at 0.3 with 0.23 (then rejected by the
signature comparison).

Boilerplate (cookie banners, paywall and newsletter notices) is removed sentence by sentence
before shingling, and a text with fewer than MIN_SHINGLES shingles left gets no fingerprint at
all: such a page forms a story of its own and never merges with anything.
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import Any


NUM_PERM = 128
BANDS, ROWS = 32, 4
SHINGLE_WORDS = 5
MIN_SHINGLES = 40
SIMILAR = 0.5
SEED = 20230522  # fixed: signatures stored in the archive must stay comparable across versions

WORD = re.compile(r"\w+", re.UNICODE)
SENTENCE = re.compile(r"[^.!?…\n]+[.!?…]*")
BOILERPLATE = re.compile(
    "|".join(
        (
            r"cookie", r"privacy (policy|settings|notice)", r"consent",
            r"subscri(be|ption|ber)", r"sign (in|up)", r"log ?in\b", r"paywall", r"newsletter",
            r"all rights reserved", r"javascript", r"ad ?blocker", r"advertis", r"terms of (use|service)",
            r"continue reading", r"read more", r"premium (content|article)", r"already a member",
            r"файл\w* cookie", r"подпи(с|ш)\w*", r"рассылк\w*", r"реклам\w*", r"все права защищены",
            r"политик\w* конфиденциальности", r"войдите", r"авториз\w*",
            r"передплат\w*", r"підпис\w*", r"розсилк\w*", r"всі права захищені",
        )
    ),
    re.IGNORECASE,
)
FOLD = str.maketrans({"ё": "е", "ї": "і"})


@dataclass(frozen=True)
class Fingerprint:
    """A MinHash signature (NUM_PERM unsigned 64-bit values) and how many shingles it summarises."""

    signature: bytes
    shingles: int

    def values(self) -> Any:
        import numpy as np  # imported here, like datasketch below: a crawl with nothing new compares no fingerprints

        return np.frombuffer(self.signature, dtype=np.uint64)

    def bands(self) -> list[int]:
        """One signed 64-bit key per band (band index mixed in, so equal rows in different bands differ)."""
        values = self.values()
        keys = []
        for band in range(BANDS):
            chunk = values[band * ROWS : (band + 1) * ROWS].tobytes()
            digest = hashlib.blake2b(bytes([band]) + chunk, digest_size=8).digest()
            keys.append(int.from_bytes(digest, "big", signed=True))
        return keys

    def similarity(self, other: Fingerprint) -> float:
        """Estimated Jaccard similarity of the two shingle sets."""
        return float((self.values() == other.values()).sum()) / NUM_PERM


def content_text(text: str) -> str:
    """The text without sentences that look like site furniture (cookies, paywalls, newsletters)."""
    kept = [s.strip() for s in SENTENCE.findall(text) if s.strip() and not BOILERPLATE.search(s)]
    return " ".join(kept)


def shingles(text: str, size: int = SHINGLE_WORDS) -> set[bytes]:
    words = [w.casefold().translate(FOLD) for w in WORD.findall(content_text(text))]
    return {" ".join(words[i : i + size]).encode("utf-8") for i in range(len(words) - size + 1)}


def fingerprint(text: str) -> Fingerprint | None:
    """The text's fingerprint, or None when too little real text is left to compare safely."""
    found = shingles(text)
    if len(found) < MIN_SHINGLES:
        return None
    from datasketch import MinHash  # imported here: datasketch loads scipy (about 0.4 s), which a crawl with nothing new never needs

    minhash = MinHash(num_perm=NUM_PERM, seed=SEED)
    minhash.update_batch(sorted(found))
    return Fingerprint(signature=minhash.hashvalues.astype("uint64").tobytes(), shingles=len(found))


def from_signature(signature: bytes, shingle_count: int) -> Fingerprint:
    return Fingerprint(signature=bytes(signature), shingles=shingle_count)
