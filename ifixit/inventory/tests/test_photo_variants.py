"""The photo pipeline: an upload asks for its variants through the outbox; the task makes them
upright, without a byte of metadata, at the right widths and in every format, under
content-hashed names, the same on a second run; a bad original fails with its reason and
leaves no variant behind."""

from io import BytesIO
from pathlib import Path

import pillow_heif
import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from ifixit.inventory.models import CarPhoto, CarPhotoVariant, Phase
from ifixit.inventory.photos.storage import variant_storage
from ifixit.inventory.photos.variants import SIZES, formats_made
from ifixit.inventory.services import photos as photo_services
from ifixit.inventory.tasks import make_photo_variants
from ifixit.jobs.models import OutboxMessage
from ifixit.testing import images
from ifixit.testing.factories import CarFactory

GPS_IFD, ORIENTATION = 0x8825, 0x0112


def phone_jpeg(size=(3000, 2000), orientation: int = 6) -> bytes:
    """A phone's JPEG: stored sideways (landscape pixels, orientation 6 = turn 90° clockwise),
    with the yard's GPS position, the camera's make, an XMP packet and a colour profile."""
    img = Image.new("RGB", size, (200, 30, 30))
    img.paste((20, 20, 220), (0, 0, size[0] // 4, size[1]))  # a blue band on the left edge
    exif = Image.Exif()
    exif[ORIENTATION] = orientation
    exif[0x010F] = "PhoneCo"
    gps = exif.get_ifd(GPS_IFD)
    gps.update({1: "N", 2: (51.0, 30.0, 12.5), 3: "W", 4: (0.0, 7.0, 39.0)})
    out = BytesIO()
    from PIL import ImageCms

    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    img.save(out, "JPEG", exif=exif, xmp=b"<x:xmpmeta>yard at 51.5N</x:xmpmeta>", icc_profile=icc, quality=90)
    return out.getvalue()


@pytest.fixture
def car(north):
    return CarFactory(location=north, phase=Phase.FIXING)


def add(manager, car, data: bytes, name="IMG_0001.JPG") -> CarPhoto:
    return photo_services.car_photo_add(user=manager, car_id=car.pk, image=SimpleUploadedFile(name, data, "image/jpeg"))


def read_variant(variant: CarPhotoVariant) -> Image.Image:
    with variant_storage().open(variant.name, "rb") as handle:
        img = Image.open(BytesIO(handle.read()))
        img.load()
    return img


def test_an_upload_asks_for_its_variants_through_the_outbox(manager, car):
    photo = add(manager, car, phone_jpeg())
    assert photo.variants_state == CarPhoto.Variants.PENDING and not photo.variants.exists()
    message = OutboxMessage.objects.get()
    assert (message.task, message.args) == ("ifixit.inventory.tasks.make_photo_variants", [photo.pk])
    assert photo.is_primary and photo.position == 0
    second = add(manager, car, images.image_bytes("PNG"), "b.png")
    assert (second.is_primary, second.position) == (False, 1)


def test_variants_are_upright_stripped_and_at_every_width(manager, car):
    photo = add(manager, car, phone_jpeg(size=(3000, 2000)))
    result = make_photo_variants(photo.pk)
    assert result["state"] == "ready" and result["written"] == len(SIZES) * len(formats_made())
    photo.refresh_from_db()
    assert photo.variants_ready
    variants = list(photo.variants.all())
    assert {(v.size, v.format) for v in variants} == {(s, f) for s in SIZES for f in formats_made()}
    for variant in variants:
        img = read_variant(variant)
        # Turned upright: the 3000 x 2000 sideways pixels become a 2000 wide, 3000 tall photo.
        expected_width = min(SIZES[variant.size], 2000)
        assert (img.width, variant.width) == (expected_width, expected_width), variant.size
        assert img.height == variant.height == round(expected_width * 1.5)
        # The blue band on the left edge is now along the top.
        r, g, b = img.convert("RGB").getpixel((img.width // 2, 2))
        assert b > 150 and r < 100, (variant.size, variant.format, (r, g, b))
        assert not img.getexif(), f"{variant.name} kept EXIF"
        assert img.getexif().get_ifd(GPS_IFD) == {}
        for key in ("exif", "xmp", "XML:com.adobe.xmp", "icc_profile", "comment"):
            assert key not in img.info, f"{variant.name} kept {key}"
        with variant_storage().open(variant.name, "rb") as handle:
            raw = handle.read()
        assert b"PhoneCo" not in raw and b"xmpmeta" not in raw and variant.bytes == len(raw)
        assert {"jpeg": "JPEG", "webp": "WEBP", "avif": "AVIF"}[variant.format] == img.format


def test_a_small_photo_is_never_enlarged(manager, car):
    photo = add(manager, car, images.image_bytes("PNG", size=(300, 200)), "small.png")
    make_photo_variants(photo.pk)
    widths = dict(photo.variants.filter(format="jpeg").values_list("size", "width"))
    assert widths == {"thumb": 160, "card": 300, "page": 300, "full": 300}


def test_an_iphone_heic_is_accepted_and_gets_variants(manager, car):
    out = BytesIO()
    Image.new("RGB", (1200, 900), (30, 160, 60)).save(out, "HEIF", quality=60)
    assert pillow_heif.is_supported(out.getvalue())
    photo = add(manager, car, out.getvalue(), "IMG_0002.HEIC")
    assert photo.image.name.endswith(".heic") and (photo.width, photo.height) == (1200, 900)
    make_photo_variants(photo.pk)
    page = photo.variants.get(size="page", format="webp")
    assert (page.width, page.height) == (1024, 768)
    assert read_variant(page).getpixel((10, 10))[1] > 120


def test_a_decompression_bomb_is_refused_at_upload(manager, car, settings):
    with pytest.raises(Exception, match="megapixels"):
        add(manager, car, images.png_declaring(50_000, 50_000), "bomb.png")
    assert not CarPhoto.objects.exists() and not OutboxMessage.objects.exists()
    assert not list(Path(settings.MEDIA_ROOT).rglob("*.*"))


def test_the_task_twice_gives_the_same_files(manager, car, settings):
    photo = add(manager, car, phone_jpeg(size=(1600, 1200)))
    first = make_photo_variants(photo.pk)
    names = sorted(photo.variants.values_list("name", flat=True))
    files = sorted(p.relative_to(settings.MEDIA_ROOT) for p in Path(settings.MEDIA_ROOT, "variants").rglob("*.*"))
    second = make_photo_variants(photo.pk)
    assert first["written"] == len(names) and second == {**first, "written": 0}
    assert sorted(photo.variants.values_list("name", flat=True)) == names
    assert (
        sorted(p.relative_to(settings.MEDIA_ROOT) for p in Path(settings.MEDIA_ROOT, "variants").rglob("*.*")) == files
    )
    assert all(f"/{photo.pk}/" in name and len(name.rsplit("-", 1)[1].split(".")[0]) == 20 for name in names)


def test_a_bad_original_fails_with_its_reason_and_leaves_no_variant(manager, car, settings):
    photo = add(manager, car, phone_jpeg(size=(800, 600)))
    make_photo_variants(photo.pk)
    assert photo.variants.count() == len(SIZES) * len(formats_made())
    # The stored original is damaged afterwards (a disk fault, a partial copy from an old system).
    with default_storage.open(photo.image.name, "wb") as handle:
        handle.write(images.truncated_jpeg())
    result = make_photo_variants(photo.pk)
    photo.refresh_from_db()
    assert result["state"] == "failed" and photo.variants_state == CarPhoto.Variants.FAILED
    assert "incomplete" in photo.variants_error
    assert not photo.variants.exists()


def test_a_missing_original_fails_clearly(manager, car):
    photo = add(manager, car, phone_jpeg(size=(800, 600)))
    default_storage.delete(photo.image.name)
    assert make_photo_variants(photo.pk)["error"] == "The original file is missing from storage."


def test_a_photo_deleted_before_its_task_is_skipped(manager, car):
    photo = add(manager, car, phone_jpeg(size=(800, 600)))
    photo_services.car_photo_delete(user=manager, car_id=car.pk, photo_id=photo.pk)
    assert make_photo_variants(photo.pk)["state"] == "gone"


def test_old_photos_are_queued_by_the_backfill_command(manager, car, capsys):
    stored = default_storage.save(
        f"cars/{car.pk}/0123456789abcdef0123456789abcdef.jpg", ContentFile(phone_jpeg((640, 480)))
    )
    old = CarPhoto.objects.create(car=car, image=stored, width=640, height=480)
    from django.core.management import call_command

    call_command("photos_make_variants")
    old.refresh_from_db()
    assert old.variants_ready and old.variants.filter(size="thumb").exists()
    assert "1/1" in capsys.readouterr().out
    call_command("photos_make_variants")  # nothing left: nothing done
    assert "0 photos" in capsys.readouterr().out


def test_the_demo_photos_come_in_with_gps_and_leave_without(manager, car):
    from ifixit.inventory.photos.demo import add_demo_photos

    car.colour = "Blue"
    assert add_demo_photos(cars=[car], user=manager, per_car=1) == 1
    photo = car.photos.get()
    with default_storage.open(photo.image.name, "rb") as handle:
        original = Image.open(BytesIO(handle.read()))
        assert original.getexif().get_ifd(GPS_IFD) and original.size == (1200, 1600)  # stored sideways
    make_photo_variants(photo.pk)
    page = read_variant(photo.variants.get(size="page", format="jpeg"))
    assert page.size == (1024, 768) and not page.getexif()
