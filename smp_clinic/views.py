import logging

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import DatabaseError, connection
from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from appointments.selectors import appointments_today
from clients import selectors as client_selectors
from smp_clinic import audit, selectors
from smp_clinic.forms import AuditFilterForm
from smp_clinic.roles import Capability, Role, primary_role, require
from smp_clinic.selectors import AuditFilters

logger = logging.getLogger(__name__)

DASHBOARD_TEMPLATES = {
    Role.FRONT_DESK: "dashboard/front_desk.html",
    Role.PRACTITIONER: "dashboard/practitioner.html",
    Role.MANAGER: "dashboard/manager.html",
}


@login_required
def home(request):
    role = primary_role(request.user)
    if role is None:
        return render(request, "dashboard/no_role.html", status=403)
    context = {
        "role": role,
        "today": appointments_today(user=request.user),
        "mine": role == Role.PRACTITIONER,
    }
    if role == Role.MANAGER:
        context["status"] = selectors.system_status()
        context["staff_by_role"] = selectors.staff_by_role()
    return render(request, DASHBOARD_TEMPLATES[role], context)


@require_GET
@never_cache
def healthz(request):
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError as error:
        logger.warning("healthz: database unavailable (%s)", type(error).__name__)
        return HttpResponse(
            "database unavailable\n", status=503, content_type="text/plain"
        )
    return HttpResponse("ok\n", content_type="text/plain")


@require(Capability.MANAGEMENT)
@require_GET
def audit_log(request):
    """The audit trail for managers: filter by client, person, action, kind and date."""
    form = AuditFilterForm(request.GET or None)
    client = None
    if form.is_bound and form.is_valid():
        filters = form.filters()
        if filters.client_id:
            client = client_selectors.client_get_for_user(
                request.user, filters.client_id
            )
    else:
        filters = AuditFilters()
    entries = selectors.audit_entries(user=request.user, filters=filters)
    if form.is_bound and not form.is_valid():
        entries = entries.none()
    page = Paginator(entries, 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "audit/log.html",
        {
            "form": form,
            "client": client,
            "page": page,
            "rows": [audit.describe(entry) for entry in page.object_list],
            "query": query.urlencode(),
        },
        status=422 if form.errors else 200,
    )
