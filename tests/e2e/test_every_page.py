"""Every page of every audience in a real browser, at 390 and 1280 px: the public pages, the
newcomer's pages (Dutch, English, Arabic), DUO's and the municipality's workspaces, the allauth
pages staff reach and the error pages. Each is checked by `tour.Tour.check` (axe, no sideways
scrolling, unique ids, `<html lang>`, one `<h1>`, alerts that stack) and photographed.

Forms answer a mistake with the error summary (GOV.UK / NL Design System): a summary at the top
that has the focus after the page loads, "Fout: " before the page title, a link to every field
in error, and each such field marked invalid and described by its error message.

Staff sign in on the portal's own pages and land in their workspace.

Each test loops over its pages and reports every problem at once. The data come from
`manage.py demo_data` (personas in every phase and the staff accounts with the documented demo
TOTP secret); staff sign in through the real login page with that secret.

The screenshots and an index of every visit (page, width, language, the checks that passed)
are written to $E2E_SCREENSHOT_DIR/mijn-inburgering-tour (default: the system's temporary
folder); E2E_SCREENSHOTS=0 skips the pictures but still checks and indexes.
"""

from __future__ import annotations

import io
import os
import re

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from integration.models import IntakeAppointment, IntakeStatus, Newcomer
from portal.accounts.models import Role, User
from portal.demo.personas import MUNICIPAL_CONTACTS, persona_by_key
from portal.demo.staff import DEMO_TOTP_SECRET, STAFF_ACCOUNTS, ensure_staff_account
from tests.portal import newcomer_cases as cases

from .conftest import DESKTOP, PHONE
from .personas import Persona, log_in
from .test_staff_duo import current_totp_code
from .tour import VIEWPORTS, Tour

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LANGUAGES = ("nl", "en", "ar")
# Public pages in Dutch and in Arabic (right to left); English lays out as Dutch does, and
# test_newcomer_accessibility runs axe on them in all three languages.
PUBLIC_LANGUAGES = ("nl", "ar")
PUBLIC_PAGES = [
    ("/", "start page"),
    ("/uitleg/drie-voorwaarden/", "explainer: the three conditions"),
    ("/uitleg/acht-weken/", "explainer: the 8 weeks"),
    ("/inloggen/", "DigiD mock login"),
    ("/privacy/", "privacy statement"),
    ("/toegankelijkheid/", "accessibility statement"),
    ("/cookies/", "cookies"),
    ("/contact/", "contact"),
    ("/uitgelogd/", "logged out"),
]
NEWCOMER_PAGES = [
    ("/mijn-inburgering/", "overview"),
    ("/mijn-inburgering/stappen/", "my steps"),
    ("/mijn-inburgering/brieven/", "my letters"),
    ("/mijn-inburgering/intake/", "my intake"),
]
# Personas in different phases; all in Dutch, the first two in English and Arabic as well.
NEWCOMER_PERSONAS = {
    "issued": LANGUAGES,  # letter issued, intake planned, WI2021
    "overdue": LANGUAGES,  # letter past the 8 weeks: asked to contact DUO
    "waiting": ("nl",),  # not registered with a municipality yet
    "intake_held": ("nl",),  # intake held, outcome and PIP to come
    "voluntary": ("nl",),  # not obliged, integrating voluntarily
}

DUO = next(account for account in STAFF_ACCOUNTS if account.role == Role.DUO_STAFF)
UTRECHT = next(account for account in STAFF_ACCOUNTS if account.municipality_code == "GM0344")

# Problems of templates or Python code (not of the CSS), reported to the lead: a failure matching
# one of these patterns makes its test xfail (with the reason) instead of fail, as long as
# nothing else is wrong. Remove an entry once it is fixed.
KNOWN_PROBLEMS: dict[str, str] = {}  # pattern of a problem → why it is left for now


@pytest.fixture(scope="module")
def tour():
    tour = Tour(screenshots=os.environ.get("E2E_SCREENSHOTS", "1") != "0")
    yield tour
    tour.write_index()


