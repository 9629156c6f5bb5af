"""A local stand-in for the few Stripe API endpoints the app calls, served by
pytest-httpserver, and Stripe's webhook signature computed as Stripe does it
(HMAC-SHA256 of "timestamp.payload" with the endpoint's secret). The real `stripe`
library talks to it through STRIPE_API_BASE; nothing reaches the internet."""

import hashlib
import hmac
import html
import itertools
import json
import re
import time
from urllib.parse import parse_qs

import requests
from werkzeug import Request, Response

SECRET_KEY = "sk_test_standin"
WEBHOOK_SECRET = "whsec_test_standin"


def signature(payload: str, secret: str = WEBHOOK_SECRET, at: int | None = None) -> str:
    at = int(time.time()) if at is None else at
    mac = hmac.new(secret.encode(), f"{at}.{payload}".encode(), hashlib.sha256)
    return f"t={at},v1={mac.hexdigest()}"


_ids = itertools.count(1)


def event_json(event_type: str, obj: dict, event_id: str | None = None) -> str:
    return json.dumps(
        {
            "id": event_id or f"evt_test_{next(_ids)}",
            "object": "event",
            "api_version": "2025-01-27.acacia",
            "created": int(time.time()),
            "type": event_type,
            "data": {"object": obj},
        }
    )


def completed_session(session_id: str, amount: int, currency: str = "gbp") -> dict:
    return {
        "id": session_id,
        "object": "checkout.session",
        "status": "complete",
        "payment_status": "paid",
        "amount_total": amount,
        "currency": currency,
        "payment_intent": f"pi_for_{session_id}",
    }


class StripeStandin:
    """What the stand-in was asked, and the answers it gives."""

    def __init__(
        self, httpserver, refund_status: str = "succeeded", webhook_url: str = ""
    ):
        self.server = httpserver
        # Where the Pay button of the stand-in Checkout page posts the signed event.
        self.webhook_url = webhook_url
        self.sessions: dict[str, dict] = {}
        self.refunds: list[dict] = []
        self.expired: list[str] = []
        self.refund_status = refund_status
        httpserver.expect_request(
            "/v1/checkout/sessions", method="POST"
        ).respond_with_handler(self._create_session)
        httpserver.expect_request(
            re.compile(r"^/v1/checkout/sessions/[^/]+/expire$"), method="POST"
        ).respond_with_handler(self._expire)
        httpserver.expect_request(
            re.compile(r"^/v1/checkout/sessions/[^/]+$"), method="GET"
        ).respond_with_handler(self._retrieve)
        httpserver.expect_request("/v1/refunds", method="POST").respond_with_handler(
            self._refund
        )
        httpserver.expect_request(
            re.compile(r"^/pay/[^/]+$"), method="GET"
        ).respond_with_handler(self._checkout_page)
        httpserver.expect_request(
            re.compile(r"^/pay/[^/]+$"), method="POST"
        ).respond_with_handler(self._checkout_pay)

    @staticmethod
    def _form(request: Request) -> dict:
        return {k: v[0] for k, v in parse_qs(request.get_data(as_text=True)).items()}

    def _create_session(self, request: Request) -> Response:
        assert request.headers["Authorization"] == f"Bearer {SECRET_KEY}"
        form = self._form(request)
        session_id = f"cs_test_{next(_ids)}"
        session = {
            "id": session_id,
            "object": "checkout.session",
            "status": "open",
            "payment_status": "unpaid",
            "amount_total": int(form["line_items[0][price_data][unit_amount]"]),
            "currency": form["line_items[0][price_data][currency]"],
            "url": self.server.url_for(f"/pay/{session_id}"),
            "form": form,
        }
        self.sessions[session_id] = session
        return Response(json.dumps(session), content_type="application/json")

    def _session_of(self, request: Request) -> dict | None:
        session_id = request.path.split("/")[4]
        return self.sessions.get(session_id)

    def _expire(self, request: Request) -> Response:
        session = self._session_of(request)
        if session is None or session["status"] == "complete":
            return Response(
                json.dumps({"error": {"type": "invalid_request_error"}}),
                status=400,
                content_type="application/json",
            )
        session["status"] = "expired"
        self.expired.append(session["id"])
        return Response(json.dumps(session), content_type="application/json")

    def _retrieve(self, request: Request) -> Response:
        session = self._session_of(request)
        if session is None:
            return Response("{}", status=404, content_type="application/json")
        return Response(json.dumps(session), content_type="application/json")

    def _refund(self, request: Request) -> Response:
        form = self._form(request)
        refund = {
            "id": f"re_test_{next(_ids)}",
            "object": "refund",
            "amount": int(form["amount"]),
            "payment_intent": form["payment_intent"],
            "status": self.refund_status,
        }
        self.refunds.append(refund)
        return Response(json.dumps(refund), content_type="application/json")

    def pay(self, session_id: str) -> dict:
        """Stripe's side of a client paying: the session completes."""
        session = self.sessions[session_id]
        session["status"], session["payment_status"] = "complete", "paid"
        return completed_session(
            session_id, session["amount_total"], session["currency"]
        )

    # The hosted Checkout page, as a browser sees it: what is paid, and a Pay button
    # that completes the session, posts Stripe's signed event to the app and sends
    # the browser back to the success URL, as Stripe does.

    def _checkout_page(self, request: Request) -> Response:
        session = self.sessions[request.path.rsplit("/", 1)[1]]
        form = session["form"]
        amount = session["amount_total"] / 100
        page = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Stand-in Stripe Checkout</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body><main><h1>Stand-in Stripe Checkout</h1>
<p>{html.escape(form["line_items[0][price_data][product_data][name]"])}</p>
<p>Amount: {amount:.2f} {session["currency"].upper()}</p>
<form method="post"><button type="submit">Pay</button></form>
</main></body></html>"""
        return Response(page, content_type="text/html; charset=utf-8")

    def _checkout_pay(self, request: Request) -> Response:
        session_id = request.path.rsplit("/", 1)[1]
        payload = event_json("checkout.session.completed", self.pay(session_id))
        answer = requests.post(
            self.webhook_url,
            data=payload.encode(),
            headers={
                "Content-Type": "application/json",
                "Stripe-Signature": signature(payload),
            },
            timeout=30,
        )
        assert answer.status_code == 200, answer.text
        success = self.sessions[session_id]["form"]["success_url"]
        return Response(status=303, headers={"Location": success})
