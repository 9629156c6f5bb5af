import csv
import logging
from datetime import date, timedelta

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.staticfiles import finders
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import DatabaseError, connection, transaction
from django.http import Http404, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.formats import date_format
from django.views.decorators.cache import cache_control, never_cache
from django.views.decorators.http import require_GET
from django_otp import login as otp_login
from kombu.exceptions import KombuError

from appointments.selectors import (
    appointments_to_move,
    appointments_today,
    online_bookings_to_prepare,
)
from clients import selectors as client_selectors
from core import accounts, audit, charts, clinic, date_input, two_factor
from core.cache import cache_ok
from core.money import format_money, to_major
from core.ratelimit import over_limit
from core.redirects import redirect_next, safe_next
from core.roles import Capability, Role, primary_role, require
from core.spreadsheets import safe_cell
from operations.selectors import backup_status
from payments import exports
from smp_clinic import money_reports, reports, selectors, tasks
from smp_clinic.celery import app as celery_app
from smp_clinic.forms import (
    AuditFilterForm,
    ClinicProfileForm,
    CodeForm,
    ReportPeriodForm,
)
from smp_clinic.selectors import AuditFilters

logger = logging.getLogger(__name__)


@require_GET
@cache_control(public=True, max_age=86400)
def favicon(request):
    """/favicon.ico, where browsers ask for it whatever the page says: the icon
    under static/, served as it is."""
    path = finders.find("favicon.ico")
    if path is None:
        raise Http404("No icon.")
    with open(path, "rb") as icon:
        return HttpResponse(icon.read(), content_type="image/x-icon")


@require(Capability.MANAGEMENT)
def setup_clinic(request):
    """Set-up -> Clinic: the clinic's name and logo (manager only, audited)."""
    form = ClinicProfileForm(
        request.POST or None,
        request.FILES or None,
        initial={"name": clinic.clinic_identity().name},
    )
    if request.method == "POST" and form.is_valid():
        clinic.clinic_profile_save(
            name=form.cleaned_data["name"],
            logo_png=form.cleaned_data["logo"],
            remove_logo=form.cleaned_data["remove_logo"],
        )
        messages.success(request, "Saved the clinic's name and logo.")
        return redirect("setup_clinic")
    return render(request, "setup/clinic.html", {"form": form})


@require_GET
def clinic_logo(request, version):
    """The uploaded logo, public (the booking page and emails show it), at a URL
    that changes with the logo, so it may be kept for a year."""
    logo = clinic.clinic_logo_file(version)
    if logo is None:
        raise Http404("No such logo.")
    with logo:
        response = HttpResponse(logo.read(), content_type="image/png")
    response["Cache-Control"] = "public, max-age=31536000, immutable"
    return response


class PasswordResetView(auth_views.PasswordResetView):
    """Django's form and pages; the email is the worker's (on commit, never in the
    request), and over the per-address limit nothing is asked of it. Every answer
    is the same redirect, whether the address has an account, is throttled or not."""

    def form_valid(self, form):
        if not over_limit(
            self.request,
            scope="password-reset",
            limit=settings.PASSWORD_RESET_PER_ADDRESS_HOUR,
            window_seconds=3600,
        ):
            address = form.cleaned_data["email"]

            def enqueue():
                tasks.send_password_reset.delay(address)

            # robust: a broker that is down loses this email (logged), not the page.
            transaction.on_commit(enqueue, robust=True)
        return HttpResponseRedirect(self.get_success_url())


TO_MOVE_WEEKS = 8

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
    if role == Role.FRONT_DESK:
        context["online_bookings"] = online_bookings_to_prepare(user=request.user)
        # The weeks the front desk books into; set-up pages list every one.
        context["to_move"] = appointments_to_move(
            until=timezone.now() + timedelta(weeks=TO_MOVE_WEEKS)
        )
        context["to_move_weeks"] = TO_MOVE_WEEKS
    if role == Role.MANAGER:
        context["status"] = selectors.system_status()
        context["backups"] = backup_status()
        context["staff_by_role"] = selectors.staff_by_role()
    return render(request, DASHBOARD_TEMPLATES[role], context)