def report(problems: list[str]) -> None:
    """Fail with every unknown problem; xfail if only known template problems are left."""
    unknown = [p for p in problems if not any(re.search(key, p) for key in KNOWN_PROBLEMS)]
    assert not unknown, f"{len(unknown)} problem(s):\n" + "\n".join(unknown)
    known = sorted({reason for p in problems for key, reason in KNOWN_PROBLEMS.items() if re.search(key, p)})
    if known:
        pytest.xfail("known template problems, reported: " + " | ".join(known))


def demo_data():
    call_command("demo_data", stdout=io.StringIO())


def newcomer_for(key: str) -> Newcomer:
    return Newcomer.objects.get(bsn=persona_by_key(key).bsn)


def staff_sign_in(page, email: str, password: str, *, check_second_step=None) -> None:
    """E-mail and password on the staff login page, then the demo TOTP code; no `next`, so the
    portal decides where the account lands. `check_second_step(page)` runs on the code page."""
    page.goto("/accounts/login/")
    page.locator("#id_login").fill(email)
    page.locator("#id_password").fill(password)
    page.locator("main form button[type=submit]:not([form])").first.click()
    page.wait_for_url("**/accounts/2fa/authenticate/")
    if check_second_step:
        check_second_step(page)
    page.locator("#id_code").fill(current_totp_code(DEMO_TOTP_SECRET))
    page.locator("main form button[type=submit]:not([form])").first.click()
    page.wait_for_load_state()


def submit(page, form_selector: str = "main form[method=post]") -> int | None:
    """Click the form's submit button as a person would; the status of the page it answers with."""
    with page.expect_navigation() as navigation:
        page.locator(form_selector).locator("button[type=submit]").first.click()
    response = navigation.value
    return response.status if response else None


# --- The error summary pattern --------------------------------------------------------------

ERROR_FACTS = """() => {
  const summary = document.querySelector(".portal-error-summary");
  const links = summary ? [...summary.querySelectorAll("a[href^='#']")].map((a) => {
    const id = decodeURIComponent(a.getAttribute("href").slice(1));
    const target = document.getElementById(id);
    const controls = !target ? [] : target.matches("input, select, textarea") ? [target]
      : [...target.querySelectorAll("input, select, textarea")];
    const fieldset = target ? target.closest("fieldset") : null;
    return {
      id, exists: !!target, errorId: id + "_error", errorExists: !!document.getElementById(id + "_error"),
      fieldsetDescribedby: fieldset ? (fieldset.getAttribute("aria-describedby") || "") : null,
      controls: controls.map((c) => ({
        id: c.id, invalid: c.getAttribute("aria-invalid"), describedby: c.getAttribute("aria-describedby") || "",
      })),
    };
  }) : [];
  return {
    summary: !!summary,
    items: summary ? summary.querySelectorAll("li").length : 0,
    focused: !!summary && document.activeElement === summary,
    title: document.title,
    alerts: [...document.querySelectorAll("main [role=alert]")].filter((a) => a.getClientRects().length)
      .map((a) => a.innerText.trim()),
    links,
  };
}"""


def error_summary_problems(page, what: str, *, language="nl") -> list[str]:
    """The page answering a mistake follows the error summary pattern."""
    facts = page.evaluate(ERROR_FACTS)
    problems = []
    if not facts["summary"]:
        return [f"[form errors] {what}: no .portal-error-summary (alerts: {facts['alerts']})"]
    if facts["items"] == 0:
        problems.append(f"[form errors] {what}: the error summary lists nothing")
    if not facts["focused"]:
        problems.append(f"[form errors] {what}: the error summary is not document.activeElement after load")
    prefix = {"nl": "Fout: ", "en": "Error: "}.get(language)
    if prefix and not facts["title"].startswith(prefix):
        problems.append(f"[form errors] {what}: title {facts['title']!r} does not start with {prefix!r}")
    for link in facts["links"]:
        if not link["exists"]:
            problems.append(f"[form errors] {what}: summary link #{link['id']} points to no element")
            continue
        if not link["errorExists"]:
            problems.append(f"[form errors] {what}: no error message #{link['errorId']} for #{link['id']}")
        if not link["controls"]:
            problems.append(f"[form errors] {what}: #{link['id']} is not a field and holds none")
        for control in link["controls"]:
            if control["invalid"] != "true":
                problems.append(f"[form errors] {what}: #{control['id']} lacks aria-invalid=\"true\"")
            described = control["describedby"].split() + (link["fieldsetDescribedby"] or "").split()
            if link["errorId"] not in described:
                problems.append(f"[form errors] {what}: #{control['id']} (or its fieldset) is not "
                                f"aria-describedby #{link['errorId']}")
    return problems


