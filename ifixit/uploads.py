"""Files users upload are judged by what their bytes are, never by the name or type they came with.

A photo is accepted only as a JPEG, PNG, WebP, HEIC (iPhones: read through pillow-heif) or
AVIF that Pillow decodes completely, within a
pixel limit, holding no web-page markup outside its pixel data (a "polyglot": an image that
is also an HTML document). It is then stored under a generated name carrying the extension
of the format found, so the name can never make a browser or a storage service treat it as
anything but that image. `served_image_headers` gives the headers every photo response carries.
"""

import re
import uuid
import warnings
from dataclasses import dataclass
from io import BytesIO

import pillow_heif
from django.conf import settings
from django.core.exceptions import ValidationError
from PIL import Image, UnidentifiedImageError

# Pillow learns HEIC/HEIF from pillow-heif; it reads AVIF itself.
pillow_heif.register_heif_opener()


@dataclass(frozen=True)
class ImageFormat:
    content_type: str
    extension: str


# Pillow's name for a format -> how it is stored and served. MPO is how Pillow reads the
# JPEG of many phones (a JPEG with a second, smaller picture after it): it is a JPEG.
IMAGE_FORMATS = {
    "JPEG": ImageFormat("image/jpeg", "jpg"),
    "MPO": ImageFormat("image/jpeg", "jpg"),
    "PNG": ImageFormat("image/png", "png"),
    "WEBP": ImageFormat("image/webp", "webp"),
    "HEIF": ImageFormat("image/heic", "heic"),
    "AVIF": ImageFormat("image/avif", "avif"),
}
CONTENT_TYPE_BY_EXTENSION = {fmt.extension: fmt.content_type for fmt in IMAGE_FORMATS.values()}
# The only decoders Pillow may try on an upload (its JPEG one returns MPO files itself).
DECODERS = ["JPEG", "PNG", "WEBP", "HEIF", "AVIF"]


@dataclass(frozen=True)
class CheckedImage:
    """An upload that passed every check, with what was found in it."""

    data: bytes
    format: str
    width: int
    height: int

    @property
    def content_type(self) -> str:
        return IMAGE_FORMATS[self.format].content_type

    @property
    def extension(self) -> str:
        return IMAGE_FORMATS[self.format].extension

    def generated_name(self) -> str:
        return f"{uuid.uuid4().hex}.{self.extension}"


ACCEPTED = "JPEG, PNG, WebP or HEIC"


def _refuse(field: str, message: str) -> ValidationError:
    return ValidationError({field: message})


def _size(n: int) -> str:
    if n >= 1024 * 1024:
        return f"{n / 1048576:.1f} MB".replace(".0 MB", " MB")
    return f"{max(1, round(n / 1024))} KB" if n >= 1024 else f"{n} bytes"


def _what_it_looks_like(head: bytes) -> str:
    """A word on what a refused file seems to be, so the message says what to do."""
    start = head.lstrip()[:64].lower()
    if start.startswith((b"<svg", b"<?xml")) or b"<svg" in start:
        return "This is an SVG drawing, not a photo: upload a JPEG, PNG or WebP picture."
    if start.startswith((b"<!doctype", b"<html", b"<")):
        return "This is a web page (HTML), not a photo: upload a JPEG, PNG or WebP picture."
    if head.startswith((b"GIF87a", b"GIF89a")):
        return "GIF images are not accepted: upload a JPEG, PNG or WebP picture."
    if head.startswith(b"%PDF"):
        return "This is a PDF, not a photo: upload a JPEG, PNG or WebP picture."
    return f"This file is not an image we can read ({ACCEPTED})."


