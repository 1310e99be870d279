"""The value model in the database: training, promotion, predictions, the valuation kept
at purchase, the self-audit and the advice backtest, and their pages and API."""

import io
import re
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from ifixit.analytics import synthetic
from ifixit.analytics.advice import model_audit
from ifixit.analytics.advice import selectors as advice
from ifixit.analytics.ml import evaluation, value
from ifixit.analytics.models import SaleFact, Valuation, ValueModel
from ifixit.analytics.valuation import services as valuation
from ifixit.auctions.models import AuctionSource, Lot, Opportunity
from ifixit.inventory.models import Phase, Sale
from ifixit.testing.factories import CarFactory

FACTS = 1000


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    valuation._loaded.clear()
    yield
    valuation._loaded.clear()


@pytest.fixture
def market(db):
    SaleFact.objects.bulk_create(synthetic.facts(count=FACTS, seed=7, end=date(2026, 10, 31)))


@pytest.fixture(scope="module")
def fitted(django_db_setup, django_db_blocker):
    """One model trained for the whole module on the market below (training is the slow
    part; the tests of training itself train their own)."""
    with django_db_blocker.unblock(), transaction.atomic():
        SaleFact.objects.bulk_create(synthetic.facts(count=FACTS, seed=7, end=date(2026, 10, 31)))
        data = valuation.training_frame()
        transaction.set_rollback(True)
    train, test = evaluation.holdout_split(data)
    model = value.train(train)
    return (
        model,
        evaluation.evaluate(model, test),
        evaluation.evaluate_baseline(evaluation.Baseline.fit(train), test),
        len(train),
        len(test),
    )


@pytest.fixture
def trained(market, fitted):
    """The market, and a first model in use (as valuation_train leaves it)."""
    model, metrics, baseline, training_rows, held_out_rows = fitted
    return ValueModel.objects.create(
        version=1,
        status=ValueModel.Status.PROMOTED,
        training_rows=training_rows,
        held_out_rows=held_out_rows,
        features=list(model.features),
        metrics=metrics.as_dict() | {"interval": model.interval},
        baseline_metrics=baseline.as_dict(),
        decision="The first model: promoted.",
        promoted_at=timezone.now(),
        artifact=model.dumps(),
    )


def test_it_refuses_to_train_on_too_little_data(db):
    SaleFact.objects.bulk_create(synthetic.facts(count=50, seed=1))
    with pytest.raises(ValidationError, match="holds 50 sales; the value model needs at least 200"):
        valuation.valuation_train(triggered_by="test")
    assert not ValueModel.objects.exists()


def test_the_first_model_is_promoted_with_its_figures_and_beats_the_baseline(market):
    trained = valuation.valuation_train(triggered_by="test").model
    assert trained.status == ValueModel.Status.PROMOTED and trained.version == 1
    assert trained.training_rows + trained.held_out_rows == FACTS
    assert trained.metrics["mae"] < 0.8 * trained.baseline_metrics["mae"]
    assert 0.6 <= trained.metrics["coverage"] <= 0.95
    assert trained.decision == "The first model: promoted."


def test_it_predicts_from_the_model_in_use(trained):
    version, newer = valuation.predict(valuation.resale_row(make="Ford", model="Focus", year=2024, mileage=15_000))
    _, older = valuation.predict(valuation.resale_row(make="Ford", model="Focus", year=2016, mileage=90_000))
    assert version == trained.version
    assert newer.low <= newer.mid <= newer.high
    # synthetic.price_of: a Focus costs 24,000 new and loses 16% a year and more with miles.
    assert 9_000 < newer.mid < 24_000
    assert older.mid < 0.6 * newer.mid


