"""Value and trend models as plain pandas/scikit-learn functions: a selector builds the
frame, a service stores the result, a task runs the steps. Nothing here touches the ORM."""
