import logging

from django.contrib.auth.decorators import login_required
from django.db import DatabaseError, connection
from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from appointments.selectors import appointments_today
from smp_clinic import selectors
from smp_clinic.roles import Role, primary_role

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
