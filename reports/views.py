"""Certificates: the PDF download (learner, their managers up the chain, admins) and the public
verification page (no login)."""

from __future__ import annotations

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from reports.certificates import certificate_filename, certificate_pdf, certificate_verify, completion_get_for_viewer


class VerificationLookupForm(forms.Form):
    code = forms.CharField(
        label=_("Verification code"),
        max_length=64,
        help_text=_("The code printed at the foot of the certificate."),
        error_messages={"required": _("Enter the verification code from the certificate.")},
    )


@login_required
@require_GET
def certificate_download(request, pk: int):
    completion = completion_get_for_viewer(viewer=request.user, pk=pk)
    if completion is None:
        raise Http404
    pdf = certificate_pdf(completion, base_url=f"{request.scheme}://{request.get_host()}")
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{certificate_filename(completion)}"'
    response["Cache-Control"] = "private, no-store"
    return response


@require_GET
@never_cache
def certificate_verify_lookup(request):
    """The public form: a verification code typed in goes to its verification page."""
    form = VerificationLookupForm(request.GET or None)
    if request.GET and form.is_valid():
        return redirect("certificate_verify", code=form.cleaned_data["code"].strip())
    return render(request, "reports/verify_lookup.html", {"form": form})


@require_GET
@never_cache
def certificate_verify_page(request, code: str):
    result = certificate_verify(code=code)
    response = render(
        request,
        "reports/verify.html",
        {"result": result, "form": VerificationLookupForm(initial={"code": ""})},
        status=404 if result.status == "unknown" else 200,
    )
    # The page names a person: keep it out of search engines and shared caches.
    response["X-Robots-Tag"] = "noindex"
    return response
