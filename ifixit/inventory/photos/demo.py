"""Photos for the demo's cars, drawn at seed time (nothing is downloaded): a car's silhouette in
its colour with its make and model written on it, as a phone's JPEG would come in. Some carry
EXIF with a GPS position and a sideways orientation, so the variants show the stripping and the
turning. They go in through the same service as an upload; the workers make their variants."""

from io import BytesIO

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image, ImageDraw

COLOURS = {
    "Grey": (110, 114, 120),
    "Black": (25, 25, 28),
    "White": (240, 240, 236),
    "Silver": (190, 194, 198),
    "Blue": (30, 70, 160),
    "Red": (180, 25, 30),
    "Orange": (230, 120, 20),
    "Green": (30, 120, 60),
    "Brown": (110, 70, 40),
    "Yellow": (235, 200, 30),
    "Bronze": (150, 110, 60),
    "Purple": (100, 40, 120),
}
VIEWS = ["Front three-quarter", "Side", "Rear"]
SIZE = (1600, 1200)
GPS_IFD, ORIENTATION = 0x8825, 0x0112


def draw_car(*, make: str, model: str, colour: str, view: str) -> Image.Image:
    img = Image.new("RGB", SIZE, (214, 224, 234))
    draw = ImageDraw.Draw(img)
    draw.rectangle((0, 900, SIZE[0], SIZE[1]), fill=(150, 150, 145))  # the yard
    body = COLOURS.get(colour, (110, 114, 120))
    shift = {"Side": 0, "Front three-quarter": -80, "Rear": 80}[view]
    draw.rounded_rectangle((200 + shift, 560, 1400 + shift, 860), 70, fill=body, outline=(20, 20, 20), width=4)
    draw.polygon([(430 + shift, 560), (580 + shift, 360), (1030 + shift, 360), (1190 + shift, 560)], fill=body)
    draw.polygon(
        [(480 + shift, 550), (600 + shift, 400), (1010 + shift, 400), (1130 + shift, 550)], fill=(170, 200, 220)
    )
    for x in (460 + shift, 1140 + shift):
        draw.ellipse((x - 115, 770, x + 115, 1000), fill=(25, 25, 25))
        draw.ellipse((x - 50, 835, x + 50, 935), fill=(170, 170, 170))
    draw.text((70, 60), f"{make} {model}", fill=(20, 20, 20), font_size=96)
    draw.text((70, 180), f"{colour} · {view}", fill=(60, 60, 60), font_size=56)
    return img


def phone_jpeg(img: Image.Image, *, with_location: bool) -> bytes:
    """As a phone saves it; with_location: the yard's GPS position and the pixels stored
    sideways with an orientation tag, as many phones do."""
    out = BytesIO()
    if not with_location:
        img.save(out, "JPEG", quality=80)
        return out.getvalue()
    exif = Image.Exif()
    exif[0x010F], exif[0x0110] = "DemoPhone", "DemoPhone 12"
    exif[ORIENTATION] = 6  # the viewer turns it 90° clockwise: stored turned the other way
    exif.get_ifd(GPS_IFD).update({1: "N", 2: (53.0, 47.0, 49.0), 3: "W", 4: (1.0, 32.0, 57.0)})
    img.transpose(Image.Transpose.ROTATE_90).save(out, "JPEG", quality=80, exif=exif)
    return out.getvalue()


def add_demo_photos(*, cars, user, per_car: int = 3) -> int:
    """Photos for each of `cars`, through the upload service; every second car's first photo
    comes with GPS and an orientation tag. Returns how many were added."""
    from ifixit.inventory.services.photos import car_photo_add

    added = 0
    for n, car in enumerate(cars):
        for i, view in enumerate(VIEWS[:per_car]):
            img = draw_car(make=car.make, model=car.model, colour=car.colour or "Grey", view=view)
            data = phone_jpeg(img, with_location=(i == 0 and n % 2 == 0))
            upload = SimpleUploadedFile(f"IMG_{car.pk:04d}_{i}.jpg", data, "image/jpeg")
            car_photo_add(user=user, car_id=car.pk, image=upload, caption=view)
            added += 1
    return added
