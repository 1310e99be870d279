"""Photos on S3-compatible storage, against a real S3-speaking server (moto's, started here in a
thread: CI needs nothing more): originals private and reached only through a presigned URL that
expires, variants stored with `Cache-Control: public, max-age=31536000, immutable` and linked
through the CDN base URL when one is set."""

import time
from io import BytesIO
from urllib.parse import parse_qs, urlsplit

import boto3
import httpx
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from ifixit.inventory.models import Phase
from ifixit.inventory.photos.storage import original_url, variant_url
from ifixit.inventory.services import photos as photo_services
from ifixit.inventory.tasks import make_photo_variants
from ifixit.testing.factories import CarFactory
from ifixit.testing.processes import free_port

BUCKET = "ifixit-photos-test"
CREDENTIALS = {"access_key": "testing", "secret_key": "testing", "region_name": "us-east-1"}


@pytest.fixture(scope="module")
def s3_server():
    from moto.server import ThreadedMotoServer

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


@pytest.fixture
def bucket(s3_server, settings):
    client = boto3.client(
        "s3",
        endpoint_url=s3_server,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        region_name="us-east-1",
    )
    client.create_bucket(Bucket=BUCKET)
    common = {
        "bucket_name": BUCKET,
        "endpoint_url": s3_server,
        **CREDENTIALS,
        "default_acl": "private",
        "querystring_auth": True,
        "querystring_expire": 3600,
    }
    # As settings.py configures them when S3_BUCKET is set.
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": {**common, "file_overwrite": False}},
        "photo_variants": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                **common,
                "location": "variants",
                "file_overwrite": True,
                "object_parameters": {"CacheControl": settings.PHOTO_VARIANT_CACHE_CONTROL},
            },
        },
    }
    yield client
    objects = client.list_objects_v2(Bucket=BUCKET).get("Contents", [])
    for item in objects:
        client.delete_object(Bucket=BUCKET, Key=item["Key"])
    client.delete_bucket(Bucket=BUCKET)


def jpeg() -> bytes:
    out = BytesIO()
    Image.new("RGB", (900, 600), (10, 120, 60)).save(out, "JPEG")
    return out.getvalue()


def test_photos_round_trip_through_s3(bucket, manager, north, client, outsider, settings):
    car = CarFactory(location=north, phase=Phase.FIXING)
    data = jpeg()
    photo = photo_services.car_photo_add(user=manager, car_id=car.pk, image=SimpleUploadedFile("a.jpg", data))
    assert make_photo_variants(photo.pk)["state"] == "ready"

    keys = {item["Key"] for item in bucket.list_objects_v2(Bucket=BUCKET)["Contents"]}
    assert photo.image.name in keys
    variant = photo.variants.get(size="card", format="webp")
    head = bucket.head_object(Bucket=BUCKET, Key=f"variants/{variant.name}")
    assert head["CacheControl"] == "public, max-age=31536000, immutable"
    assert head["ContentType"] == "image/webp" and head["ContentLength"] == variant.bytes

    # The original is private: a plain URL is refused, the presigned one the page hands out works.
    assert (
        httpx.get(f"{settings.STORAGES['default']['OPTIONS']['endpoint_url']}/{BUCKET}/{photo.image.name}").status_code
        == 403
    )
    client.force_login(manager)
    response = client.get(reverse("car_photo", args=[car.pk, photo.pk]))
    assert response.status_code == 302 and "Signature" in response["Location"]
    fetched = httpx.get(response["Location"])
    assert fetched.status_code == 200 and fetched.content == data
    assert fetched.headers["content-type"] == "image/jpeg"
    client.force_login(outsider)
    assert client.get(reverse("car_photo", args=[car.pk, photo.pk])).status_code == 404

    # It expires after PHOTO_ORIGINAL_URL_SECONDS (moto does not enforce expiry: S3 does; the
    # signed expiry time is what we control).
    settings.PHOTO_ORIGINAL_URL_SECONDS = 60
    expires = int(parse_qs(urlsplit(original_url(photo)).query)["Expires"][0])
    assert 55 <= expires - time.time() <= 65

    # Variants go through the CDN when one is set, never the originals.
    settings.PHOTO_CDN_URL = "https://img.example.net"
    assert variant_url(variant.name) == f"https://img.example.net/{variant.name}"
    assert "img.example.net" not in original_url(photo)

    # Deleting the photo removes its files from the bucket once committed (run by hand here:
    # the test's transaction never commits).
    names = [photo.image.name] + [f"variants/{v}" for v in photo.variants.values_list("name", flat=True)]
    photo_services._delete_files(photo.image.name, list(photo.variants.values_list("name", flat=True)))
    left = {item["Key"] for item in bucket.list_objects_v2(Bucket=BUCKET).get("Contents", [])}
    assert not left & set(names)
