"""The value model page: the model in use and how it measured on sales it never saw,
every version trained, its error on the group's own sold cars (self-audit) and what
following the bid advice would have earned (backtest)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.cache import cache
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.views.decorators.http import require_GET, require_POST

from ifixit.analytics.advice import model_audit
from ifixit.analytics.models import ValueModel
from ifixit.analytics.valuation import services as valuation
from ifixit.analytics.valuation import tasks

VERSIONS_SHOWN = 20


@login_required
@permission_required("auctions.view_lot", raise_exception=True)
@require_GET
def value_model(request):
    versions = list(ValueModel.objects.defer("artifact").select_related(None)[:VERSIONS_SHOWN])
    in_use = next((v for v in versions if v.status == ValueModel.Status.PROMOTED), None)
    if in_use is None:
        in_use = ValueModel.objects.defer("artifact").filter(status=ValueModel.Status.PROMOTED).first()
    return TemplateResponse(
        request,
        "analytics/value_model.html",
        {
            "in_use": in_use,
            "versions": versions,
            "audit": model_audit.self_audit(user=request.user),
            "backtest": model_audit.advice_backtest(user=request.user),
            "training": cache.get(tasks.TRAINING_LOCK) is not None,
        },
    )


@login_required
@permission_required("analytics.add_valuemodel", raise_exception=True)
@require_POST
def value_model_train(request):
    if valuation.valuation_train_request(triggered_by=request.user.get_username()):
        messages.success(
            request, "Training queued: the new version appears here when it is done, promoted only if it is not worse."
        )
    else:
        messages.info(request, "A training is already running; its result will appear here.")
    return redirect("analytics_value_model")
