"""The staff bench/load.py simulates: locust users, each one member of staff of the demo with
their own signed-in session and API token (made by bench/load.py, read from BENCH_LOAD_STAFF),
doing what their role does all day, with think time (BENCH_LOAD_THINK, "MIN-MAX" seconds).

Every request goes as through production's proxy: X-Forwarded-Proto https (so the production
settings' HTTPS redirect and secure cookies hold) and the member of staff's own address in
X-Forwarded-For (so the API's per-address throttle counts them apart, as it would their desks).
Cookies are sent by hand: the secure ones Django sets would never go back over plain HTTP.

A page that shows one car, customer or lot takes its id from the last list the user saw.
Anything but a 2xx or 3xx is an error, and so is a redirect to the sign-in page; each error's
message is a sample of the answer. Every request's time is written to BENCH_LOAD_SAMPLES when
the run stops: bench/load.py computes percentiles over its own window from them.
"""

import itertools
import json
import os
import random
import re
import time
from urllib.parse import urlencode

from locust import FastHttpUser, events, task

with open(os.environ["BENCH_LOAD_STAFF"]) as staff_file:
    STAFF = json.load(staff_file)
SEATS = itertools.cycle(STAFF["staff"])
THINK_MIN, THINK_MAX = (float(x) for x in os.environ.get("BENCH_LOAD_THINK", "1-5").split("-"))
SAMPLES: list[dict] = []

CAR_FILTERS = [
    {},
    {"phase": "fixing", "sort": "phase_changed_at"},
    {"make": "Ford", "year_min": "2016"},
    {"q": "golf"},
    {"phase": "listed", "sort": "-total_cost"},
    {"phase": "ready"},
    {"page": "2"},
]
LINKS = {
    "car": re.compile(r'href="/cars/(\d+)/"'),
    "customer": re.compile(r'href="/customers/(\d+)/"'),
    "lot": re.compile(r'href="/auctions/lots/(\d+)/"'),
}

# What each role does, and how often (weights). Every role opens the dashboard, the car list
# and cars, and calls the car API as their scripts do.
COMMON = {"dashboard": 3, "car_list": 4, "car_page": 4, "api_cars": 2}
MIX = {
    "admin": COMMON
    | {"auction_board": 2, "customer_page": 2, "report": 1, "api_lots": 1, "api_customers": 1, "ops": 1},
    "manager": COMMON | {"auction_board": 1, "customer_page": 2, "report": 1, "api_lots": 1, "api_customers": 1},
    "buyer": COMMON | {"auction_board": 4, "lot_page": 2, "report": 1, "api_lots": 2},
    "sales": COMMON | {"customer_list": 1, "customer_page": 4, "report": 1, "api_customers": 2},
    "workshop": COMMON | {"repair_board": 3, "report": 1},
}


@events.request.add_listener
def _keep(request_type, name, response_time, exception, start_time=None, **kwargs):
    SAMPLES.append({
        "name": name, "ms": response_time, "start": start_time or time.time() - response_time / 1000,
        "error": str(exception)[:300] if exception else "",
    })  # fmt: skip


@events.quitting.add_listener
def _write(environment, **kwargs):
    with open(os.environ["BENCH_LOAD_SAMPLES"], "w") as out:
        json.dump(SAMPLES, out)


class Staff(FastHttpUser):
    def wait_time(self):
        return random.uniform(THINK_MIN, THINK_MAX)

    def on_start(self):
        me = next(SEATS)
        self.me = me
        proxy = {"X-Forwarded-Proto": "https", "X-Forwarded-For": me["address"]}
        self.page_headers = proxy | {"Cookie": f"sessionid={me['session']}"}
        self.api_headers = proxy | {"Authorization": f"Bearer {me['token']}", "Accept": "application/json"}
        self.actions, self.weights = zip(*[(getattr(self, n), w) for n, w in MIX[me["role"]].items()], strict=True)
        if not me["reports"]:
            self.weights = tuple(
                0 if a.__name__ == "report" else w for a, w in zip(self.actions, self.weights, strict=True)
            )
        self.seen: dict[str, list[str]] = {kind: [] for kind in LINKS}

    @task
    def act(self):
        random.choices(self.actions, self.weights)[0]()

    def get(self, name: str, path: str, params: dict | None = None, *, api: bool = False) -> str:
        url = f"{path}?{urlencode(params)}" if params else path
        headers = self.api_headers if api else self.page_headers
        with self.client.get(url, headers=headers, name=name, catch_response=True, allow_redirects=False) as response:
            status = response.status_code
            location = response.headers.get("location", "") if response.headers else ""
            if not 200 <= status < 400:
                body = (response.text or "")[:200].replace("\n", " ") if status else str(response.error)
                response.failure(f"{status} GET {url}: {body}")
            elif status >= 300 and "/login/" in location:
                response.failure(f"{status} GET {url}: signed out, sent to {location}")
            else:
                response.success()
            return response.text or "" if status == 200 else ""

    # --- pages ---

    def dashboard(self):
        self.get("page: dashboard", "/")

    def _list(self, kind: str, name: str, path: str, params: dict | None = None):
        """A list page; the ids of what it links to are what the user can open next."""
        found = LINKS[kind].findall(self.get(name, path, params))
        self.seen[kind] = found or self.seen[kind]

    def _one(self, kind: str, name: str, path: str, list_action):
        if not self.seen[kind]:
            return list_action()
        self.get(name, path.format(random.choice(self.seen[kind])))

    def car_list(self):
        self._list("car", "page: car list (filtered)", "/cars/", random.choice(CAR_FILTERS))

    def car_page(self):
        self._one("car", "page: car", "/cars/{}/", self.car_list)

    def auction_board(self):
        self._list("lot", "page: auction board", "/auctions/")

    def lot_page(self):
        self._one("lot", "page: auction lot", "/auctions/lots/{}/", self.auction_board)

    def customer_list(self):
        self._list("customer", "page: customer list", "/customers/")

    def customer_page(self):
        self._one("customer", "page: customer", "/customers/{}/", self.customer_list)

    def report(self):
        key, period = random.choice(list(self.me["reports"].items()))
        self.get("page: report on screen", f"/reports/{key}/", {"show": "1", "period": period})

    def repair_board(self):
        self.get("page: repair board", "/repair-board/")

    def ops(self):
        self.get("page: ops dashboard", "/ops/")

    # --- API lists, each with its bare view right beside it (bench/load_urls.py) ---

    def _pair(self, api_name: str, api_path: str, bare_path: str):
        bare_name = STAFF["pairs"][api_name]
        calls = [lambda: self.get(api_name, api_path, api=True), lambda: self.get(bare_name, bare_path)]
        random.shuffle(calls)  # neither always goes first
        for call in calls:
            call()

    def api_cars(self):
        self._pair("api: cars", "/api/v1/cars/", "/bench/bare/cars/")

    def api_lots(self):
        self._pair("api: auction lots", "/api/v1/auctions/lots/", "/bench/bare/lots/")

    def api_customers(self):
        self._pair("api: customers", "/api/v1/customers/", "/bench/bare/customers/")
