"""A development aid: a letter as HTML in the browser while working on its layout.

Only while DEBUG is on, and only for DUO staff who passed TOTP in this session like on every
staff page: the page shows personal data (name, address). Not cached.
"""

from django.conf import settings
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.views.decorators.cache import never_cache

from letters.models import Letter
from letters.rendering import letter_html

from .permissions import duo_staff_required


def _only_while_debugging(view):
    def wrapper(request, *args, **kwargs):
        if not settings.DEBUG:
            raise Http404
        return view(request, *args, **kwargs)

    return wrapper


@never_cache
@_only_while_debugging
@duo_staff_required
def letter_preview(request, public_id):
    letter = get_object_or_404(Letter.objects.select_related("newcomer", "corrects"), public_id=public_id)
    if letter.letter_date is None:
        # Not rendered yet: show it as it would be issued today (the instance is not saved).
        permit = letter.newcomer.current_permit()
        letter.letter_date = timezone.localdate()
        letter.start_date = letter.start_date or (permit.decision_date if permit else None)
    return HttpResponse(letter_html(letter, preview=True))
