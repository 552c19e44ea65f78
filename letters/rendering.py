"""Rendering letters to PDF with WeasyPrint.

A letter is a Django template turned into an archival, accessible PDF of exactly one A4 page:
PDF/A-2u (ISO 19005-2, level U: embedded fonts, sRGB output intent, every glyph mapped to
Unicode) and tagged for assistive technology after PDF/UA-1 (ISO 14289-1): a structure tree in
reading order with headings, the address block and the reference column, `/MarkInfo`, the
document language and the title shown instead of the file name. WeasyPrint 66 writes one
variant at a time: `pdf/a-2u` gives the PDF/A part and `pdf_tags` the structure tree (its
`pdf/ua-1` variant is exactly those tags plus its identification, but without PDF/A); the
PDF/UA-1 identification is added to the PDF/A metadata through WeasyPrint's metadata hook,
with the extension schema PDF/A requires for it. See `letters/ACCESSIBILITY.md` for what is
checked and what is not.
What costs time and does not change between letters is made once per process and shared: the
font configuration (fontconfig set-up and the @font-face fonts) and the parsed letter
stylesheet. Rendering never touches the network: every resource comes from our own static
folder through `static_only_url_fetcher`, and anything else is refused.
"""

from __future__ import annotations

import atexit
import functools
import logging
import mimetypes
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from urllib.parse import urlsplit
from urllib.request import url2pathname
from xml.etree import ElementTree

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import formats, timezone, translation

from integration import case_facts
from integration.choices import Regime, Route
from integration.models import IntakeKind

from .facts import LetterFacts, LetterFactsError, letter_facts
from .models import Letter, LetterKind

# Archival PDF: embedded fonts, an sRGB output intent, XMP metadata and text that maps to
# Unicode (ISO 19005-2, level U); tagged, and identified as PDF/UA-1 too (`_pdf_a_and_ua_xmp`).
PDF_VARIANT = "pdf/a-2u"
PDF_UA_PART = 1
LETTER_STYLESHEET = Path("letters") / "letter.css"
LETTER_PAGES = 1

# While it subsets a font, WeasyPrint turns fontTools' logging up to DEBUG to collect its
# warnings (and re-logs those through the "weasyprint" logger). Without this, hundreds of debug
# lines per letter would also reach the site's log handlers and slow every render down.
logging.getLogger("fontTools").propagate = False


@dataclass(frozen=True)
class RenderedPdf:
    pdf: bytes
    page_count: int


class LetterRenderingError(Exception):
    """The letter cannot be rendered as it should be sent; the message is shown to DUO staff."""


class ResourceRefused(ValueError):
    """A letter asked for a resource outside our static folder."""


def dutch_date(day: date, date_format: str = "j F Y") -> str:
    """A date written out the Dutch way, "1 december 2026": letters are Dutch whatever language
    the request or the task runs in."""
    with translation.override("nl"):
        return formats.date_format(day, date_format)


# --- Resources: our static folder only -------------------------------------------------------


def _static_roots() -> tuple[Path, ...]:
    return tuple(Path(folder).resolve() for folder in settings.STATICFILES_DIRS)


def _static_base_url() -> str:
    return _static_roots()[0].as_uri() + "/"


@functools.lru_cache(maxsize=32)
def _read_static_file(path: Path) -> bytes:
    # Static files do not change while the process runs; read each one once.
    return path.read_bytes()


def static_only_url_fetcher(url: str, timeout=10, ssl_context=None, http_headers=None) -> dict:
    """WeasyPrint URL fetcher that serves files from the static folders and refuses the rest.

    A letter must look the same whether or not a network is reachable, and must not leak that
    a letter is being made to any outside server; so no http(s), no data from elsewhere on disk.
    """
    parts = urlsplit(url)
    if parts.scheme != "file" or parts.netloc not in ("", "localhost"):
        raise ResourceRefused(f"letters load files from the static folder only, not {url!r}")
    path = Path(url2pathname(parts.path)).resolve()
    if not any(path.is_relative_to(root) for root in _static_roots()) or not path.is_file():
        raise ResourceRefused(f"letters load files from the static folder only, not {url!r}")
    mime_type, _ = mimetypes.guess_type(path.name)
    return {"string": _read_static_file(path), "mime_type": mime_type, "redirected_url": url,
            "filename": path.name}


# --- What is shared by every letter in the process ------------------------------------------


@functools.cache
def shared_font_config():
    """The one FontConfiguration of this process: setting up fontconfig and loading the
    @font-face fonts is a large part of a small render, so it is done once."""
    from weasyprint.text.fonts import FontConfiguration

    atexit.register(_release_shared_resources)
    return FontConfiguration()


