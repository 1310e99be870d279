"""Image files for upload tests: good ones of each accepted format and the hostile ones an
attacker or a broken phone sends (issue: stored XSS through a car photo)."""

import random
import struct
import zlib
from io import BytesIO

from PIL import Image

SCRIPT = b"<script>document.title = 'script ran: ' + document.cookie;</script>"


def image_bytes(fmt: str = "JPEG", size=(64, 48), noise: bool = False, **save) -> bytes:
    img = Image.new("RGB", size, (40, 90, 160))
    if noise:  # random pixels compress to random bytes: where a naive markup search misfires
        rng = random.Random(size[0] * 7919 + size[1])
        img = Image.frombytes("RGB", size, bytes(rng.getrandbits(8) for _ in range(size[0] * size[1] * 3)))
    out = BytesIO()
    img.save(out, fmt, **save)
    return out.getvalue()


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def png_declaring(width: int, height: int) -> bytes:
    """A PNG of a few dozen bytes whose header claims width x height: a decompression bomb
    when the numbers are large (nothing is decoded until someone tries)."""
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", header) + _png_chunk(b"IDAT", zlib.compress(b"\x00" * 16))
            + _png_chunk(b"IEND", b""))


def truncated_jpeg() -> bytes:
    whole = image_bytes("JPEG", (320, 240), noise=True)
    return whole[: len(whole) * 3 // 5]


def polyglot_jpeg() -> bytes:
    """A valid JPEG that is also a page: a browser told it is HTML runs the script."""
    return image_bytes("JPEG") + b"\n<html><body>" + SCRIPT + b"</body></html>\n"


def jpeg_with_script_comment() -> bytes:
    return image_bytes("JPEG", comment=SCRIPT)


def png_with_script_text() -> bytes:
    good = image_bytes("PNG")
    return good[:33] + _png_chunk(b"tEXt", b"Comment\x00" + SCRIPT) + good[33:]


SVG = b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="64" height="48">' + SCRIPT + b"</svg>"
HTML = b"<!doctype html><html><body>" + SCRIPT + b"</body></html>"
GIF = image_bytes("GIF")

# name -> (bytes, the words the refusal must contain), for tests through every way in.
HOSTILE = {
    "empty": (b"", "empty"),
    "decompression bomb": (png_declaring(50_000, 50_000), "megapixels"),
    "over the pixel limit": (png_declaring(12_000, 12_000), "megapixels"),
    "truncated": (truncated_jpeg(), "incomplete"),
    "svg": (SVG, "SVG"),
    "html": (HTML, "web page"),
    "gif": (GIF, "GIF"),
    "polyglot": (polyglot_jpeg(), "web-page code"),
    "script in a jpeg comment": (jpeg_with_script_comment(), "web-page code"),
    "script in a png text chunk": (png_with_script_text(), "web-page code"),
}
