from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET

from clients import selectors
from core.audit import access_record
from core.roles import Capability, require
from privacy import records as privacy
from privacy import services
from privacy.forms import ErasureForm


@require(Capability.MANAGEMENT)
@require_GET
def client_export(request, pk):
    """The client's whole record as a zip: record.json plus photos and documents."""
    client = selectors.client_get_for_user(request.user, pk)
    access_record(instance=client, page="client record", export="whole record (zip)")
    return FileResponse(
        privacy.client_export_zip(client),
        as_attachment=True,
        filename=f"client-{client.pk}-record.zip",
        content_type="application/zip",
    )


@require(Capability.MANAGEMENT)
def client_erase(request, pk):
    client = selectors.client_get_for_user(request.user, pk)
    form = ErasureForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.client_erase(client=client, by=request.user, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, "The client's personal data has been erased.")
            return redirect("client_detail", pk=pk)
    return render(
        request,
        "clients/client_erase.html",
        {
            "client": client,
            "form": form,
            "retention_years": settings.RECORD_RETENTION_YEARS,
        },
        status=422 if form.errors else 200,
    )