def _release_shared_resources() -> None:
    """Drop the shared objects while the interpreter is still whole, so the font configuration
    removes its temporary font folder (at interpreter teardown its clean-up cannot run)."""
    letter_stylesheet.cache_clear()
    shared_font_config.cache_clear()


def parse_letter_stylesheet():
    """Parse the letter CSS; this also registers its @font-face fonts in the shared font
    configuration (only the first time: the font configuration keeps them)."""
    from weasyprint import CSS

    css_path = _static_roots()[0] / LETTER_STYLESHEET
    return CSS(string=css_path.read_text(encoding="utf-8"), base_url=css_path.as_uri(),
               url_fetcher=static_only_url_fetcher, font_config=shared_font_config())


@functools.cache
def letter_stylesheet():
    """The letter CSS, parsed once per process and given to every render."""
    return parse_letter_stylesheet()


# --- Letter content -------------------------------------------------------------------------


def _address_lines(letter: Letter) -> list[str]:
    newcomer = letter.newcomer
    registration = newcomer.current_registration()
    if registration is None:
        raise LetterRenderingError(f"letter {letter.reference}: the person has no current address")
    return [newcomer.full_name, f"{registration.street} {registration.house_number}",
            registration.postcode_town_line]


def _facts(letter: Letter) -> LetterFacts:
    """The facts the letter states (letters.facts, shared with the companion page)."""
    try:
        return letter_facts(letter)
    except LetterFactsError as error:
        raise LetterRenderingError(str(error)) from None


def _next_step(facts: LetterFacts) -> dict:
    """What happens after this letter under the person's act (DOMAIN.md §1, §4, §8).

    A WI2013 period runs three years from the start date; a letter never states a deadline that
    has already passed as if it still lay ahead: it says the period ended and what that means.
    """
    if facts.regime == Regime.WI2021:
        return {"regime_name": "Wet inburgering 2021"}
    return {"regime_name": "Wet inburgering 2013", "period_last_day": dutch_date(facts.period_last_day),
            "period_ended": facts.period_ended}


def start_date_context(letter: Letter) -> dict:
    facts = _facts(letter)
    return {
        "letter": letter,
        "sender": settings.LETTER_SENDER,
        "address_lines": _address_lines(letter),
        "reference": letter.reference,
        "letter_date": dutch_date(facts.letter_date),
        "letter_date_iso": facts.letter_date.isoformat(),
        "subject": "Startdatum van uw inburgeringsplicht",
        "salutation_name": letter.newcomer.full_name,
        "start_date": dutch_date(facts.start_date),
        "regime": facts.regime,
        "corrects": facts.corrects_reference and {
            "reference": facts.corrects_reference,
            "letter_date": dutch_date(facts.corrects_letter_date) if facts.corrects_letter_date else ""},
        "objection_address": settings.OBJECTION_ADDRESS,
        **_next_step(facts),
    }


_INTAKE_SUBJECTS = {
    IntakeKind.INTERVIEW: "Uitnodiging brede intake: gesprek",
    IntakeKind.LBT: "Uitnodiging brede intake: leerbaarheidstoets",
}

_ROUTE_NAMES = {Route.B1: "de B1-route", Route.EDUCATION: "de onderwijsroute", Route.Z: "de Z-route"}


def _common_context(letter: Letter, subject: str, sender: dict) -> dict:
    if letter.letter_date is None:
        raise LetterRenderingError(f"letter {letter.reference}: the letter date is not set")
    return {
        "letter": letter,
        "sender": sender,
        "address_lines": _address_lines(letter),
        "reference": letter.reference,
        "letter_date": dutch_date(letter.letter_date),
        "letter_date_iso": letter.letter_date.isoformat(),
        "subject": subject,
        "salutation_name": letter.newcomer.full_name,
    }


def municipal_sender(municipality) -> dict:
    """The municipality as the sender of its invitation: who it is, where to send post (the
    return address), where it receives visitors and how to reach it. A letter that asks the
    person to let the municipality know cannot go out without a way to do so: without a return
    address the letter is not rendered, and DUO staff see why."""
    return_address = municipality.return_address
    if return_address is None:
        raise LetterRenderingError(
            f"Gemeente {municipality.name} has no postal or visiting address for the return address; "
            "fill in its contact details in the admin (Municipalities)")
    return {
        "organisation": f"Gemeente {municipality.name}",
        "unit": "Inburgering",
        "postal_address": return_address[0],
        "postal_code_town": return_address[1],
        "visiting_street": municipality.visiting_street,
        "visiting_postcode_town": (f"{municipality.visiting_postcode} {municipality.visiting_town}"
                                   if municipality.visiting_street else ""),
        "phone": municipality.phone,
        "email": municipality.email,
        "website": municipality.website,
        "portal": settings.LETTER_SENDER["portal"],
    }


