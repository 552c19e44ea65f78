"""DUO staff pages for the route to the finish: recording results, the import from the exam
system, and the work list of requests for more time with their decisions (DOMAIN.md §4-§5).
Thin like the other DUO views: behind `duo_staff_required`, audited in the transaction."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from integration import case_facts
from integration.choices import ExtensionStatus
from integration.models import ExtensionRequest, Newcomer
from portal.audit.models import AuditAction
from portal.audit.services import audit

from . import actions
from .forms import ExtensionDecisionForm, ExtensionFilterForm, FindPersonForm, ResultForm, ResultImportForm
from .permissions import duo_staff_required
from .views import act_on_person

# The largest CSV the import page takes (about 20,000 rows).
MAX_IMPORT_BYTES = 2 * 1024 * 1024


@require_POST
@duo_staff_required
def record_result(request, public_id):
    def record(data):
        actions.record_result(request.user, public_id, component=data["component"], taken_on=data["taken_on"],
                              outcome=data["outcome"], note=data["note"])
        return _("The result was recorded.")

    return act_on_person(request, public_id, "result", ResultForm(request.POST, auto_id="result_%s"), record)


@never_cache
@duo_staff_required
def extension_list(request):
    """Open requests for more time, oldest first (they wait longest for DUO's 8 weeks)."""
    form = ExtensionFilterForm(request.GET)
    reason = form.cleaned_data.get("reason", "") if form.is_valid() else ""
    found = (ExtensionRequest.objects.filter(status=ExtensionStatus.REQUESTED).select_related("newcomer")
             .order_by("requested_on", "pk"))
    if reason:
        found = found.filter(reason=reason)
    with transaction.atomic():
        rows = list(found[:200])
        audit(request.user, AuditAction.VIEW, "extension requests list", reason=reason, rows=len(rows))
    return render(request, "duo/extension_list.html", {"form": form, "rows": rows})


def _render_request(request, extension, form=None, status=200):
    with transaction.atomic():
        audit(request.user, AuditAction.VIEW, "extension request", newcomer=extension.newcomer,
              request=extension.pk)
    case = case_facts.status_for(extension.newcomer_id)
    return render(request, "duo/extension_detail.html", {
        "extension": extension, "person": extension.newcomer, "status": case,
        "form": form or ExtensionDecisionForm(auto_id="decision_%s"),
    }, status=status)


@never_cache
@duo_staff_required
def extension_detail(request, request_id):
    extension = get_object_or_404(ExtensionRequest.objects.select_related("newcomer"), public_id=request_id)
    if request.method != "POST":
        return _render_request(request, extension)
    form = ExtensionDecisionForm(request.POST, auto_id="decision_%s")
    if not form.is_valid():
        return _render_request(request, extension, form, status=400)
    data = form.cleaned_data
    try:
        actions.decide_extension(request.user, request_id, granted=data["decision"] == form.GRANT,
                                 new_last_day=data.get("new_last_day"), refusal_reason=data.get("refusal_reason", ""))
    except ValidationError as error:
        form.add_service_error(error)
        return _render_request(request, extension, form, status=400)
    messages.success(request, _("The decision was recorded; the decision letter is on its way."))
    return redirect("duo:extension_list")


@never_cache
@duo_staff_required
def extension_attachment(request, request_id):
    """The attachment, as a download only (never shown inline: it came from outside)."""
    with transaction.atomic():
        extension = get_object_or_404(ExtensionRequest.objects.select_related("newcomer"), public_id=request_id)
        if not extension.attachment:
            raise Http404
        audit(request.user, AuditAction.VIEW, "extension attachment opened", newcomer=extension.newcomer,
              request=extension.pk)
    extension_name = "pdf" if extension.attachment_type == "application/pdf" else "jpg"
    response = FileResponse(extension.attachment.open("rb"), as_attachment=True,
                            filename=f"bijlage-verlenging.{extension_name}", content_type=extension.attachment_type)
    response["X-Content-Type-Options"] = "nosniff"
    return response


@never_cache
@duo_staff_required
def import_results(request):
    form, report = ResultImportForm(auto_id="import_%s"), None
    if request.method == "POST":
        form = ResultImportForm(request.POST, request.FILES, auto_id="import_%s")
        if form.is_valid():
            upload = form.cleaned_data["file"]
            if upload.size > MAX_IMPORT_BYTES:
                form.add_error("file", _("The file is too big: at most 2 MB. Split it."))
            else:
                try:
                    text = upload.read().decode("utf-8-sig")
                except UnicodeDecodeError:
                    form.add_error("file", _("The file is not UTF-8 text."))
                else:
                    report = actions.import_results(request.user, text, filename=upload.name)
    status = 400 if form.errors or (report and not report.ok) else 200
    return render(request, "duo/import_results.html", {"form": form, "report": report}, status=status)


@never_cache
@duo_staff_required
def find_person(request):
    """Open a person's case by their BSN (from a letter or a phone call). The BSN is posted, never
    put in a URL; the person page is reached by its opaque id."""
    form = FindPersonForm(request.POST or None, auto_id="find_%s")
    if request.method == "POST" and form.is_valid():
        newcomer = Newcomer.objects.filter(bsn=form.cleaned_data["bsn"]).first()
        if newcomer is not None:
            with transaction.atomic():
                audit(request.user, AuditAction.VIEW, "person found by BSN", newcomer=newcomer)
            return redirect("duo:person", public_id=newcomer.public_id)
        form.add_error("bsn", _("No person with this BSN."))
    return render(request, "duo/find_person.html", {"form": form}, status=400 if form.errors else 200)
