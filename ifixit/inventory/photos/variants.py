"""The variants of a car photo, made from its original's bytes: pure image work, no storage.

Each variant is upright (the EXIF orientation applied to the pixels), in sRGB, and carries no
metadata at all: no EXIF (the GPS position of the yard or the seller's house, the phone's
serial number), no XMP, no IPTC, no colour profile (converted to sRGB first, which is what a
browser assumes without one). Sizes are widths a page asks for in `srcset`; a photo narrower
than a size is never enlarged, that variant is as wide as the photo.

Encoding is deterministic (same bytes in, same Pillow: same bytes out), so the content hash
in a variant's name is the same on every run: the task can run twice (ifixit.inventory.tasks).
"""

import hashlib
from dataclasses import dataclass
from io import BytesIO

from PIL import Image, ImageCms, ImageOps, features

from ifixit.uploads import DECODERS

# Name -> the width a page shows it at: a list row's thumbnail, a card, the car page, full screen.
SIZES = {"thumb": 160, "card": 480, "page": 1024, "full": 2048}


@dataclass(frozen=True)
class Encoding:
    format: str  # Pillow's name
    extension: str
    content_type: str
    options: dict


JPEG = Encoding("JPEG", "jpg", "image/jpeg", {"quality": 82, "optimize": True, "progressive": True})
WEBP = Encoding("WEBP", "webp", "image/webp", {"quality": 80, "method": 4})
AVIF = Encoding("AVIF", "avif", "image/avif", {"quality": 60, "speed": 8})
ENCODINGS = {"webp": WEBP, "jpeg": JPEG, "avif": AVIF}


def formats_made() -> list[str]:
    """WebP and JPEG always; AVIF when the installed Pillow can write it."""
    return ["avif", "webp", "jpeg"] if features.check("avif") else ["webp", "jpeg"]


@dataclass(frozen=True)
class Rendered:
    size: str
    format: str
    width: int
    height: int
    data: bytes

    @property
    def digest(self) -> str:
        return hashlib.sha256(self.data).hexdigest()[:20]

    @property
    def extension(self) -> str:
        return ENCODINGS[self.format].extension


_SRGB = ImageCms.createProfile("sRGB")


def upright_srgb(data: bytes) -> Image.Image:
    """The original decoded, turned upright, in 8-bit RGB sRGB, with every metadata block left behind."""
    with Image.open(BytesIO(data), formats=DECODERS) as opened:
        img = ImageOps.exif_transpose(opened)
        icc = opened.info.get("icc_profile")
    if img.mode in ("I;16", "I;16B", "I;16L", "I"):  # 16-bit grey: scale to 8 bits, not clip to white
        img = img.point(lambda value: value / 256).convert("L")
    if img.mode in ("RGBA", "LA", "PA") or (img.mode == "P" and "transparency" in img.info):
        rgba = img.convert("RGBA")
        img = Image.new("RGB", rgba.size, (255, 255, 255))  # car photos: transparency shown on white
        img.paste(rgba, mask=rgba.getchannel("A"))
    if icc:
        try:
            source = ImageCms.ImageCmsProfile(BytesIO(icc))
            img = ImageCms.profileToProfile(img, source, _SRGB, outputMode="RGB")
        except (ImageCms.PyCMSError, OSError, ValueError):
            pass  # a broken profile: the pixels as they are, without it
    if img.mode != "RGB":
        img = img.convert("RGB")  # CMYK, grey, palette
    img.info = {}
    return img


def render_variants(data: bytes, formats: list[str] | None = None) -> list[Rendered]:
    """Every size in every format, largest first (each size is resized from the one above it:
    far cheaper than from the original every time, and no visible difference)."""
    formats = formats or formats_made()
    source = upright_srgb(data)
    rendered = []
    for size, target in sorted(SIZES.items(), key=lambda item: -item[1]):
        if source.width > target:
            height = max(1, round(source.height * target / source.width))
            source = source.resize((target, height), Image.Resampling.LANCZOS, reducing_gap=3.0)
            source.info = {}
        for fmt in formats:
            encoding = ENCODINGS[fmt]
            out = BytesIO()
            source.save(out, encoding.format, **encoding.options)
            rendered.append(Rendered(size, fmt, source.width, source.height, out.getvalue()))
    return rendered