def check_image(upload, *, field: str = "image") -> CheckedImage:
    """The upload as a CheckedImage, or a ValidationError on `field` saying why it is refused.

    Every check reads the bytes: the empty file, the size limit, the format (only JPEG, PNG
    and WebP are even tried), the pixel limit before anything is decoded (a decompression
    bomb declares a huge size in a few bytes), a complete decode (a truncated file fails
    here), a single frame, and no markup beside the pixels."""
    size = getattr(upload, "size", None)
    if size == 0:
        raise _refuse(field, "The file is empty: choose the photo again.")
    if size is not None and size > settings.MAX_PHOTO_BYTES:
        raise _refuse(field, f"Photos can be at most {_size(settings.MAX_PHOTO_BYTES)} (this one is {_size(size)}).")
    upload.seek(0)
    data = upload.read(settings.MAX_PHOTO_BYTES + 1)
    upload.seek(0)
    if not data:
        raise _refuse(field, "The file is empty: choose the photo again.")
    if len(data) > settings.MAX_PHOTO_BYTES:
        raise _refuse(field, f"Photos can be at most {_size(settings.MAX_PHOTO_BYTES)}.")

    max_pixels = settings.MAX_PHOTO_PIXELS
    too_many_pixels = (
        "This image is {w:,} × {h:,} pixels ({mp:.0f} megapixels); photos can be at most "
        f"{max_pixels / 1_000_000:.0f} megapixels. Send it at a smaller size."
    )
    try:
        with warnings.catch_warnings():
            # Pillow only warns between its own limit and twice it; here that is a refusal too.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(BytesIO(data), formats=DECODERS) as img:
                fmt, (width, height) = img.format, img.size
                if width * height > max_pixels:
                    raise _refuse(field, too_many_pixels.format(w=width, h=height, mp=width * height / 1e6))
                if getattr(img, "n_frames", 1) > 1 and fmt != "MPO":
                    raise _refuse(field, "Animated images are not accepted: upload a still photo.")
                img.load()  # the whole picture: a file cut short fails here, not in a viewer's browser
            with Image.open(BytesIO(data), formats=DECODERS) as img:
                img.verify()  # the checksums Pillow does not check while decoding (PNG chunks)
    except ValidationError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise _refuse(field, f"This image declares more pixels than a photo can have (at most "
                             f"{max_pixels / 1_000_000:.0f} megapixels).") from None
    except UnidentifiedImageError:
        raise _refuse(field, _what_it_looks_like(data[:512])) from None
    except (OSError, SyntaxError, ValueError, EOFError, IndexError) as exc:
        if "truncated" in str(exc).lower() or isinstance(exc, EOFError):
            raise _refuse(field, "This image file is incomplete (cut short): copy or export it again and "
                                 "upload the whole file.") from None
        raise _refuse(field, f"This image file is damaged and cannot be read ({ACCEPTED} expected).") from None
    if fmt not in IMAGE_FORMATS:  # formats= already limits this; kept so a new plugin cannot slip in
        raise _refuse(field, f"{fmt} images are not accepted: upload a {ACCEPTED} picture.")
    if holds_markup(data, fmt):
        raise _refuse(field, "This image file also holds web-page code (HTML or script) and is refused. "
                             "Export the photo again from the camera or phone.")
    return CheckedImage(data=data, format=fmt, width=width, height=height)


# --- Polyglots -------------------------------------------------------------------------------
# What a browser would act on in a file it took for a page. Searched only outside the pixel
# data (compressed pixels are random bytes, where a short word turns up by chance): in
# metadata, comments and anything after the image's end.
MARKUP = re.compile(
    rb"<\s*/?\s*(?:script|html|svg|iframe|frame|object|embed|body|head|form|base|meta|!doctype|\?php)\b|javascript:",
    re.IGNORECASE,
)
_JPEG_MARKER_AFTER_SCAN = re.compile(rb"\xff[^\x00\xd0-\xd7\xff]")


def holds_markup(data: bytes, fmt: str) -> bool:
    regions = {
        "JPEG": _jpeg_regions, "MPO": _jpeg_regions, "PNG": _png_regions, "WEBP": _webp_regions,
        "HEIF": _isobmff_regions, "AVIF": _isobmff_regions,
    }[fmt](data)
    return any(MARKUP.search(data, start, end) for start, end in regions)


