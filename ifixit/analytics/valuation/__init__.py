"""The value model: trained, judged and promoted; its predictions and the valuation kept when
a car is bought (page, API, tasks)."""