# --- Public and error pages -----------------------------------------------------------------


def test_public_pages_and_error_pages(open_page, tour):
    demo_data()  # the DigiD mock lists the personas
    problems = []
    for language in PUBLIC_LANGUAGES:
        page = open_page(PHONE, locale=language)
        for path, label in PUBLIC_PAGES:
            problems += tour.visit(page, path, "public", label, language)
        # A BSN DigiD knows but the portal has no case for.
        page.goto("/inloggen/")
        page.locator("#id_bsn").fill(next(cases.valid_bsns(30_000_000)))
        status = submit(page, "main form")
        problems += tour.check(page, "public", "DigiD mock: no case for this BSN", language, status=200, got=status)

    page = open_page(PHONE, locale="nl")
    problems += tour.visit(page, "/bestaat-niet/", "error", "404 unknown address", "nl", status=404)
    problems += tour.visit(page, "/?x=%00", "error", "400 NUL in the query string", "nl", status=400)
    log_in(page, Persona(persona_by_key("issued").full_name))
    problems += tour.visit(page, "/duo/", "error", "403 newcomer opens /duo/", "nl", status=403)
    problems += tour.visit(page, "/mijn-inburgering/brieven/00000000-0000-0000-0000-000000000000/", "error",
                           "404 for a logged-in newcomer", "nl", status=404)
    report(problems)


# --- Newcomers ------------------------------------------------------------------------------


def test_newcomer_pages_in_every_phase_and_language(open_page, tour):
    demo_data()
    problems = []
    for key, languages in NEWCOMER_PERSONAS.items():
        persona = persona_by_key(key)
        for language in languages:
            page = open_page(PHONE, locale=language)
            log_in(page, Persona(persona.full_name))
            for path, label in NEWCOMER_PAGES:
                problems += tour.visit(page, path, "newcomer", f"{label} ({key})", language)
    report(problems)


# --- DUO staff ------------------------------------------------------------------------------


def test_duo_pages(open_page, tour):
    demo_data()
    page = open_page(DESKTOP, locale="nl")
    staff_sign_in(page, DUO.email, DUO.password)
    assert page.url.endswith("/duo/"), page.url
    problems = tour.check(page, "DUO", "overdue list (landing after login)", "nl")
    rotterdam = persona_by_key("overdue").municipality
    pages = [
        (f"/duo/?municipality={rotterdam}", "overdue list, one municipality"),
        ("/duo/?reason=no_decision&contacted=no&sort=least_overdue", "overdue list, reason + sort filters"),
        ("/duo/?regime=WI2021&municipality=GM0001", "overdue list, filters without results"),
        ("/duo/overzicht/", "dashboard"),
    ]
    for key in ("overdue", "being_assessed", "issued", "waiting"):
        pages.append((f"/duo/personen/{newcomer_for(key).public_id}/", f"person page ({key})"))
    for path, label in pages:
        problems += tour.visit(page, path, "DUO", label, "nl")
    report(problems)


# --- Municipal officers ---------------------------------------------------------------------


