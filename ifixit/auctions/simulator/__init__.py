"""A stand-alone fake auction site speaking docs/auction-feed-protocol.md, so the feeds
process is tested end to end against a real server. It knows nothing of Django's models
or the database: market.py is the auction, server.py the web site around it."""

from ifixit.auctions.simulator.config import SimulatorConfig
from ifixit.auctions.simulator.market import Market, increment, next_bid, proxy_price
from ifixit.auctions.simulator.server import Simulator, SimulatorServer, run_simulator
from ifixit.auctions.simulator.webhook import signature

__all__ = [
    "Market",
    "Simulator",
    "SimulatorConfig",
    "SimulatorServer",
    "increment",
    "next_bid",
    "proxy_price",
    "run_simulator",
    "signature",
]
