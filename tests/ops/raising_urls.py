"""The portal's URLs plus one view that fails with a BSN in its exception, as a bug would."""

from django.urls import path

from portal.urls import urlpatterns as portal_urlpatterns


def fail_with_a_bsn(request):
    bsn = "111222333"
    raise LookupError(f"no integration record for BSN {bsn}")


urlpatterns = [path("test-fout/", fail_with_a_bsn), *portal_urlpatterns]
