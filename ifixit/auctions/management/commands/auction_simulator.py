"""Run the fake auction site (ifixit.auctions.simulator) until stopped."""

import random
from datetime import datetime

from django.core.management.base import BaseCommand, CommandError

from ifixit.auctions.simulator import SimulatorConfig, run_simulator


def _probability(raw: str) -> float:
    value = float(raw)
    if not 0 <= value <= 1:
        raise ValueError(raw)
    return value


def _moment(raw: str) -> datetime:
    moment = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        raise ValueError(raw)
    return moment


class Command(BaseCommand):
    help = (
        "Serve a simulated salvage auction (docs/auction-feed-protocol.md): WebSocket /feed, /snapshot, "
        "/events, /stats and optional webhooks, with fault switches for the WebSocket stream."
    )

    def add_arguments(self, parser):
        defaults = SimulatorConfig()
        parser.add_argument("--host", default="127.0.0.1", help="Address to listen on (default 127.0.0.1).")
        parser.add_argument("--port", type=int, default=8765, help="Port; 0 picks a free one (default 8765).")
        parser.add_argument("--seed", type=int, help="The same seed gives the same lots and bids (default: random).")
        parser.add_argument(
            "--start",
            type=_moment,
            help="Simulated start time, ISO 8601 with zone (default: now). With --seed: byte-identical events.",
        )
        parser.add_argument("--lots", type=int, default=defaults.lots, help="Lots to sell; 0 runs for ever.")
        parser.add_argument("--lanes", type=int, default=defaults.lanes, help="Lanes running in parallel.")
        parser.add_argument(
            "--listed-ahead", type=int, default=defaults.listed_ahead, help="Lots per lane open for pre-bids."
        )
        parser.add_argument(
            "--rate", type=float, default=defaults.rate, help="Events per second; 0 is as fast as possible."
        )
        parser.add_argument(
            "--time-scale",
            type=float,
            help="Simulated seconds per real second (1 is real time); --rate still caps. Default: --rate alone.",
        )
        parser.add_argument("--heartbeat", type=float, default=defaults.heartbeat_seconds, help="Seconds.")
        faults = parser.add_argument_group("faults (WebSocket stream only)")
        faults.add_argument("--drop-every", type=int, default=0, help="Close each connection after about N events.")
        faults.add_argument("--duplicate", type=_probability, default=0.0, help="Send an event twice (probability).")
        faults.add_argument("--reorder", type=_probability, default=0.0, help="Swap an event with the next one.")
        faults.add_argument("--delay-ms", type=int, default=0, help="Stall the stream this long before an event ...")
        faults.add_argument(
            "--delay-p", type=_probability, default=defaults.delay_p, help="... with this probability (default 0.1)."
        )
        faults.add_argument("--malformed", type=_probability, default=0.0, help="Send a broken frame (probability).")
        webhook = parser.add_argument_group("webhook delivery")
        webhook.add_argument("--webhook", metavar="URL", help="POST every event here, signed.")
        webhook.add_argument("--webhook-secret", default="", help="HMAC-SHA256 key for X-Ifixit-Signature.")
        webhook.add_argument("--webhook-attempts", type=int, default=defaults.webhook_attempts, help="Tries an event.")

    def handle(self, *args, **options):
        seed = options["seed"] if options["seed"] is not None else random.randrange(1_000_000)
        try:
            config = SimulatorConfig(
                seed=seed,
                lots=options["lots"],
                lanes=options["lanes"],
                listed_ahead=options["listed_ahead"],
                rate=options["rate"],
                time_scale=options["time_scale"],
                start=options["start"],
                heartbeat_seconds=options["heartbeat"],
                drop_every=options["drop_every"],
                duplicate=options["duplicate"],
                reorder=options["reorder"],
                delay_ms=options["delay_ms"],
                delay_p=options["delay_p"],
                malformed=options["malformed"],
                webhook_url=options["webhook"],
                webhook_secret=options["webhook_secret"],
                webhook_attempts=options["webhook_attempts"],
            )
        except ValueError as exc:
            raise CommandError(str(exc)) from None

        def ready(url: str) -> None:
            self.stdout.write(
                f"Auction simulator listening on {url} (WebSocket {url.replace('http', 'ws', 1)}/feed); "
                + "; ".join(_summary(config))
            )
            self.stdout.flush()  # a parent process reads the URL from a pipe

        try:
            run_simulator(config, host=options["host"], port=options["port"], on_ready=ready)
        except OSError as exc:
            raise CommandError(f"cannot listen on {options['host']}:{options['port']}: {exc}") from None


def _summary(config: SimulatorConfig) -> list[str]:
    lots = f"{config.lots} lots" if config.lots else "lots without end"
    pace = f"{config.rate:g} events/s" if config.rate else "as many events/s as it can"
    if config.time_scale:
        pace += f", at most {config.time_scale:g} simulated seconds a second"
    parts = [f"seed {config.seed}, {lots} in {config.lanes} lanes, {pace}"]
    faults = {
        "drop every": config.drop_every,
        "duplicate": config.duplicate,
        "reorder": config.reorder,
        f"delay {config.delay_ms} ms, probability": config.delay_ms and config.delay_p,
        "malformed": config.malformed,
    }
    if config.has_faults:
        parts.append("faults: " + ", ".join(f"{name} {value:g}" for name, value in faults.items() if value))
    if config.webhook_url:
        parts.append(f"webhooks to {config.webhook_url}")
    return parts