def _jpeg_regions(data: bytes, start: int = 0):
    """(start, end) of every part of a JPEG that is not entropy-coded pixel data."""
    n = len(data)
    i = start + 2  # after SOI
    while i + 1 < n:
        if data[i] != 0xFF:  # not where a marker must be: treat the rest as foreign
            yield i, n
            return
        marker = data[i + 1]
        if marker == 0xFF:  # fill byte
            i += 1
            continue
        if marker == 0xD9:  # EOI: what follows is another picture (MPO) or foreign
            rest = i + 2
            if data.startswith(b"\xff\xd8", rest):
                yield from _jpeg_regions(data, rest)
            else:
                yield rest, n
            return
        if 0xD0 <= marker <= 0xD7 or marker == 0x01:  # markers without a length
            i += 2
            continue
        length = int.from_bytes(data[i + 2:i + 4], "big")
        end = min(n, i + 2 + length)
        yield i + 4, end
        i = end
        if marker == 0xDA:  # start of scan: pixel data up to the next real marker
            found = _JPEG_MARKER_AFTER_SCAN.search(data, i)
            i = found.start() if found else n
    if i < n:
        yield i, n


def _png_regions(data: bytes):
    n, i = len(data), 8
    while i + 8 <= n:
        length = int.from_bytes(data[i:i + 4], "big")
        kind = data[i + 4:i + 8]
        end = min(n, i + 12 + length)
        if kind not in (b"IDAT", b"fdAT"):
            yield i + 4, end
        i = end
        if kind == b"IEND":
            break
    if i < n:
        yield i, n


def _webp_regions(data: bytes):
    n = len(data)
    riff_end = min(n, 8 + int.from_bytes(data[4:8], "little"))
    i = 12
    while i + 8 <= riff_end:
        kind = data[i:i + 4]
        length = int.from_bytes(data[i + 4:i + 8], "little")
        end = min(riff_end, i + 8 + length + (length & 1))
        if kind not in (b"VP8 ", b"VP8L", b"ALPH", b"ANMF"):
            yield i, end
        i = end
    if riff_end < n:
        yield riff_end, n


def _isobmff_regions(data: bytes):
    """HEIC and AVIF are ISO media files: a row of boxes, the pixels in `mdat`."""
    n, i = len(data), 0
    while i + 8 <= n:
        size, kind, header = int.from_bytes(data[i:i + 4], "big"), data[i + 4:i + 8], 8
        if size == 1 and i + 16 <= n:
            size, header = int.from_bytes(data[i + 8:i + 16], "big"), 16
        elif size == 0:
            size = n - i
        if size < header:  # not a box: the rest is foreign
            yield i, n
            return
        end = min(n, i + size)
        if kind != b"mdat":
            yield i, end
        i = end
    if i < n:
        yield i, n


# --- Serving ---------------------------------------------------------------------------------
# A stored photo is sent as the image it is and nothing else: the browser may not guess
# another type (nosniff), and if it were ever rendered as a document the sandbox keeps it
# from running script or reaching the origin's cookies and pages.
MEDIA_CSP = "default-src 'none'; img-src 'self' data:; style-src 'unsafe-inline'; sandbox"


def served_image_headers(name: str, download_name: str) -> dict[str, str]:
    """Headers for a stored photo by its stored name. A name without one of our extensions
    (a file from before names were generated, not yet renamed) goes as an opaque download."""
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    content_type = CONTENT_TYPE_BY_EXTENSION.get(extension)
    headers = {
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": MEDIA_CSP,
        "Cross-Origin-Resource-Policy": "same-origin",
    }
    if content_type:
        headers["Content-Type"] = content_type
        headers["Content-Disposition"] = f'inline; filename="{download_name}.{extension}"'
    else:
        headers["Content-Type"] = "application/octet-stream"
        headers["Content-Disposition"] = f'attachment; filename="{download_name}"'
    return headers
