"""The page tour: one set of checks for every page of the portal, a screenshot of each at both
widths, and an index of what was seen.

`Tour.check(page, ...)` runs on the page as it stands (after a GET or after a form was posted),
at the phone and the desktop width in turn (the viewport is resized, the page is not loaded
again, so a posted form's answer is checked too). Each width gets:

- zero axe-core violations (WCAG 2.1 A and AA, `conftest.axe_violations`);
- no sideways scrolling: `document.documentElement.scrollWidth <= window.innerWidth`;
- no duplicate ids (valid HTML, and labels and aria-* references that point at one element);
- `<html lang>` set (to the language asked for);
- exactly one `<h1>`;
- every visible alert (`[role=alert]`, `.utrecht-alert`) keeps what it says in one
  `.utrecht-alert__content` child, whose block children stack instead of standing side by side;
- no word split over two lines in a table cell, dt/dd, label, legend or button when it would have fit
  (a squeezed table), and no ISO date split at its hyphens there;
- the text is in the page's language (a heuristic on common English and Dutch words: a missing
  translation shows the English source, or Dutch on an Arabic page, under the page's `lang`).

Problems are returned as readable lines, so a test can visit every page and report everything
that is wrong at once. The screenshots and the index (index.md, index.json) go to
`$E2E_SCREENSHOT_DIR/mijn-inburgering-tour`, by default in the system's temporary folder (under
pytest-xdist each worker writes index-gwN.md and gwN-... pictures). Two runs at the same time
should name different folders.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from .conftest import DESKTOP, PHONE, axe_violations, describe

VIEWPORTS = (PHONE, DESKTOP)


def tour_folder() -> Path:
    return Path(os.environ.get("E2E_SCREENSHOT_DIR", tempfile.gettempdir())) / "mijn-inburgering-tour"


# Everything but axe in one round trip. Returns facts; Python decides what is a problem.
PAGE_FACTS = r"""(language) => {
  const name = (el) => {
    let text = el.tagName.toLowerCase();
    if (el.id) text += "#" + el.id;
    for (const c of el.classList) text += "." + c;
    return text;
  };
  const shown = (el) => {
    if (!el.getClientRects().length) return false;
    const style = getComputedStyle(el);
    return style.visibility !== "hidden" && style.display !== "none";
  };
  const isBlock = (el) => {
    const style = getComputedStyle(el);
    if (style.position === "absolute" || style.position === "fixed") return false;
    return !style.display.startsWith("inline") && style.display !== "contents" && style.display !== "none";
  };

  const width = window.innerWidth;
  const scrollWidth = document.documentElement.scrollWidth;
  // What sticks out, if anything: the outermost elements beyond either edge.
  const overflowing = [];
  if (scrollWidth > width) {
    for (const el of document.body.querySelectorAll("*")) {
      if (!shown(el)) continue;
      const box = el.getBoundingClientRect();
      if (box.right > width + 0.5 || box.left < -0.5) {
        const parent = el.parentElement;
        const pbox = parent ? parent.getBoundingClientRect() : null;
        const parentToo = pbox && (pbox.right > width + 0.5 || pbox.left < -0.5);
        if (!parentToo) overflowing.push(`${name(el)} [${Math.round(box.left)}..${Math.round(box.right)}]`);
      }
      if (overflowing.length >= 5) break;
    }
  }

  const counts = {};
  for (const el of document.querySelectorAll("[id]")) counts[el.id] = (counts[el.id] || 0) + 1;
  const duplicateIds = Object.entries(counts).filter(([, n]) => n > 1).map(([id, n]) => `${id} (${n}x)`);

  const alertProblems = [];
  const alerts = new Set([...document.querySelectorAll("[role=alert], .utrecht-alert")]);
  for (const alert of alerts) {
    if (!shown(alert)) continue;
    const content = [...alert.children].find((c) => c.classList.contains("utrecht-alert__content"));
    if (!content) {
      alertProblems.push(`${name(alert)} has no .utrecht-alert__content child`);
      continue;
    }
    const blocks = [...content.children].filter((c) => shown(c) && isBlock(c));
    for (let i = 1; i < blocks.length; i++) {
      const before = blocks[i - 1].getBoundingClientRect(), now = blocks[i].getBoundingClientRect();
      if (now.top < before.bottom - 1) {
        alertProblems.push(`${name(alert)}: ${name(blocks[i])} stands beside ${name(blocks[i - 1])}`);
      }
    }
  }

  // Squeezed text: a word split over two lines in a table cell, term, label or button although it
  // would fit on one line of the space around it (what `overflow-wrap: anywhere` does to a table
  // on a phone). Breaks at hyphens and slashes are fine, and so is breaking a word longer than
  // the space there is ("Participatieverklaringstraject" beside a check box on a phone).
  const brokenWords = [], brokenDates = [];
  for (const box of document.querySelectorAll("main :is(th, td, dt, dd, label, legend, button)")) {
    if (brokenWords.length + brokenDates.length >= 5) break;
    if (!shown(box)) continue;
    const table = box.closest("table");
    const room = ((table || box).parentElement || document.body).clientWidth - 48;
    const walker = document.createTreeWalker(box, NodeFilter.SHOW_TEXT);
    let broken = null;
    for (let node = walker.nextNode(); node && !broken; node = walker.nextNode()) {
      // An ISO date is one word: "2026-" on one line and "05-14" on the next is not fine.
      for (const match of node.data.matchAll(/\d{4}-\d{2}-\d{2}|[^\s\/\-–,]{2,}/g)) {
        const range = document.createRange();
        range.setStart(node, match.index);
        range.setEnd(node, match.index + match[0].length);
        const rects = [...range.getClientRects()].filter((r) => r.width > 0);
        const lines = new Set(rects.map((r) => Math.round(r.bottom)));
        const wordWidth = rects.reduce((sum, r) => sum + r.width, 0);
        if (lines.size > 1 && wordWidth < room) { broken = match[0]; break; }
      }
    }
    if (broken) (/^\d{4}-/.test(broken) ? brokenDates : brokenWords).push(`${name(box)}: "${broken}"`);
  }

  // Text in another language than the page says (a missing translation: Django falls back to
  // the English source or, for Arabic, to Dutch). A heuristic: a text node with several common
  // words of English or Dutch that the page's language does not use. Parts marked with their own
  // lang (the language buttons) and code are left out.
  const english = new Set(["the", "your", "you", "and", "with", "this", "that", "which", "there", "please",
    "will", "have", "about", "what", "when", "are", "can", "from", "been", "has", "our", "for"]);
  const dutch = new Set(["de", "het", "een", "uw", "niet", "van", "voor", "wordt", "naar", "bij", "zijn",
    "heeft", "u", "en", "op", "met", "dat", "deze", "er", "ook", "nog", "kunt", "moet", "wij", "je"]);
  const foreign = language === "nl" ? [english] : language === "en" ? [dutch] : [english, dutch];
  const enough = language === "nl" ? 2 : 3;
  const pageLang = (document.documentElement.lang || "").split("-")[0];
  const untranslated = [];
  const texts = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = texts.nextNode(); node && untranslated.length < 5; node = texts.nextNode()) {
    const parent = node.parentElement;
    if (!parent || parent.closest("script, style, code, kbd, samp, [hidden], .portal-language")) continue;
    const marked = parent.closest("[lang]");
    if (marked && marked.getAttribute("lang").split("-")[0] !== pageLang) continue;
    const words = node.data.toLowerCase().match(/[a-z\u00c0-\u024f']+/g) || [];
    for (const set of foreign) {
      const found = new Set(words.filter((w) => set.has(w)));
      if (found.size >= enough && shown(parent)) {
        untranslated.push(`"${node.data.trim().replace(/\s+/g, " ").slice(0, 70)}"`);
        break;
      }
    }
  }

  return {
    width, scrollWidth, overflowing, duplicateIds, alertProblems, brokenWords, brokenDates, untranslated,
    lang: document.documentElement.getAttribute("lang") || "",
    h1: document.querySelectorAll("h1").length,
    title: document.title,
  };
}"""

CHECKS = ("status", "axe", "no-sideways-scroll", "unique-ids", "html-lang", "one-h1", "alerts-stack",
          "words-whole", "dates-whole", "in-page-language")


@dataclass
class Visit:
    audience: str
    page: str
    path: str
    width: int
    language: str
    screenshot: str
    passed: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:60]


class Tour:
    def __init__(self, folder: Path | None = None, screenshots: bool = True):
        self.folder = folder or tour_folder()
        self.screenshots = screenshots
        self.visits: list[Visit] = []
        # Under pytest-xdist each worker keeps its own files (gw0-001-....png, index-gw0.md).
        worker = os.environ.get("PYTEST_XDIST_WORKER", "")
        self.prefix = f"{worker}-" if worker else ""
        self.index_name = f"index-{worker}" if worker else "index"
        self.folder.mkdir(parents=True, exist_ok=True)
        # The folder is the tour's own: the pictures of an earlier run go (another worker's stay).
        pattern = f"{self.prefix}[0-9]*.png" if worker else "*.png"
        for old in [*self.folder.glob(pattern), *self.folder.glob(f"{self.index_name}.*")]:
            old.unlink(missing_ok=True)

    def visit(self, page, path: str, audience: str, label: str, language: str, *, status: int = 200) -> list[str]:
        """GET `path` and check the answer at both widths."""
        response = page.goto(path)
        got = response.status if response else None
        return self.check(page, audience, label, language, status=status, got=got)

    def check(self, page, audience: str, label: str, language: str, *, status: int | None = None,
              got: int | None = None, viewports=VIEWPORTS) -> list[str]:
        """Check the page as it stands at each width; the problems, each a line naming the page."""
        path = urlsplit(page.url)
        path = path.path + (f"?{path.query}" if path.query else "")
        problems = []
        for viewport in viewports:
            page.set_viewport_size(viewport)
            visit = Visit(audience, label, path, viewport["width"], language, "")
            failed = {}
            if status is not None:
                if got == status:
                    visit.passed.append("status")
                else:
                    failed["status"] = f"answered {got}, expected {status}"
            facts = page.evaluate(PAGE_FACTS, language)
            violations = axe_violations(page)
            if violations:
                failed["axe"] = "axe violations:\n" + describe(violations)
            if facts["scrollWidth"] > facts["width"]:
                failed["no-sideways-scroll"] = (f"scrolls sideways: scrollWidth {facts['scrollWidth']} > "
                                                f"{facts['width']}; sticking out: {', '.join(facts['overflowing'])}")
            if facts["duplicateIds"]:
                failed["unique-ids"] = f"duplicate ids: {', '.join(facts['duplicateIds'])}"
            if not facts["lang"] or not language.startswith(facts["lang"].split("-")[0]):
                failed["html-lang"] = f"<html lang={facts['lang']!r}>, expected {language!r}"
            if facts["h1"] != 1:
                failed["one-h1"] = f"{facts['h1']} <h1> elements"
            if facts["brokenWords"]:
                failed["words-whole"] = "words split over two lines: " + "; ".join(facts["brokenWords"])
            if facts["brokenDates"]:
                failed["dates-whole"] = "dates split at a hyphen: " + "; ".join(facts["brokenDates"])
            if facts["untranslated"]:
                failed["in-page-language"] = "text not in the page's language: " + "; ".join(facts["untranslated"])
            if facts["alertProblems"]:
                failed["alerts-stack"] = "alert layout: " + "; ".join(facts["alertProblems"])
            visit.passed += [name for name in CHECKS[1:] if name not in failed]
            for what, text in failed.items():
                line = f"[{audience}] {label} ({path}, {viewport['width']}px, {language}): {text}"
                visit.problems.append(line)
                problems.append(line)
            if self.screenshots:
                filename = (f"{self.prefix}{len(self.visits) + 1:03d}-{slug(audience)}-{slug(label)}-{language}-"
                            f"{viewport['width']}.png")
                page.screenshot(path=str(self.folder / filename), full_page=True)
                visit.screenshot = filename
            self.visits.append(visit)
        return problems

    def write_index(self) -> Path:
        """index.md (a table to read) and index.json (the same, for tools)."""
        lines = [
            "# Mijn Inburgering: page tour",
            "",
            "Checks: " + ", ".join(CHECKS) + ".",
            "",
            "| # | Audience | Page | Path | Width | Language | Checks passed | Problems | Screenshot |",
            "|---|---|---|---|---|---|---|---|---|",
        ]
        for number, visit in enumerate(self.visits, 1):
            problems = "<br>".join(p.split("): ", 1)[-1].replace("\n", " ").replace("|", "/")
                                   for p in visit.problems) or "none"
            lines.append(f"| {number} | {visit.audience} | {visit.page} | `{visit.path}` | {visit.width} | "
                         f"{visit.language} | {', '.join(visit.passed)} | {problems} | {visit.screenshot} |")
        (self.folder / f"{self.index_name}.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
        (self.folder / f"{self.index_name}.json").write_text(
            json.dumps([asdict(v) for v in self.visits], indent=1, ensure_ascii=False), encoding="utf-8")
        return self.folder / f"{self.index_name}.md"
