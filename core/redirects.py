from django.http import HttpResponseRedirect
from django.shortcuts import resolve_url
from django.utils.http import url_has_allowed_host_and_scheme


def safe_next(request, default: str) -> str:
    """The `next` the request names, if it is a path on this site; else `default`.

    Only a path counts: a bare word would be taken for a view name by redirect()."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target.startswith("/") and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


def redirect_next(request, default: str, *args, **kwargs) -> HttpResponseRedirect:
    """Redirect to a safe `next`, else to `default` (a URL or a view name)."""
    return HttpResponseRedirect(
        safe_next(request, "") or resolve_url(default, *args, **kwargs)
    )