def test_municipal_pages(open_page, tour):
    demo_data()
    issued, held = newcomer_for("issued"), newcomer_for("intake_held")
    planned = IntakeAppointment.objects.get(newcomer=issued, status=IntakeStatus.PLANNED)
    past = IntakeAppointment.objects.get(newcomer=held, status=IntakeStatus.PLANNED)
    page = open_page(DESKTOP, locale="nl")
    staff_sign_in(page, UTRECHT.email, UTRECHT.password)
    assert page.url.endswith("/gemeente/"), page.url
    problems = tour.check(page, "municipality", "work list (landing after login)", "nl")
    day = timezone.localtime(planned.starts_at).date().isoformat()
    pages = [
        ("/gemeente/?stage=intake_planned&sort=name", "work list, filtered"),
        ("/gemeente/?name=niemand", "work list, no results"),
        (f"/gemeente/planning/?dag={day}", "planning, one day"),
        (f"/gemeente/planning/?dag={day}&weergave=week", "planning, week"),
        ("/gemeente/planning/?dag=gisteren", "planning, not a date (warning)"),
        (f"/gemeente/personen/{issued.public_id}/", "person page, intake planned"),
        (f"/gemeente/personen/{held.public_id}/", "person page, outcome to record"),
        (f"/gemeente/personen/{issued.public_id}/afspraak/?kind=INTERVIEW", "schedule an interview"),
        (f"/gemeente/personen/{issued.public_id}/afspraak/?kind=LBT", "schedule an LBT"),
        (f"/gemeente/afspraken/{planned.public_id}/verplaatsen/", "reschedule"),
        (f"/gemeente/afspraken/{planned.public_id}/annuleren/", "cancel"),
        (f"/gemeente/afspraken/{past.public_id}/uitkomst/", "outcome"),
    ]
    for path, label in pages:
        problems += tour.visit(page, path, "municipality", label, "nl")

    # The interview took place: record it, then write the first PIP and reach its confirmation.
    page.goto(f"/gemeente/afspraken/{past.public_id}/uitkomst/")
    page.locator("input[name=attended][value=yes]").check()
    assert submit(page) == 200, "recording the outcome"
    problems += tour.check(page, "municipality", "person page after recording the outcome", "nl")
    problems += tour.visit(page, f"/gemeente/personen/{held.public_id}/pip/", "municipality", "PIP form", "nl")
    status = submit(page)
    problems += tour.check(page, "municipality", "PIP confirmation (first PIP)", "nl", status=200, got=status)
    if "Fout" in page.title() or not page.locator("main form input[name=confirmed]").count():
        problems.append(f"[municipality] the PIP form did not lead to its confirmation page: {page.title()!r}")

    problems += tour.visit(page, "/duo/", "error", "403 officer opens /duo/", "nl", status=403)
    report(problems)


# --- allauth pages staff reach --------------------------------------------------------------


def test_allauth_pages_staff_reach(open_page, tour):
    municipalities = {code: cases.municipality(code, contacts["visiting_town"])
                      for code, contacts in MUNICIPAL_CONTACTS.items()}
    for account in STAFF_ACCOUNTS:
        ensure_staff_account(account, municipalities)
    without_totp_password = "zonder-totp-wachtwoord-2026"
    User.objects.create_user(email="nieuw@duo.example", password=without_totp_password, role=Role.DUO_STAFF,
                             first_name="Nina", last_name="Nieuw")
    problems = []

    # Not signed in.
    page = open_page(PHONE, locale="nl")
    for path, label in [("/accounts/login/", "staff login"), ("/accounts/password/reset/", "password reset request"),
                        ("/accounts/signup/", "sign-up closed")]:
        problems += tour.visit(page, path, "allauth", label, "nl")
    page.goto("/accounts/password/reset/")
    page.locator("#id_email").fill(DUO.email)
    status = submit(page)
    assert page.url.endswith("/accounts/password/reset/done/"), page.url
    problems += tour.check(page, "allauth", "password reset done", "nl", status=200, got=status)
    key_url = re.search(r"https?://[^/\s]+(/accounts/password/reset/key/\S+/)", mail.outbox[-1].body)
    assert key_url, mail.outbox[-1].body
    page.goto(key_url.group(1))  # allauth moves the key into the session and redirects
    problems += tour.check(page, "allauth", "password reset: choose a new password", "nl")

    # DUO staff: the second step, then the pages of a signed-in account.
    page = open_page(PHONE, locale="nl")
    staff_sign_in(page, DUO.email, DUO.password, check_second_step=lambda second: problems.extend(
        tour.check(second, "allauth", "2FA authenticate (TOTP code)", "nl")))
    assert page.url.endswith("/duo/"), page.url
    for path, label in [("/accounts/reauthenticate/", "reauthenticate (password)"),
                        ("/accounts/2fa/reauthenticate/", "reauthenticate (TOTP code)"),
                        ("/accounts/password/change/", "password change"),
                        ("/accounts/2fa/", "two-factor authentication overview"),
                        ("/accounts/logout/", "log out confirmation")]:
        problems += tour.visit(page, path, "allauth", label, "nl")

    # Staff without an authenticator are sent to set one up first.
    page = open_page(PHONE, locale="nl")
    page.goto("/accounts/login/")
    page.locator("#id_login").fill("nieuw@duo.example")
    page.locator("#id_password").fill(without_totp_password)
    submit(page)
    if "/accounts/reauthenticate/" in page.url:
        # allauth asks for the password again before an authenticator may be added.
        problems.append("[allauth] staff without TOTP: asked for the password again right after logging in, "
                        "before the TOTP activation")
        problems += tour.check(page, "allauth", "reauthenticate (asked before the TOTP activation)", "nl")
        page.locator("#id_password").fill(without_totp_password)
        submit(page)
    if "/accounts/2fa/totp/activate/" not in page.url:
        problems.append(f"[allauth] staff without TOTP landed on {page.url}, not the TOTP activation")
    problems += tour.check(page, "allauth", "TOTP activation (staff without TOTP)", "nl")
    report(problems)


