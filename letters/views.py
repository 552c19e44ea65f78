"""A development aid: see a letter as HTML in the browser while working on its layout.

Only when DEBUG is on and only for DUO staff; the page shows personal data (name, address), so
it is never mounted in production and is not cached.
"""

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.views.decorators.cache import never_cache

from .models import Letter
from .rendering import letter_html


@never_cache
def letter_preview(request, public_id):
    if not settings.DEBUG:
        raise Http404
    if not request.user.is_authenticated:
        raise PermissionDenied
    if not getattr(request.user, "is_duo_staff", False):
        raise PermissionDenied
    letter = get_object_or_404(Letter.objects.select_related("newcomer", "corrects"), public_id=public_id)
    if letter.letter_date is None:
        # Not rendered yet: show it as it would be issued today (the instance is not saved).
        permit = letter.newcomer.current_permit()
        letter.letter_date = timezone.localdate()
        letter.start_date = letter.start_date or (permit.decision_date if permit else None)
    return HttpResponse(letter_html(letter, preview=True))
