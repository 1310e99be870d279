"""The upload check (ifixit.uploads) on its own: what it accepts, what it refuses and why,
and the headers a stored photo is served with."""

from io import BytesIO

import pytest
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from PIL import Image

from ifixit.testing import images
from ifixit.uploads import check_image, holds_markup, served_image_headers


def check(data: bytes, name: str = "photo.jpg"):
    return check_image(ContentFile(data, name=name))


@pytest.mark.parametrize("fmt, expected", [("JPEG", "jpg"), ("PNG", "png"), ("WEBP", "webp")])
def test_it_accepts_each_format_by_its_bytes_whatever_the_name(fmt, expected):
    checked = check(images.image_bytes(fmt, (80, 60)), name="holiday.html")
    assert (checked.format, checked.extension, checked.width, checked.height) == (fmt, expected, 80, 60)
    assert checked.generated_name().endswith("." + expected) and "holiday" not in checked.generated_name()


def test_a_phone_jpeg_with_a_second_picture_is_a_jpeg():
    # Many phones write MPO: a JPEG with a smaller picture after it. Its second picture's pixels
    # must not be searched as if they were metadata.
    out = BytesIO()
    first = Image.frombytes("RGB", (300, 200), bytes(range(256)) * 703 + bytes(32))
    first.save(out, "MPO", save_all=True, append_images=[Image.new("RGB", (64, 48), (1, 2, 3))])
    checked = check(out.getvalue())
    assert (checked.format, checked.content_type, checked.extension) == ("MPO", "image/jpeg", "jpg")


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP"])
@pytest.mark.parametrize("size", [(640, 480), (1024, 768), (1200, 900)])
def test_random_pixels_are_never_taken_for_markup(fmt, size):
    # Compressed noise is random bytes; only metadata and what follows the image are searched.
    data = images.image_bytes(fmt, size, noise=True)
    assert not holds_markup(data, fmt)
    assert check(data).format == fmt


def test_metadata_that_is_ordinary_xml_is_not_markup():
    xmp = (b'<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?><x:xmpmeta xmlns:x="adobe:ns:meta/">'
           b'<rdf:RDF><rdf:Description dc:title="Front nearside"/></rdf:RDF></x:xmpmeta><?xpacket end="w"?>')
    assert check(images.image_bytes("JPEG", xmp=xmp)).format == "JPEG"
    assert check(images.image_bytes("JPEG", comment=b"Taken at the North yard <3")).format == "JPEG"


@pytest.mark.parametrize("case", list(images.HOSTILE))
def test_it_refuses_each_hostile_file_with_a_reason(case):
    data, words = images.HOSTILE[case]
    with pytest.raises(ValidationError) as refused:
        check(data)
    assert list(refused.value.message_dict) == ["image"]
    assert words in " ".join(refused.value.messages)


def test_the_pixel_limit_is_a_setting_checked_before_decoding(settings):
    settings.MAX_PHOTO_PIXELS = 3000
    with pytest.raises(ValidationError, match="64 × 48 pixels"):
        check(images.image_bytes("PNG", (64, 48)))
    settings.MAX_PHOTO_PIXELS = 50_000_000
    # 8,000 x 8,000 is under Pillow's own bomb limit but over ours: refused on its header alone.
    with pytest.raises(ValidationError, match="8,000 × 8,000 pixels"):
        check(images.png_declaring(8000, 8000))


def test_an_animated_image_is_refused():
    out = BytesIO()
    frames = [Image.new("RGB", (32, 32), colour) for colour in ((255, 0, 0), (0, 255, 0))]
    frames[0].save(out, "WEBP", save_all=True, append_images=frames[1:])
    with pytest.raises(ValidationError, match="Animated"):
        check(out.getvalue())


def test_it_refuses_by_size_before_reading(settings):
    settings.MAX_PHOTO_BYTES = 100
    with pytest.raises(ValidationError, match="at most 100 bytes"):
        check(images.image_bytes("PNG", (64, 48)))


@pytest.mark.parametrize(
    "name, content_type, disposition",
    [
        ("cars/1/0123456789abcdef0123456789abcdef.jpg", "image/jpeg", 'inline; filename="car-1-photo-2.jpg"'),
        ("cars/1/0123456789abcdef0123456789abcdef.webp", "image/webp", 'inline; filename="car-1-photo-2.webp"'),
        ("cars/1/20250101-holiday.html", "application/octet-stream", 'attachment; filename="car-1-photo-2"'),
        ("cars/1/20250101-logo.svg", "application/octet-stream", 'attachment; filename="car-1-photo-2"'),
    ],
)
def test_a_photo_is_served_only_as_the_image_its_stored_name_says(name, content_type, disposition):
    headers = served_image_headers(name, "car-1-photo-2")
    assert headers["Content-Type"] == content_type
    assert headers["Content-Disposition"] == disposition
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in headers["Content-Security-Policy"] and "default-src 'none'" in headers["Content-Security-Policy"]
