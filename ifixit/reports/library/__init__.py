"""Every report of the catalogue, one module per domain; importing this registers them."""

from ifixit.reports.library import auctions, finance, purchases, repairs, roi, sales, satisfaction, stock, transfers  # noqa: F401