def intake_invitation_context(letter: Letter) -> dict:
    appointment = letter.intake
    starts, ends = timezone.localtime(appointment.starts_at), timezone.localtime(appointment.ends_at)
    sender = municipal_sender(appointment.municipality)
    return {
        **_common_context(letter, _INTAKE_SUBJECTS[appointment.kind], sender),
        "kind": appointment.kind,
        "day": dutch_date(starts.date(), "l j F Y"),
        "start_time": f"{starts:%H.%M}",
        "end_time": f"{ends:%H.%M}",
        "location": appointment.location,
        "address": appointment.municipality.visiting_address,
        "municipality": appointment.municipality.name,
    }


def period_context(letter: Letter) -> dict:
    facts = _facts(letter)
    return {
        **_common_context(letter, "Uw inburgeringstermijn", settings.LETTER_SENDER),
        "objection_address": settings.OBJECTION_ADDRESS,
        "pip_date": dutch_date(facts.pip_date),
        "period_start": dutch_date(facts.period_start),
        "period_last_day": dutch_date(facts.period_last_day),
        "route_name": _ROUTE_NAMES.get(facts.route, Route(facts.route).label),
    }


# --- The route to the finish (DOMAIN.md §4-§5) ---------------------------------------------------

# What the person completes, as a letter names it (letters are in Dutch, DOMAIN.md §6).
_COMPONENT_NAMES = {
    "reading": "lezen", "listening": "luisteren", "writing": "schrijven", "speaking": "spreken",
    "knm": "kennis van de Nederlandse maatschappij (KNM)", "course_diploma": "het diploma van het schakeltraject",
    "final_interview": "het eindgesprek", "pvt": "het participatieverklaringstraject (PVT)",
    "map": "de module arbeidsmarkt en participatie (MAP)", "ona": "oriëntatie op de Nederlandse arbeidsmarkt (ONA)",
}
_REGIME_NAMES = {Regime.WI2013: "Wet inburgering 2013", Regime.WI2021: "Wet inburgering 2021"}
_EXTENSION_REASONS = {
    "no_fault": "vertraging die niet aan u ligt", "childbirth": "zwangerschap of bevalling",
    "illness": "ziekte", "substantial_effort": "u hebt zich aantoonbaar ingespannen",
}


def _route_context(letter: Letter, subject: str) -> tuple[dict, object]:
    status = case_facts.status_for(letter.newcomer_id, letter.letter_date)
    return {
        **_common_context(letter, subject, settings.LETTER_SENDER),
        "objection_address": settings.OBJECTION_ADDRESS,
        "regime_name": _REGIME_NAMES.get(letter.regime, letter.regime),
    }, status


def fulfilment_context(letter: Letter) -> dict:
    context, status = _route_context(letter, "U hebt voldaan aan uw inburgeringsplicht")
    if status.fulfilled_on is None:
        raise LetterRenderingError(f"letter {letter.reference}: the obligation is not fulfilled")
    return {**context, "fulfilled_on": dutch_date(status.fulfilled_on),
            "met": [_COMPONENT_NAMES.get(c.component, c.component) for c in status.component_results if c.met]}


def extension_decision_context(letter: Letter) -> dict:
    request = letter.extension
    context, _status = _route_context(letter, "Besluit op uw aanvraag om verlenging")
    return {**context, "granted": request.status == "granted",
            "requested_on": dutch_date(request.requested_on),
            "reason": _EXTENSION_REASONS.get(request.reason, request.reason),
            "old_last_day": dutch_date(request.period_last_day),
            "new_last_day": dutch_date(request.new_last_day) if request.new_last_day else "",
            "refusal_reason": request.refusal_reason}


def reminder_context(letter: Letter) -> dict:
    context, status = _route_context(letter, "Herinnering: uw inburgeringstermijn eindigt over 6 maanden")
    return {**context, "period_last_day": dutch_date(letter.period_end),
            "open": [_COMPONENT_NAMES.get(c, c) for c in status.open_requirements]}


def period_ended_context(letter: Letter) -> dict:
    context, status = _route_context(letter, "Uw inburgeringstermijn is voorbij")
    return {**context, "period_last_day": dutch_date(letter.period_end),
            "open": [_COMPONENT_NAMES.get(c, c) for c in status.open_requirements]}


_LAYOUTS = {
    LetterKind.START_DATE: ("letters/start_date.html", start_date_context),
    LetterKind.INTAKE_INVITATION: ("letters/intake_invitation.html", intake_invitation_context),
    LetterKind.PERIOD: ("letters/period.html", period_context),
    LetterKind.FULFILMENT: ("letters/fulfilment.html", fulfilment_context),
    LetterKind.EXTENSION_DECISION: ("letters/extension_decision.html", extension_decision_context),
    LetterKind.REMINDER: ("letters/reminder.html", reminder_context),
    LetterKind.PERIOD_ENDED: ("letters/period_ended.html", period_ended_context),
}


