"""Unsubscribing from digest mails without logging in: the link in each mail carries a token
signed with the secret key (`tracker.services.digests`). A GET only asks; the POST (from the
page's button, or a mail client's one-click unsubscribe, RFC 8058) switches the mails off."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from tracker.services.digests import subscription_for_token, unsubscribe


@csrf_exempt  # the signed token is the authority; mail clients POST without a session
@require_http_methods(["GET", "HEAD", "POST"])
def unsubscribe_view(request: HttpRequest, token: str) -> HttpResponse:
    subscription = subscription_for_token(token)
    if subscription is None:
        return render(request, "web/unsubscribe.html", {"invalid": True}, status=404)
    done = False
    if request.method == "POST":
        unsubscribe(subscription)
        done = True
    return render(
        request,
        "web/unsubscribe.html",
        {"subscription": subscription, "done": done or not subscription.is_active},
    )
