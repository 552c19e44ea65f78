"""The pages every Dutch government website has: privacy, accessibility, cookies and contact."""

from django.conf import settings
from django.shortcuts import render


def _page(template):
    def view(request):
        return render(request, template, {"sender": settings.LETTER_SENDER,
                                          "objection_address": settings.OBJECTION_ADDRESS})

    view.__name__ = template.rsplit("/", 1)[-1].removesuffix(".html")
    return view


privacy = _page("portal/about/privacy.html")
accessibility = _page("portal/about/accessibility.html")
cookies = _page("portal/about/cookies.html")
contact = _page("portal/about/contact.html")
