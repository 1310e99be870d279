"""Analytics models as plain pandas/scikit-learn functions (value, forecast, advice): a
selector builds the frame, a service stores the result, a task runs the steps. Nothing
here touches the ORM."""
