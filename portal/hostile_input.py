"""Input no page can use is answered with 400, before it reaches a view.

- A NUL character cannot be stored in PostgreSQL text and has no meaning in any field or
  parameter of the portal; anywhere in the path, a parameter's name or value, it makes the
  request a bad one.
- A number or date the database cannot hold (a page number with thirty digits, an id beyond
  bigint) is the sender's error, not ours: answered with 400 too. Views still bound the values
  they use; this is the net under them, and each catch is logged so the view can be fixed.
"""

import logging

from django.core.exceptions import BadRequest
from django.db import DataError
from django.views.defaults import bad_request

logger = logging.getLogger(__name__)


def _has_nul(values) -> bool:
    return any("\x00" in key or any("\x00" in value for value in values.getlist(key)) for key in values)


class RefuseHostileInputMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if "\x00" in request.path or _has_nul(request.GET) or (
                request.method == "POST" and _has_nul(request.POST)):
            return bad_request(request, BadRequest("a NUL character in the request"))
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, DataError | OverflowError):
            logger.warning("Refused a value the database cannot hold at %s: %s", request.path,
                           type(exception).__name__)
            return bad_request(request, BadRequest(str(type(exception).__name__)))
        return None
