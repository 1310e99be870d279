"""What a page needs to show a photo: `<picture>` sources (AVIF, WebP) and the JPEG fallback,
each a `srcset` of the variants' widths, from the photo's variants (prefetched by the selectors).
"""

from dataclasses import dataclass

from ifixit.inventory.photos.storage import variant_url

CONTENT_TYPES = {"avif": "image/avif", "webp": "image/webp", "jpeg": "image/jpeg"}
# Best first: a browser takes the first <source> whose type it knows.
SOURCE_ORDER = ["avif", "webp"]


@dataclass(frozen=True)
class Source:
    type: str
    srcset: str


@dataclass(frozen=True)
class Picture:
    sources: list[Source]
    src: str  # the JPEG a browser without srcset shows
    srcset: str  # the JPEG widths
    width: int
    height: int
    full: str  # the largest WebP: what the full-screen view and a plain link open


def picture(variants, sizes: list[str]) -> Picture | None:
    """The picture made of these sizes of a photo's variants, or None when it has none yet."""
    chosen = [v for v in variants if v.size in sizes]
    if not chosen:
        return None
    by_format: dict[str, list] = {}
    for variant in chosen:
        by_format.setdefault(variant.format, []).append(variant)
    jpegs = sorted(by_format.get("jpeg", chosen), key=lambda v: v.width)

    def srcset(items) -> str:
        seen, parts = set(), []
        for variant in sorted(items, key=lambda v: v.width):
            if variant.width not in seen:  # a photo narrower than a size repeats a width
                seen.add(variant.width)
                parts.append(f"{variant_url(variant.name)} {variant.width}w")
        return ", ".join(parts)

    largest = max(variants, key=lambda v: (v.width, v.format == "webp"))
    middle = jpegs[len(jpegs) // 2]
    return Picture(
        sources=[Source(CONTENT_TYPES[fmt], srcset(by_format[fmt])) for fmt in SOURCE_ORDER if fmt in by_format],
        src=variant_url(middle.name),
        srcset=srcset(jpegs),
        width=middle.width,
        height=middle.height,
        full=variant_url(largest.name),
    )