def test_a_worse_model_is_refused_and_the_one_in_use_stays(trained):
    # A model trained on only the latest 250 sales is judged on held-out sales the model in
    # use learned from far more data about: it is worse, and is kept but not promoted.
    result = valuation.valuation_train(triggered_by="test", max_rows=250)
    assert result.promoted is False
    refused = result.model
    assert refused.status == ValueModel.Status.REJECTED and refused.version == 2
    assert refused.compared_with_id == trained.pk
    assert re.match(
        r"Against v1 on the same held-out sales: MAE [\d,]+ against the current [\d,]+ \(\+\d+\.\d%\): worse",
        refused.decision,
    )
    trained.refresh_from_db()
    assert trained.status == ValueModel.Status.PROMOTED
    assert valuation.model_in_use()[0] == 1


def test_a_model_not_worse_replaces_the_one_in_use(market):
    first = valuation.valuation_train(triggered_by="test", max_rows=250).model
    second = valuation.valuation_train(triggered_by="test")
    assert second.promoted is True
    first.refresh_from_db()
    assert first.status == ValueModel.Status.RETIRED
    assert valuation.model_in_use()[0] == second.model.version == 2


def test_the_command_cross_validates_the_model_against_the_baseline(market):
    out = io.StringIO()
    call_command("valuation_train", "--evaluate", "--folds", "2", stdout=out)
    text = out.getvalue()
    assert f"2-fold cross-validation on {FACTS:,} sales:" in text
    model_mae = float(re.search(r"model\s+MAE\s+([\d,]+)", text).group(1).replace(",", ""))
    baseline_mae = float(re.search(r"baseline\s+MAE\s+([\d,]+)", text).group(1).replace(",", ""))
    assert model_mae < 0.8 * baseline_mae
    assert "better than the baseline's" in text
    assert not ValueModel.objects.exists()  # evaluating keeps nothing


def test_the_command_trains_and_says_whether_it_promoted(market):
    out = io.StringIO()
    call_command("valuation_train", stdout=out)
    assert "Value model v1: trained on 800 sales, tested on 200 held out." in out.getvalue()
    assert "Promoted: now in use." in out.getvalue()


def test_the_valuation_at_purchase_is_kept_once(trained, north):
    car = CarFactory(
        location=north, make="Ford", model="Focus", year=2020, mileage=40_000, purchased_on=date(2026, 9, 1)
    )
    recorded = valuation.valuation_record(car_id=car.pk)
    assert recorded.model_version == 1
    assert recorded.low <= recorded.predicted <= recorded.high
    assert valuation.valuation_record(car_id=car.pk) is None
    assert Valuation.objects.filter(car=car).count() == 1


def test_no_valuation_is_kept_before_a_model_exists(north):
    car = CarFactory(location=north)
    assert valuation.valuation_record(car_id=car.pk) is None
    assert not Valuation.objects.exists()


# -- self-audit and backtest: figures by hand, no model needed


def _sold(
    location,
    *,
    make="Ford",
    model="Focus",
    predicted,
    low,
    high,
    price,
    sold_on,
    purchase_price=Decimal(5000),
    transport=Decimal(100),
    bought=date(2026, 1, 10),
    cost=None,
):
    car = CarFactory(
        location=location,
        make=make,
        model=model,
        phase=Phase.SOLD,
        purchase_price=purchase_price,
        auction_fees=Decimal(0),
        transport_cost=transport,
        purchased_on=bought,
    )
    Sale.objects.create(
        car=car,
        sold_on=sold_on,
        price=Decimal(price),
        location=location,
        cost_at_sale=cost if cost is not None else purchase_price + transport,
    )
    Valuation.objects.create(
        car=car, model_version=3, predicted=Decimal(predicted), low=Decimal(low), high=Decimal(high)
    )
    return car


