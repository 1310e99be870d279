"""The customer-care demo is planned from its seed: the same seed, the same customers (a test
that seeds for itself, apart from the shared demo of test_demo_data)."""

from io import StringIO

from django.core.management import call_command

from ifixit.crm.demo_data import crm_demo_data_create
from ifixit.crm.models import Customer, FollowUpRule
from ifixit.finance.demo_data import finance_demo_data_create
from ifixit.finance.models import FinanceApplication
from ifixit.inventory.models import Sale


def test_it_plans_the_same_customers_from_the_same_seed(db):
    call_command("seed_demo", cars=60, seed=7, stdout=StringIO())
    fields = ("name", "email", "phone", "postcode")
    first = sorted(Customer.objects.values_list(*fields))
    assert first
    FinanceApplication.objects.all().delete()
    Sale.objects.update(customer=None)
    Customer.objects.all().delete()
    FollowUpRule.objects.all().delete()
    crm_demo_data_create(seed=7)
    finance_demo_data_create(seed=7)  # it puts older finance buyers on file too
    assert sorted(Customer.objects.values_list(*fields)) == first