def test_staff_sign_in_on_styled_pages_and_land_in_their_workspace(open_page):
    municipalities = {code: cases.municipality(code, contacts["visiting_town"])
                      for code, contacts in MUNICIPAL_CONTACTS.items()}
    landing = {}
    for account in STAFF_ACCOUNTS:
        ensure_staff_account(account, municipalities)
        page = open_page(DESKTOP, locale="nl")
        page.goto("/accounts/login/")
        styled = page.evaluate("() => [...document.styleSheets].some(s => (s.href || '').includes('/css/portal.css'))")
        assert styled and page.locator("header.portal-header").is_visible(), "the login page has the portal layout"
        staff_sign_in(page, account.email, account.password)
        landing[account.role] = page.url.removeprefix(page.url.split("/")[0] + "//" + page.url.split("/")[2])
        assert page.locator("header .portal-header__workspace").is_visible(), f"{account.email}: workspace link"
    assert landing[Role.DUO_STAFF] == "/duo/"
    assert landing[Role.MUNICIPAL_OFFICER] == "/gemeente/"
    assert landing[Role.ADMINISTRATOR] == "/duo/"


# --- Form errors ----------------------------------------------------------------------------


def test_every_form_error_follows_the_error_summary_pattern(open_page, tour):
    demo_data()
    overdue, issued = newcomer_for("overdue"), newcomer_for("issued")
    planned = IntakeAppointment.objects.get(newcomer=issued, status=IntakeStatus.PLANNED)
    problems = []

    def check_error_page(page, what, got, *, status=400, summary=True):
        nonlocal problems
        problems += tour.check(page, "form errors", what, "nl", status=status, got=got)
        if summary:
            for viewport in VIEWPORTS:
                page.set_viewport_size(viewport)
                problems += error_summary_problems(page, f"{what} ({viewport['width']}px)")

    # The DigiD mock, sent empty.
    page = open_page(PHONE, locale="nl")
    page.goto("/inloggen/")
    check_error_page(page, "DigiD mock login sent empty", submit(page, "main form"), status=400)

    # The staff login with a wrong password: allauth's own non-field alert.
    page.goto("/accounts/login/")
    page.locator("#id_login").fill(DUO.email)
    page.locator("#id_password").fill("niet-het-wachtwoord")
    status = submit(page)
    check_error_page(page, "staff login, wrong password", status, status=200, summary=False)
    alert = page.locator("main [role=alert]")
    if not alert.count() or "wachtwoord" not in alert.first.inner_text():
        problems.append("[form errors] staff login, wrong password: no role=alert naming the mistake")

    # The second step with a wrong code, then the right one.
    page = open_page(DESKTOP, locale="nl")

    def wrong_code_first(second):
        second.locator("#id_code").fill("000000")
        check_error_page(second, "2FA authenticate, wrong code", submit(second), status=200)

    staff_sign_in(page, DUO.email, DUO.password, check_second_step=wrong_code_first)
    assert page.url.endswith("/duo/"), page.url

    # A new password typed differently twice.
    page.goto("/accounts/password/change/")
    page.locator("#id_oldpassword").fill(DUO.password)
    page.locator("#id_password1").fill("een-nieuw-wachtwoord-2026")
    page.locator("#id_password2").fill("een-ander-wachtwoord-2026")
    check_error_page(page, "password change, new passwords differ", submit(page), status=200)

    # DUO: record a contact without ticking the confirmation box.
    page.goto(f"/duo/personen/{overdue.public_id}/")
    contact = f"form[action$='/personen/{overdue.public_id}/contact/']"
    if not page.evaluate(f"() => document.querySelector(\"{contact}\").noValidate"):
        problems.append(f"[form errors] DUO person page: the action forms lack novalidate, so the browser's "
                        f"own bubble answers a missing confirmation instead of the error summary ({contact})")
        page.evaluate("() => document.querySelectorAll('main form').forEach(f => f.noValidate = true)")
    check_error_page(page, "DUO: record contact without confirmation", submit(page, contact))

    # The municipality: an interview planned in the past.
    page = open_page(DESKTOP, locale="nl")
    staff_sign_in(page, UTRECHT.email, UTRECHT.password)
    page.goto(f"/gemeente/personen/{issued.public_id}/afspraak/?kind=INTERVIEW")
    page.locator("#id_location").fill("Stadskantoor, kamer 3.12")
    page.locator("#id_day").fill(cases.days_ago(3).isoformat())
    page.locator("#id_start_time").fill("10:00")
    check_error_page(page, "municipality: schedule in the past", submit(page))
    # Nothing chosen in a group of radio buttons (a fieldset).
    page.goto(f"/gemeente/afspraken/{planned.public_id}/uitkomst/")
    check_error_page(page, "municipality: outcome without an answer", submit(page))
    page.goto(f"/gemeente/afspraken/{planned.public_id}/annuleren/")
    check_error_page(page, "municipality: cancel without a reason", submit(page))
    report(problems)