@require_GET
@never_cache
def healthz(request):
    """Each dependency's state. Only the database is the record: without it the app
    cannot serve (503); without the cache or the broker it serves, degraded."""
    checks = {
        "database": database_ok(),
        "cache": cache_ok(cache),
        "broker": broker_ok(),
    }
    states = {name: "ok" if fine else "down" for name, fine in checks.items()}
    if not checks["database"]:
        status = "down"
    elif all(checks.values()):
        status = "ok"
    else:
        status = "degraded"
    return JsonResponse(
        {"status": status, **states}, status=503 if status == "down" else 200
    )


def database_ok() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError as error:
        logger.warning("healthz: database unavailable (%s)", type(error).__name__)
        return False
    return True


def broker_ok() -> bool:
    timeout = settings.CACHE_TIMEOUT_SECONDS
    try:
        with celery_app.connection_for_write(connect_timeout=timeout) as broker:
            broker.ensure_connection(
                max_retries=1, interval_start=0, interval_step=0, timeout=timeout
            )
    except (KombuError, OSError) as error:
        logger.warning("healthz: broker unavailable (%s)", type(error).__name__)
        return False
    return True


@require(Capability.MANAGEMENT)
@require_GET
def audit_log(request):
    """The audit trail for managers: filter by client, person, action, kind and date."""
    form = AuditFilterForm(request.GET or None)
    date_input.refuse_out_of_range(form)
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


@login_required
def two_factor_status(request):
    """Two-factor login: whether it is on, recovery codes, and turning it off."""
    codes = None
    form = CodeForm(request.POST or None)
    if request.method == "POST" and request.POST.get("action") == "codes":
        codes = accounts.recovery_codes_renew(user=request.user)
        form = CodeForm()
    elif request.method == "POST" and form.is_valid():
        try:
            accounts.two_factor_turn_off(
                user=request.user, token=form.cleaned_data["code"]
            )
        except ValidationError as error:
            form.add_error("code", error)
        else:
            messages.success(request, "Two-factor login is off.")
            return redirect("two_factor")
    return render(
        request,
        "registration/two_factor.html",
        {
            "enabled": two_factor.has_device(request.user),
            "required": two_factor.required_for(request.user),
            "codes": codes,
            "form": form,
        },
        status=422 if form.errors else 200,
    )


@login_required
def two_factor_setup(request):
    """Set up an authenticator app: scan the code, type what the app shows."""
    device = accounts.totp_device_start(user=request.user)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            codes = accounts.totp_device_confirm(
                device=device, token=form.cleaned_data["code"]
            )
        except ValidationError as error:
            form.add_error("code", error)
        else:
            otp_login(request, device)
            two_factor.settled(request)
            return render(request, "registration/two_factor.html", {"codes": codes})
    return render(
        request,
        "registration/two_factor_setup.html",
        {
            "form": form,
            "qr": two_factor.qr_svg(device),
            "secret": two_factor.secret_of(device),
            "required": two_factor.required_for(request.user),
        },
        status=422 if form.errors else 200,
    )


@login_required
def two_factor_verify(request):
    """The second step of login: the code from the app, or a recovery code."""
    next_url = safe_next(request, "")
    if request.session.get(two_factor.SESSION_KEY) != two_factor.VERIFY:
        return redirect_next(request, "home")
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            device = accounts.two_factor_check(
                user=request.user, token=form.cleaned_data["code"]
            )
        except ValidationError as error:
            form.add_error("code", error)
        else:
            otp_login(request, device)
            two_factor.settled(request)
            return redirect_next(request, "home")
    return render(
        request,
        "registration/two_factor_verify.html",
        {"form": form, "next": next_url},
        status=422 if form.errors else 200,
    )


def _label(value, format_string: str) -> str:
    return date_format(value, format_string) if isinstance(value, date) else str(value)


def _report_period(request) -> tuple[ReportPeriodForm, reports.Period | None]:
    """The period asked for, the default one when none was, or None when the dates
    given cannot make one (the form then says why, keeping what was typed)."""
    if not request.GET.get("first_day") and not request.GET.get("last_day"):
        period = reports.default_period(timezone.localdate())
        initial = {"first_day": period.first_day, "last_day": period.last_day}
        return ReportPeriodForm(initial=initial), period
    form = ReportPeriodForm(request.GET)
    date_input.refuse_out_of_range(form)
    return form, form.period() if form.is_valid() else None


