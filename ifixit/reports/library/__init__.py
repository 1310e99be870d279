"""Every report of the catalogue, one module per domain; importing this registers them."""

from ifixit.reports.library import finance, purchases, repairs, roi, sales, stock, transfers  # noqa: F401
