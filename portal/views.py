from django.conf import settings
from django.contrib.auth import logout
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST


def start_page(request):
    return render(request, "portal/start.html")


def explain_conditions(request):
    return render(request, "portal/explain_conditions.html")


def explain_eight_weeks(request):
    return render(request, "portal/explain_eight_weeks.html", {"duo_phone": settings.LETTER_SENDER["phone"]})


@require_POST
def log_out(request):
    """Logging out is a POST (a link could be triggered by another site); it ends the session."""
    logout(request)
    return redirect("start")


@never_cache
def health(request):
    """Liveness for operators: the process answers and the database is reachable."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        database = "ok"
    except Exception:
        database = "unavailable"
    status = 200 if database == "ok" else 503
    return JsonResponse({"status": "ok" if status == 200 else "degraded", "database": database}, status=status)