def _written(report: reports.Report, row: list) -> list:
    """A row as the page shows it: amounts with their currency's symbol."""
    return [
        format_money(value, report.currency, report.locale)
        if index in report.money_columns
        else value
        for index, value in enumerate(row)
    ]


def _section(report: reports.Report) -> dict:
    rows = [_written(report, row) for row in report.rows]
    chart = None
    if report.chart and report.rows:
        label, value = report.chart
        chart = charts.bar_chart(
            slug=report.slug,
            title=report.title,
            labels=[_label(row[label], report.date_format) for row in report.rows],
            values=[row[value] for row in report.rows],
            unit=report.chart_unit,
            shown=[row[value] for row in rows] if report.money_columns else None,
        )
    return {"report": report, "rows": rows, "chart": chart}


def _reports_page(
    request, *, build, template_title: str, other: tuple[str, str], export=None
):
    form, period = _report_period(request)
    shown = [] if period is None else build(period)
    context = {
        "form": form,
        "period": period,
        "sections": [_section(report) for report in shown],
        "export": export,
        "query": request.GET.urlencode(),
        "page_title": template_title,
        "other_page": other,
    }
    status = 422 if period is None else 200
    return render(request, "reports/reports.html", context, status=status)


@require(Capability.MANAGEMENT)
@require_GET
def reports_page(request):
    """Bookings, no-shows, utilisation, course completion, recalls ahead and lots."""
    return _reports_page(
        request,
        build=lambda period: reports.all_reports(period, timezone.localdate()),
        template_title="Reports",
        other=("money_reports", "Money reports"),
    )


@require(Capability.MANAGEMENT)
@require_GET
def money_reports_page(request):
    """Revenue, deposits, balances owed, courses sold and conversion (issue 22)."""
    return _reports_page(
        request,
        build=money_reports.all_money_reports,
        template_title="Money reports",
        other=("reports", "Bookings and treatment reports"),
        export={"locations": selectors.export_locations(), "systems": exports.SYSTEMS},
    )


@require(Capability.MANAGEMENT)
@require_GET
def report_csv(request, slug):
    """A report as CSV; a money report's holds every currency, each row saying its
    own (never a total across them), amounts in major units (1500.00)."""
    _form, period = _report_period(request)
    if period is None:
        raise Http404("No such report for that period.")
    if slug in reports.REPORTS:
        report = reports.REPORTS[slug](period, timezone.localdate())
        columns, rows = report.columns, report.rows
    elif slug in money_reports.MONEY_REPORTS:
        sections = money_reports.MONEY_REPORTS[slug](period)
        columns, rows = _money_csv(sections)
    else:
        raise Http404("No such report for that period.")
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    name = f"{slug}-{period.first_day}-{period.last_day}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    writer = csv.writer(response)
    writer.writerow(columns)
    writer.writerows([safe_cell(value) for value in row] for row in rows)
    return response


@require(Capability.MANAGEMENT)
@require_GET
def accounting_export(request):
    """Invoices issued over the period, at one location or all, as Xero (the
    default) or QuickBooks Online import them (payments/exports.py names their
    columns). A location or system that is not one is 404, not a guess."""
    _form, period = _report_period(request)
    system = request.GET.get("system") or "xero"
    chosen = request.GET.get("location", "")
    locations = selectors.export_locations()
    if chosen:
        locations = [place for place in locations if str(place.pk) == chosen]
    if period is None or not locations or system not in exports.SYSTEMS:
        raise Http404("Choose a period, a location and Xero or QuickBooks.")
    start, end = period.bounds
    columns, rows = exports.accounting_export(
        system=system, locations=locations, start=start, end=end
    )
    where = chosen if chosen else "all"
    name = f"{system}-invoices-{where}-{period.first_day}-{period.last_day}.csv"
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    writer = csv.writer(response)
    writer.writerow(columns)
    writer.writerows(rows)
    return response


def _money_csv(sections: list[reports.Report]) -> tuple[list[str], list[list]]:
    first = sections[0]
    if not first.money_columns:
        return first.columns, first.rows
    rows = [
        [
            report.currency,
            *(
                to_major(value, report.currency)
                if index in report.money_columns
                else value
                for index, value in enumerate(row)
            ),
        ]
        for report in sections
        for row in report.rows
    ]
    return ["Currency", *first.columns], rows