# --- The route to the finish: results, extra time, the import -------------------------------

# A small PDF: what the attachment check looks for is the magic number at the start.
PROOF_PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def test_route_to_the_finish_pages(open_page, tour):
    """The pages of the route after the PIP, as their audiences use them: the newcomer's results
    and the request for more time (each mistake answered with the error summary), DUO's list of
    requests, the decision, the import of results and the person search, and the officer's
    read-only results. Each answer is checked as it stands after the form was sent."""
    demo_data()
    done, extra_time = newcomer_for("route_to_done"), newcomer_for("extra_time")
    problems = []

    for key, languages in (("route_to_done", LANGUAGES), ("extra_time", LANGUAGES)):
        for language in languages:
            page = open_page(PHONE, locale=language)
            log_in(page, Persona(persona_by_key(key).full_name))
            problems += tour.visit(page, "/mijn-inburgering/stappen/", "newcomer", f"my steps with results ({key})",
                                   language)
            if key == "extra_time":
                problems += tour.visit(page, "/mijn-inburgering/meer-tijd/", "newcomer",
                                       "request more time (window open)", language)

    # The newcomer asks for more time: first without a reason, then with reason and proof.
    page = open_page(PHONE, locale="nl")
    log_in(page, Persona(persona_by_key("extra_time").full_name))
    page.goto("/mijn-inburgering/meer-tijd/")
    status = submit(page)
    problems += tour.check(page, "form errors", "newcomer: request more time sent empty", "nl", status=400, got=status)
    problems += error_summary_problems(page, "newcomer: request more time sent empty")
    page.locator("input[name=reason][value=illness]").check()
    page.locator("#extension_explanation").fill("Ik was drie maanden ziek en kon niet naar les.")
    page.locator("#extension_attachment").set_input_files(
        files=[{"name": "verklaring-arts.pdf", "mimeType": "application/pdf", "buffer": PROOF_PDF}])
    status = submit(page)
    problems += tour.check(page, "newcomer", "request more time: sent, waiting for DUO", "nl", status=200, got=status)
    if "Uw aanvraag is verstuurd" not in " ".join(page.locator("main [role=status]").all_inner_texts()):
        problems.append("[newcomer] after sending the request the page does not confirm it was sent")
    request = extra_time.extension_requests.get()
    if "verklaring-arts" in request.attachment.name:
        problems.append("[newcomer] the attachment is stored under the person's own file name")

    # DUO: the list of open requests, the request, a decision sent without its confirmation.
    page = open_page(DESKTOP, locale="nl")
    staff_sign_in(page, DUO.email, DUO.password)
    for path, label in [("/duo/verlengingen/", "requests for more time (one open)"),
                        ("/duo/verlengingen/?reason=childbirth", "requests for more time, filter without results"),
                        (f"/duo/verlengingen/{request.public_id}/", "request for more time"),
                        (f"/duo/personen/{done.public_id}/", "person page with results (route_to_done)"),
                        (f"/duo/personen/{extra_time.public_id}/", "person page with an open request"),
                        ("/duo/resultaten-inlezen/", "import results"),
                        ("/duo/zoeken/", "find a person by BSN")]:
        problems += tour.visit(page, path, "DUO", label, "nl")
    page.goto(f"/duo/verlengingen/{request.public_id}/")
    page.locator("input[name=decision][value=grant]").check()
    status = submit(page)
    what = "DUO: grant without date and confirmation"
    problems += tour.check(page, "form errors", what, "nl", status=400, got=status)
    problems += error_summary_problems(page, what)

    # DUO records the MAP by hand; the person's plan reaches "done".
    page.goto(f"/duo/personen/{done.public_id}/")
    result_form = f"form[action$='/personen/{done.public_id}/resultaat/']"
    form = page.locator(result_form)
    form.locator("#result_component").select_option("map")
    form.locator("#result_taken_on").fill(timezone.localdate().isoformat())
    form.locator("#result_outcome").select_option("passed")
    form.locator("input[name=confirm]").check()
    status = submit(page, result_form)
    problems += tour.check(page, "DUO", "person page after recording the MAP", "nl", status=200, got=status)
    if not done.results.filter(component="map").exists():
        problems.append("[DUO] recording the MAP on the person page stored no result")

    # An import with one good and one refused row: nothing is imported, the report says why.
    page.goto("/duo/resultaten-inlezen/")
    csv = ("result_id,bsn,component,date,outcome\n"
           f"EX-TOUR-1,{persona_by_key('extra_time').bsn},speaking,{cases.days_ago(5).isoformat()},passed\n"
           f"EX-TOUR-2,{persona_by_key('extra_time').bsn},dancing,{cases.days_ago(5).isoformat()},passed\n")
    page.locator("#import_file").set_input_files(
        files=[{"name": "uitslagen.csv", "mimeType": "text/csv", "buffer": csv.encode()}])
    page.locator("#import_confirm").check()
    status = submit(page)
    problems += tour.check(page, "DUO", "import report: a refused row, nothing imported", "nl", status=400, got=status)
    if extra_time.results.filter(external_id__startswith="EX-TOUR").exists():
        problems.append("[DUO] an import with a refused row imported something")

    # The person search, with a BSN that fails the 11-check.
    page.goto("/duo/zoeken/")
    page.locator("#find_bsn").fill("123456789")
    status = submit(page)
    problems += tour.check(page, "form errors", "DUO: find a person, invalid BSN", "nl", status=400, got=status)
    problems += error_summary_problems(page, "DUO: find a person, invalid BSN")

    # The municipality (Utrecht) reads both persons' results.
    page = open_page(DESKTOP, locale="nl")
    staff_sign_in(page, UTRECHT.email, UTRECHT.password)
    for person, label in ((done, "route_to_done"), (extra_time, "extra_time")):
        problems += tour.visit(page, f"/gemeente/personen/{person.public_id}/", "municipality",
                               f"person page with results ({label})", "nl")
    report(problems)