def letter_html(letter: Letter, *, preview: bool = False) -> str:
    """The letter as HTML. `preview` links the stylesheet so a browser can show it; the PDF
    gets the stylesheet already parsed instead."""
    try:
        template_name, context_for = _LAYOUTS[letter.kind]
    except KeyError:
        raise LetterRenderingError(f"letter {letter.reference}: no layout for {letter.kind}") from None
    context = context_for(letter)
    context["preview"] = preview
    return render_to_string(template_name, context)


# --- HTML to PDF ----------------------------------------------------------------------------


def _pdf_a_and_ua_xmp(metadata, variant, version, conformance) -> bytes:
    """The XMP metadata of the letter: WeasyPrint's own for PDF/A-2u (identification, title,
    producer, dates), plus the PDF/UA-1 identification (`pdfuaid:part`). PDF/A-2 accepts XMP
    properties only from its predefined schemas or from an extension schema described in the
    file itself, so the description of the pdfuaid schema goes with it (ISO 19005-2 6.6.2.3)."""
    from weasyprint.pdf.metadata import generate_rdf_metadata

    # Both are our own XML (WeasyPrint serialised this letter's metadata; the other is a
    # constant), not input from outside: no entity or DOCTYPE can be in them.
    rdf = ElementTree.fromstring(generate_rdf_metadata(metadata, variant, version, conformance))  # noqa: S314
    rdf.extend(ElementTree.fromstring(_PDF_UA_XMP.format(part=PDF_UA_PART)))  # noqa: S314
    return ElementTree.tostring(rdf, encoding="utf-8")


_XMP_NAMESPACES = {
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "pdfuaid": "http://www.aiim.org/pdfua/ns/id/",
    "pdfaExtension": "http://www.aiim.org/pdfa/ns/extension/",
    "pdfaSchema": "http://www.aiim.org/pdfa/ns/schema#",
    "pdfaProperty": "http://www.aiim.org/pdfa/ns/property#",
}
for _prefix, _uri in _XMP_NAMESPACES.items():
    ElementTree.register_namespace(_prefix, _uri)

_PDF_UA_XMP = """<rdf:RDF xmlns:rdf="{rdf}" xmlns:pdfuaid="{pdfuaid}" xmlns:pdfaExtension="{pdfaExtension}"
    xmlns:pdfaSchema="{pdfaSchema}" xmlns:pdfaProperty="{pdfaProperty}">
  <rdf:Description rdf:about="" pdfuaid:part="{{part}}"/>
  <rdf:Description rdf:about="">
    <pdfaExtension:schemas>
      <rdf:Bag>
        <rdf:li rdf:parseType="Resource">
          <pdfaSchema:schema>PDF/UA Universal Accessibility Schema</pdfaSchema:schema>
          <pdfaSchema:namespaceURI>{pdfuaid}</pdfaSchema:namespaceURI>
          <pdfaSchema:prefix>pdfuaid</pdfaSchema:prefix>
          <pdfaSchema:property>
            <rdf:Seq>
              <rdf:li rdf:parseType="Resource">
                <pdfaProperty:name>part</pdfaProperty:name>
                <pdfaProperty:valueType>Integer</pdfaProperty:valueType>
                <pdfaProperty:category>internal</pdfaProperty:category>
                <pdfaProperty:description>Part of ISO 14289 followed</pdfaProperty:description>
              </rdf:li>
            </rdf:Seq>
          </pdfaSchema:property>
        </rdf:li>
      </rdf:Bag>
    </pdfaExtension:schemas>
  </rdf:Description>
</rdf:RDF>""".format(**_XMP_NAMESPACES)


def html_to_pdf(html: str) -> RenderedPdf:
    """Lay out the letter HTML with the shared fonts and stylesheet, as a tagged archival PDF."""
    from weasyprint import HTML

    document = HTML(string=html, base_url=_static_base_url(), url_fetcher=static_only_url_fetcher).render(
        font_config=shared_font_config(), stylesheets=[letter_stylesheet()], pdf_variant=PDF_VARIANT,
    )
    page_count = len(document.pages)
    if page_count != LETTER_PAGES:
        raise LetterRenderingError(f"the letter takes {page_count} pages; it must fit on one page")
    # WeasyPrint's documented hook for the XMP metadata (DocumentMetadata.generate_rdf_metadata).
    document.metadata.generate_rdf_metadata = _pdf_a_and_ua_xmp
    return RenderedPdf(pdf=document.write_pdf(pdf_variant=PDF_VARIANT, pdf_tags=True), page_count=page_count)


def render_letter_pdf(letter: Letter) -> RenderedPdf:
    return html_to_pdf(letter_html(letter))
