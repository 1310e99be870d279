"""Advice for buyers and for stock from the value model's predictions and the group's history,
and how far to trust it (self-audit and backtest)."""
