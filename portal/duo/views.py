"""DUO staff pages. Each one runs behind `duo_staff_required` (role + TOTP in this session), reads
through a selector and writes its audit record in the same transaction as what it audits."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import FileResponse, Http404, HttpResponseBadRequest, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from letters.issuing import IssueOutcome
from letters.models import Letter
from portal.accounts.models import Role
from portal.audit.models import AuditAction
from portal.audit.services import audit

from . import actions, selectors
from .export import csv_rows
from .forms import BsnExportForm, ContactForm, CorrectionForm, DecisionForm, OverdueFilterForm, ResultForm, RetryForm
from .permissions import duo_staff_required
from .person import person_case


@never_cache
@duo_staff_required
def dashboard(request):
    return render(request, "duo/dashboard.html", {"counts": selectors.dashboard()})


@never_cache
@duo_staff_required
def overdue_list(request):
    form = OverdueFilterForm(request.GET)
    filters = form.filters()
    today = timezone.localdate()
    with transaction.atomic():
        page = selectors.keyset_page(
            selectors.overdue_queryset(filters, today=today),
            most_overdue_first=form.most_overdue_first(),
            after=selectors.Cursor.parse(request.GET.get("after")),
            before=selectors.Cursor.parse(request.GET.get("before")),
        )
        audit(request.user, AuditAction.VIEW, "overdue list", filters=_filter_detail(filters),
              rows=len(page.rows))
    for row in page.rows:
        row.days_overdue = selectors.days_overdue(row, today)
        row.reason_label = _(selectors.Reason.LABELS[row.reason])
    kept = urlencode([(key, value) for key, value in request.GET.items() if key not in ("after", "before")])
    return render(request, "duo/overdue_list.html", {
        "form": form, "page": page, "query": kept, "reasons": selectors.Reason,
    })


@never_cache
@duo_staff_required
def overdue_csv(request):
    """The filtered list as CSV; BSN column only for an administrator who says why."""
    form = OverdueFilterForm(request.GET)
    filters = form.filters()
    with_bsn = request.GET.get("bsn") == "1"
    why = ""
    if with_bsn:
        if request.user.role != Role.ADMINISTRATOR:
            raise PermissionDenied
        reason_form = BsnExportForm(request.GET)
        if not reason_form.is_valid():
            return HttpResponseBadRequest(_("Say why the export needs the BSN (parameter why)."))
        why = reason_form.cleaned_data["why"]
    today = timezone.localdate()
    audit(request.user, AuditAction.EXPORT, "overdue list CSV", why=why, filters=_filter_detail(filters),
          bsn_column=with_bsn)
    rows = csv_rows(selectors.overdue_queryset(filters, today=today), today=today, with_bsn=with_bsn)
    response = StreamingHttpResponse(rows, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="te-laat-{today.isoformat()}.csv"'
    return response


def _filter_detail(filters: selectors.OverdueFilters) -> dict:
    return {key: value for key, value in vars(filters).items() if value not in ("", None)}


# --- One person -----------------------------------------------------------------------------


def _render_person(request, public_id, *, forms=None, status=200):
    with transaction.atomic():
        case = person_case(public_id)
        audit(request.user, AuditAction.VIEW, "person page", newcomer=case.newcomer)
    forms = forms or {}
    return render(request, "duo/person_detail.html", {
        # The form whose errors the page's error summary and title announce.
        "form": next((form for form in forms.values() if form.errors), None),
        "case": case,
        "status": case.status,
        "retry_form": forms.get("retry") or RetryForm(auto_id="retry_%s"),
        "contact_form": forms.get("contact") or ContactForm(initial={"contacted_on": timezone.localdate()},
                                                            auto_id="contact_%s"),
        "decision_form": forms.get("decision") or DecisionForm(auto_id="decision_%s"),
        "correction_form": forms.get("correction") or CorrectionForm(auto_id="correction_%s"),
        "result_form": forms.get("result") or ResultForm(initial={"taken_on": timezone.localdate()},
                                                         auto_id="result_%s"),
    }, status=status)


@never_cache
@duo_staff_required
def person_detail(request, public_id):
    return _render_person(request, public_id)


@never_cache
@duo_staff_required
def letter_download(request, public_id, letter_id):
    with transaction.atomic():
        letter = get_object_or_404(Letter.objects.select_related("newcomer"), public_id=letter_id,
                                   newcomer__public_id=public_id)
        if not letter.pdf:
            raise Http404
        audit(request.user, AuditAction.VIEW, "letter opened", newcomer=letter.newcomer, letter=letter.reference)
    return FileResponse(letter.pdf.open("rb"), as_attachment=False, filename=f"{letter.reference}.pdf",
                        content_type="application/pdf")


@require_POST
@duo_staff_required
def retry_issuance(request, public_id):
    form = RetryForm(request.POST, auto_id="retry_%s")
    if not form.is_valid():
        return _render_person(request, public_id, forms={"retry": form}, status=400)
    result = actions.retry_issuance(request.user, public_id)
    if result.letter is None:
        messages.warning(request, _("There is no start-date letter to issue: the person is not ready "
                                    "or the letter was already issued."))
        return redirect("duo:person", public_id=public_id)
    texts = {
        IssueOutcome.ISSUED: _("The letter was issued."),
        IssueOutcome.FAILED: _("Rendering failed again; see the error in the timeline."),
        IssueOutcome.CANCELLED: _("The letter was cancelled: the person is no longer ready."),
        IssueOutcome.BUSY: _("A worker is rendering this letter right now; look again in a minute."),
    }
    level = messages.SUCCESS if result.outcome is IssueOutcome.ISSUED else messages.WARNING
    messages.add_message(request, level, texts.get(result.outcome,
                                                   _("Nothing to do: the letter was already handled.")))
    return redirect("duo:person", public_id=public_id)


def act_on_person(request, public_id, name: str, form, act):
    """An action form of the person page, sent: when the form is valid, `act(cleaned_data)` runs
    the action and returns the message to show, and the person page follows. A mistake in the form,
    or one the service finds (a ValidationError), shows the page again with the form's errors."""
    if form.is_valid():
        try:
            message = act(form.cleaned_data)
        except ValidationError as error:
            form.add_service_error(error)
        else:
            messages.success(request, message)
            return redirect("duo:person", public_id=public_id)
    return _render_person(request, public_id, forms={name: form}, status=400)


@require_POST
@duo_staff_required
def record_contact(request, public_id):
    form = ContactForm(request.POST, auto_id="contact_%s")

    def record(data):
        actions.record_contact(request.user, public_id, **form.cleaned_data_for_service())
        return _("The contact was recorded.")

    return act_on_person(request, public_id, "contact", form, record)


@require_POST
@duo_staff_required
def change_decision(request, public_id):
    def record(data):
        # The service refuses a regime that does not fit, or a combination the model refuses.
        actions.record_decision(request.user, public_id, regime=data["regime"], outcome=data["outcome"],
                                reason=data["reason"], note=data["note"], override_reason=data["override_reason"])
        return _("The decision was recorded.")

    return act_on_person(request, public_id, "decision", DecisionForm(request.POST, auto_id="decision_%s"), record)


@require_POST
@duo_staff_required
def correct_letter(request, public_id):
    def correct(data):
        correction = actions.correct_start_letter(request.user, public_id, why=data["why"])
        return _("The correction letter %(reference)s is on its way; it replaces %(old)s.") % {
            "reference": correction.reference, "old": correction.corrects.reference}

    return act_on_person(request, public_id, "correction", CorrectionForm(request.POST, auto_id="correction_%s"),
                         correct)
