"""Asking for more time (verlenging, Wi2021 art 12): the newcomer's request from 6 months before
the end of the period, and the state of their requests. Whether the window is open, and what
was decided, comes from the case status (integration.case_status)."""

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache

from integration import extensions
from integration.choices import ExtensionReason
from integration.models import ExtensionRequest
from portal.forms import PortalFormMixin

from .access import newcomer_required
from .selectors import situation_for
from .views import shows_intake


class ExtensionRequestForm(PortalFormMixin, forms.Form):
    reason = forms.ChoiceField(label=gettext_lazy("Why do you need more time?"), widget=forms.RadioSelect,
                               choices=ExtensionReason.choices)
    explanation = forms.CharField(label=gettext_lazy("Explain what happened"), max_length=2000,
                                  widget=forms.Textarea(attrs={"rows": 4}))
    attachment = forms.FileField(label=gettext_lazy("Proof, for example a letter from a doctor (optional)"),
                                 required=False,
                                 help_text=gettext_lazy("A PDF file or a photo (JPEG) of at most 5 MB."))

    def add_service_error(self, error: ValidationError) -> None:
        if hasattr(error, "error_dict"):
            for name, problems in error.message_dict.items():
                self.add_error(name if name in self.fields else None, problems)
        else:
            self.add_error(None, error.messages)


@never_cache
@newcomer_required
def extension(request, newcomer_id):
    found = situation_for(newcomer_id)
    status = found.status
    form = ExtensionRequestForm(auto_id="extension_%s")
    http_status = 200
    if request.method == "POST":
        form = ExtensionRequestForm(request.POST, request.FILES, auto_id="extension_%s")
        if form.is_valid():
            try:
                extensions.request_extension(found.newcomer, reason=form.cleaned_data["reason"],
                                             explanation=form.cleaned_data["explanation"],
                                             attachment=form.cleaned_data["attachment"])
            except ValidationError as error:
                form.add_service_error(error)
            else:
                messages.success(request, _("Your request was sent. DUO decides within 8 weeks and sends you a "
                                            "letter."))
                return redirect("newcomer:extension")
        http_status = 400
    requests = ExtensionRequest.objects.filter(newcomer_id=newcomer_id).order_by("-requested_on", "-pk")
    return render(request, "portal/newcomer/extension.html", {
        "status": status, "form": form, "requests": requests, "show_intake_nav": shows_intake(status),
    }, status=http_status)
