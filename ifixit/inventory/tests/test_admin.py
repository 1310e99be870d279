"""Django's admin: for admins only."""

from django.urls import reverse


def test_admins_reach_the_django_admin_for_cars(client, admin_user, db):
    from ifixit.testing.factories import CarFactory

    CarFactory(make="Skoda", model="Octavia")
    client.force_login(admin_user)
    response = client.get(reverse("admin:inventory_car_changelist"))
    assert response.status_code == 200 and "Octavia" in response.content.decode()


def test_managers_do_not_reach_the_django_admin(client, manager):
    client.force_login(manager)
    response = client.get(reverse("admin:inventory_car_changelist"))
    assert response.status_code == 302