def test_self_audit_by_hand(north, south, manager, outsider):
    _sold(north, predicted=10_000, low=9_000, high=11_000, price=9_500, sold_on=date(2026, 3, 5))  # error +500, inside
    _sold(
        north, predicted=8_000, low=7_500, high=8_500, price=10_000, sold_on=date(2026, 3, 20)
    )  # error −2,000, outside
    _sold(
        north, make="BMW", model="X1", predicted=20_000, low=18_000, high=22_000, price=20_000, sold_on=date(2026, 4, 2)
    )
    _sold(south, predicted=5_000, low=4_000, high=6_000, price=1_000, sold_on=date(2026, 3, 1))  # South's: not Nina's

    audit = model_audit.self_audit(user=manager)
    overall = audit.overall
    assert overall.count == 3
    assert overall.mae == pytest.approx((500 + 2000 + 0) / 3)
    assert overall.mape == pytest.approx((500 / 9500 + 2000 / 10000 + 0) / 3)
    assert overall.bias == pytest.approx((500 / 9500 - 2000 / 10000 + 0) / 3)
    assert overall.coverage == pytest.approx(2 / 3)
    assert [(r.label, r.count) for r in audit.by_model] == [("Ford Focus", 2), ("BMW X1", 1)]
    assert [(r.label, r.count, r.mae) for r in audit.by_month] == [("Mar 2026", 2, 1250.0), ("Apr 2026", 1, 0.0)]
    assert audit.versions == [3]
    assert model_audit.self_audit(user=outsider).overall.count == 1


def _won(car, source, *, damage="front end", hammer):
    lot = Lot.objects.create(
        source=source,
        external_id=f"L{car.pk}",
        make=car.make,
        model=car.model,
        stage=Lot.Stage.CLOSED,
        outcome=Lot.Outcome.SOLD,
        current_bid=hammer,
        damage=damage,
        closed_at=timezone.now(),
    )
    Opportunity.objects.create(lot=lot, decision=Opportunity.Decision.WON, car=car)


def test_the_backtest_replays_each_won_lot_at_its_hammer_price(north, manager, outsider):
    source = AuctionSource.objects.create(
        name="Copart", url="http://example.test/", buyer_fee_percent=Decimal(5), buyer_fee_fixed=Decimal(150)
    )
    # Both sold after 40 days with no repairs and £100 transport each: repairs 0 (2 cars),
    # transport 100, holding 12 × 40 = 480, margin 12%.
    cheap = _sold(
        north,
        predicted=10_000,
        low=9_000,
        high=11_000,
        price=9_800,
        sold_on=date(2026, 2, 19),
        purchase_price=Decimal(6000),
        cost=Decimal(6400),
    )
    dear = _sold(
        north,
        predicted=10_000,
        low=9_000,
        high=11_000,
        price=9_000,
        sold_on=date(2026, 2, 19),
        purchase_price=Decimal(9000),
        cost=Decimal(9500),
    )
    _won(cheap, source, hammer=6000)
    _won(dear, source, hammer=9000)
    # Max bid on a 10,000 prediction: (10,000 − 0 − 100 − 480 − 1,200 − 150) / 1.05 = 7,685.71 → 7,650.
    assert advice.costs_for_lot(cheap.won_lot.lot, advice.history())[0].holding == Decimal("480.00")

    result = model_audit.advice_backtest(user=manager)
    assert result.lots == 2
    assert (result.advice.bought, result.advice.profit, result.advice.losses) == (1, Decimal("3400.00"), 0)
    assert (result.up_to_value.bought, result.up_to_value.profit, result.up_to_value.losses) == (
        2,
        Decimal("2900.00"),
        1,
    )
    assert result.as_bought.bought == 2
    assert model_audit.advice_backtest(user=outsider).lots == 0


# -- pages and API


def test_the_value_model_page_shows_the_model_and_audit(client, manager, trained):
    client.force_login(manager)
    response = client.get(reverse("analytics_value_model"))
    assert response.status_code == 200
    page = response.content.decode()
    assert 'data-testid="mae"' in page and "Version 1" in page
    assert "Train now" not in page  # managers see the model; only admins retrain it


def test_the_value_model_page_without_a_model_says_so(client, manager):
    client.force_login(manager)
    assert b'data-testid="no-model"' in client.get(reverse("analytics_value_model")).content


def test_the_value_model_page_refuses_anonymous_and_workshop(client, workshop_user):
    assert client.get(reverse("analytics_value_model")).status_code == 302
    client.force_login(workshop_user)
    assert client.get(reverse("analytics_value_model")).status_code == 403


