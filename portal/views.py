"""The client portal's pages (/my/...): sign-in by an emailed link, then the
client's own appointments, plan, consents and details (portal/access.py keeps client
and staff sessions apart)."""

import hashlib

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core.errors import too_many_requests
from core.ratelimit import over_limit, over_subject_limit
from portal import access, selectors, services, tasks
from portal.forms import DetailsForm, SignInForm

# The portal's menu: url name, label.
PAGES = (
    ("home", "Appointments"),
    ("plan", "Your plan"),
    ("aftercare", "Aftercare"),
    ("consents", "Signed forms"),
    ("ink_passport", "Ink passport"),
    ("messages", "Messages"),
    ("details", "Your details"),
)

TOO_MANY_LINKS = "This address opened too many sign-in links in a few minutes."


def _over_sign_in_limits(request, email: str) -> bool:
    """Count one request against both limits: the network address's and the email
    address's (kept as a digest: no address in the cache's keys)."""
    by_network = over_limit(
        request,
        scope="portal-sign-in",
        limit=settings.PORTAL_SIGN_IN_PER_ADDRESS_HOUR,
        window_seconds=3600,
    )
    by_email = over_subject_limit(
        scope="portal-sign-in-email",
        subject=hashlib.sha256(email.encode()).hexdigest(),
        limit=settings.PORTAL_SIGN_IN_PER_EMAIL_HOUR,
        window_seconds=3600,
        fail_closed=settings.RATE_LIMIT_FAIL_CLOSED,
    )
    return by_network or by_email


@require_http_methods(["GET", "POST"])
def sign_in(request):
    """Ask for a link. Every valid answer is the same redirect, whether a client has
    the address, whether it was over a limit: the page tells no one who is a client."""
    if request.user.is_authenticated:
        return access.staff_refused(request)
    if access.session_client(request) is not None:
        return redirect("portal:home")
    form = SignInForm(request.POST or None, initial={"next": request.GET.get("next")})
    if request.method == "POST" and form.is_valid():
        email = form.cleaned_data["email"].strip().lower()
        next_path = services.safe_next(form.cleaned_data["next"])
        if not _over_sign_in_limits(request, email):

            def enqueue():
                tasks.send_sign_in_link.delay(email, next_path)

            # robust: a broker that is down loses this email (logged), not the page.
            transaction.on_commit(enqueue, robust=True)
        return redirect("portal:sign_in_sent")
    status = 422 if form.is_bound else 200
    return render(request, "portal/sign_in.html", {"form": form}, status=status)


@require_GET
def sign_in_sent(request):
    return render(
        request,
        "portal/sign_in_sent.html",
        {"minutes": settings.PORTAL_LINK_MINUTES},
    )


@require_http_methods(["GET", "POST"])
def link(request, token):
    """The link from the email. GET asks (a mail scanner that follows links must
    not use it up); POST signs in, once."""
    if request.user.is_authenticated:
        return access.staff_refused(request)
    if over_limit(request, scope="portal-link", limit=settings.MESSAGE_LINK_RATE_LIMIT):
        return too_many_requests(request, TOO_MANY_LINKS)
    next_path = services.safe_next(request.GET.get("next"))
    if request.method == "GET":
        if not services.portal_link_check(token=token):
            return _link_refused(request)
        return render(request, "portal/link.html", {"next": next_path})
    client = services.portal_sign_in(token=token)
    if client is None:
        return _link_refused(request)
    access.client_session_start(request, client)
    return redirect(next_path or "portal:home")


def _page(request, client, template: str, context: dict, status: int = 200):
    """A page of the signed-in client's, with the portal's menu."""
    return render(
        request,
        template,
        {"client": client, "portal_pages": PAGES, **context},
        status=status,
    )


def _link_refused(request):
    return render(
        request,
        "portal/link_refused.html",
        {"minutes": settings.PORTAL_LINK_MINUTES, "form": SignInForm()},
        status=410,
    )


@require_POST
def sign_out(request):
    if not request.user.is_authenticated:
        access.client_session_end(request)
    return redirect("portal:sign_in")


@require_GET
@access.client_required
def home(request, client):
    session = selectors.current_session(client)
    return _page(
        request,
        client,
        "portal/home.html",
        {
            "upcoming": selectors.upcoming_appointments(client),
            "plans": selectors.plan_summaries(client),
            "current_session": session,
        },
    )


@require_GET
@access.client_required
def history(request, client):
    return _page(
        request,
        client,
        "portal/history.html",
        {"past": selectors.past_appointments(client)},
    )


@require_GET
@access.client_required
def plan(request, client):
    return _page(
        request,
        client,
        "portal/plan.html",
        {"plans": selectors.plan_summaries(client)},
    )


@require_GET
@access.client_required
def aftercare(request, client):
    session = selectors.current_session(client)
    return _page(
        request,
        client,
        "portal/aftercare.html",
        {
            "session": session,
            "steps": selectors.aftercare(client, session),
        },
    )


@require_GET
@access.client_required
def consents(request, client):
    return _page(
        request,
        client,
        "portal/consents.html",
        {
            "consents": selectors.consents(client),
            "withdrawable": selectors.SELF_WITHDRAWABLE,
        },
    )


@require_GET
@access.client_required
def consent_detail(request, client, pk):
    consent = selectors.consent_get(client, pk)
    return _page(
        request,
        client,
        "portal/consent_detail.html",
        {
            "consent": consent,
            "withdrawable": consent.text.kind in selectors.SELF_WITHDRAWABLE,
        },
    )


@require_GET
@access.client_required
def consent_signature(request, client, pk):
    consent = selectors.consent_get(client, pk)
    if not consent.signature:
        raise Http404("Signed by typed name.")
    return FileResponse(consent.signature.open("rb"), content_type="image/png")


@require_POST
@access.client_required
def consent_withdraw(request, client, pk):
    consent = selectors.consent_get(client, pk)
    try:
        services.client_consent_withdraw(client=client, consent=consent)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, f"You withdrew “{consent.text.title}”.")
    return redirect("portal:consents")


@require_GET
@access.client_required
def ink_passport(request, client):
    return _page(
        request,
        client,
        "portal/ink_passport.html",
        {"uses": selectors.ink_passport(client)},
    )


@require_GET
@access.client_required
def message_list(request, client):
    return _page(
        request,
        client,
        "portal/messages.html",
        {"messages_sent": selectors.sent_messages(client)},
    )


@require_GET
@access.client_required
def message_detail(request, client, pk):
    return _page(
        request,
        client,
        "portal/message_detail.html",
        {"message": selectors.message_get(client, pk)},
    )


@require_http_methods(["GET", "POST"])
@access.client_required
def details(request, client):
    form = DetailsForm(request.POST or None, instance=client)
    if request.method == "POST" and form.is_valid():
        services.client_details_change(client=client, form=form)
        messages.success(request, "Your details are saved.")
        return redirect("portal:details")
    return _page(
        request,
        client,
        "portal/details.html",
        {"form": form},
        status=422 if form.is_bound else 200,
    )