def test_train_now_is_for_admins_and_posts_only(client, manager, admin_user):
    client.force_login(manager)
    assert client.post(reverse("analytics_value_model_train")).status_code == 403
    client.force_login(admin_user)
    assert client.get(reverse("analytics_value_model_train")).status_code == 405
    response = client.post(reverse("analytics_value_model_train"))
    assert response.status_code == 302 and response["Location"] == reverse("analytics_value_model")


def test_the_value_model_page_runs_a_fixed_number_of_queries(client, manager, north, django_assert_max_num_queries):
    for i in range(3):
        _sold(north, predicted=10_000, low=9_000, high=11_000, price=9_500 + i, sold_on=date(2026, 3, 5))
    client.force_login(manager)
    with django_assert_max_num_queries(20) as few:
        client.get(reverse("analytics_value_model"))
    for i in range(20):
        _sold(
            north,
            model=f"Model {i}",
            predicted=10_000,
            low=9_000,
            high=11_000,
            price=9_500 + i,
            sold_on=date(2026, 3, 5),
        )
    cache.clear()
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(reverse("analytics_value_model"))


def test_the_valuation_api(api, trained):
    response = api.post(
        reverse("api_analytics_valuation"),
        {"make": "Ford", "model": "Focus", "year": 2021, "mileage": 30000},
        format="json",
    )
    assert response.status_code == 200
    body = response.json()
    assert Decimal(body["low"]) <= Decimal(body["predicted"]) <= Decimal(body["high"])
    assert body["accuracy"]["version"] == 1 and body["accuracy"]["mae"] == pytest.approx(trained.metrics["mae"])


def test_the_valuation_api_refuses_bad_input_by_field(api, trained):
    response = api.post(
        reverse("api_analytics_valuation"),
        {"make": "Ford", "year": 1800, "mileage": -5, "fuel": "steam"},
        format="json",
    )
    assert response.status_code == 400
    assert set(response.json()) == {"model", "year", "mileage", "fuel"}


def test_the_valuation_api_before_any_model(api, db):
    response = api.post(
        reverse("api_analytics_valuation"),
        {"make": "Ford", "model": "Focus", "year": 2021, "mileage": 30000},
        format="json",
    )
    assert response.status_code == 404 and response.json()["detail"] == "No value model has been trained yet."


def test_the_valuation_api_refuses_anonymous_and_workshop(workshop_user, db, anon, api_for):
    assert anon.post(reverse("api_analytics_valuation"), {}, format="json").status_code == 401
    api = api_for(workshop_user)
    assert api.post(reverse("api_analytics_valuation"), {}, format="json").status_code == 403


def test_lot_advice_on_the_api_and_the_lot_page(api, client, manager, trained):
    source = AuctionSource.objects.create(name="Copart", url="http://example.test/")
    lot = Lot.objects.create(
        source=source,
        external_id="A1",
        make="Ford",
        model="Focus",
        year=2021,
        mileage=30000,
        damage="front end",
        current_bid=1000,
        stage=Lot.Stage.LIVE,
    )
    response = api.get(reverse("api_analytics_lot_advice", args=[lot.pk]))
    assert response.status_code == 200
    body = response.json()
    assert body["verdict"] in ("buy", "caution", "pass")
    # The arithmetic of ml.advice on the figures the API reports.
    costs = body["costs"]
    room = (
        Decimal(body["resale"])
        - Decimal(costs["repair"])
        - Decimal(costs["transport"])
        - Decimal(costs["holding"])
        - Decimal(body["margin"])
        - Decimal(costs["fee_fixed"])
    ) / (1 + Decimal(costs["fee_percent"]) / 100)
    assert body["max_bid"] == max(0, int(room // 50) * 50)
    assert body["accuracy"]["version"] == 1

    client.force_login(manager)
    page = client.get(reverse("lot_detail", args=[lot.pk])).content.decode()
    assert f'data-testid="max-bid">£{body["max_bid"]:,}' in page
    board = client.get(reverse("lot_board")).content.decode()
    assert f'data-testid="advice-{lot.pk}"' in board


def test_a_lot_in_another_currency_gets_no_advice(api, trained):
    source = AuctionSource.objects.create(name="Autorola", url="http://example.test/")
    lot = Lot.objects.create(source=source, external_id="E1", make="Ford", model="Focus", year=2021, currency="EUR")
    response = api.get(reverse("api_analytics_lot_advice", args=[lot.pk]))
    assert response.status_code == 404 and "cannot be priced" in response.json()["detail"]


def test_the_board_runs_a_fixed_number_of_queries_with_advice(client, manager, trained, django_assert_max_num_queries):
    source = AuctionSource.objects.create(name="Copart", url="http://example.test/")
    client.force_login(manager)

    def lots(n, start):
        Lot.objects.bulk_create(
            Lot(
                source=source,
                external_id=f"B{start + i}",
                make="Ford",
                model="Focus",
                year=2019,
                mileage=50_000,
                current_bid=500,
                stage=Lot.Stage.LIVE,
                ends_at=timezone.now() + timedelta(hours=1),
            )
            for i in range(n)
        )

    lots(2, 0)
    client.get(reverse("lot_board"))  # warm the model and the history cache
    with django_assert_max_num_queries(30) as few:
        client.get(reverse("lot_board"))
    lots(30, 100)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(reverse("lot_board"))
    assert response.content.decode().count('class="lot-advice"') == 32


def test_car_advice_is_scoped_to_the_users_locations(api, trained, north, south):
    mine = CarFactory(location=north, phase=Phase.LISTED, asking_price=Decimal(9000), year=2020, mileage=40000)
    theirs = CarFactory(location=south, phase=Phase.LISTED, asking_price=Decimal(9000))
    response = api.get(reverse("api_analytics_car_advice", args=[mine.pk]))
    assert response.status_code == 200 and response.json()["action"] in ("hold", "reprice", "move")
    assert api.get(reverse("api_analytics_car_advice", args=[theirs.pk])).status_code == 404


def test_the_self_audit_api(api, north, south):
    _sold(north, predicted=10_000, low=9_000, high=11_000, price=9_500, sold_on=date(2026, 3, 5))
    _sold(south, predicted=10_000, low=9_000, high=11_000, price=5_000, sold_on=date(2026, 3, 5))
    body = api.get(reverse("api_analytics_self_audit")).json()
    assert body["overall"]["count"] == 1 and body["overall"]["mae"] == 500.0
    assert body["backtest"]["lots"] == 0


def test_the_car_page_gives_price_advice_but_not_to_the_workshop(client, trained, north, manager, workshop_user):
    car = CarFactory(location=north, phase=Phase.LISTED, asking_price=Decimal(60000), year=2020, mileage=40000)
    client.force_login(manager)
    page = client.get(reverse("car_detail", args=[car.pk])).content.decode()
    assert 'data-testid="stock-advice"' in page
    assert 'data-testid="stock-action">Hold' in page  # far above the market, but only just listed
    client.force_login(workshop_user)
    assert 'data-testid="stock-advice"' not in client.get(reverse("car_detail", args=[car.pk])).content.decode()


def test_the_demo_gives_the_advice_pages_something_to_show(db):
    out = io.StringIO()
    call_command("seed_demo", cars=150, stdout=out)
    assert "Advice: " in out.getvalue()
    in_use = ValueModel.objects.get(status=ValueModel.Status.PROMOTED)
    assert in_use.metrics["mae"] < in_use.baseline_metrics["mae"]
    won = Opportunity.objects.filter(decision=Opportunity.Decision.WON, car__isnull=False).count()
    assert won > 100 and Valuation.objects.count() == won
    # Every valuation comes from a model that did not learn from that car's own sale.
    assert set(Valuation.objects.values_list("model__status", flat=True)) == {ValueModel.Status.EVALUATED}
