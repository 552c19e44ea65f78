"""Reading a letter's PDF the way assistive technology does: the structure tree (pikepdf), with
the text of each marked-content sequence (pypdf decodes the glyphs through the fonts' ToUnicode
maps). Independent of WeasyPrint: it reads only the file."""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field

import pikepdf
from pypdf import PdfReader


@dataclass
class Node:
    tag: str
    children: list[Node] = field(default_factory=list)
    mcids: list[tuple[int, int]] = field(default_factory=list)  # (page number, MCID)

    def walk(self):
        yield self
        for child in self.children:
            yield from child.walk()

    def text(self, texts: dict[tuple[int, int], str]) -> str:
        """The node's text in structure (reading) order, white space made single."""
        parts = []
        for node in self.walk():
            parts.extend(texts.get(mcid, "") for mcid in node.mcids)
        return re.sub(r"\s+", " ", " ".join(parts)).strip()

    def find(self, tag: str) -> list[Node]:
        return [node for node in self.walk() if node.tag == tag]


def marked_texts(pdf: bytes) -> tuple[dict[tuple[int, int], str], list[str]]:
    """The text of each marked-content sequence by (page, MCID), and any text that is neither
    in one nor an artifact (a tagged PDF has none)."""
    texts: dict[tuple[int, int], str] = {}
    untagged: list[str] = []
    for page_number, page in enumerate(PdfReader(io.BytesIO(pdf)).pages):
        stack: list[int | str | None] = []

        def operator(op, args, cm, tm, stack=stack, page_number=page_number):
            if op == b"BDC":
                properties = args[1] if len(args) > 1 else {}
                tag = str(args[0])
                mcid = properties.get("/MCID") if hasattr(properties, "get") else None
                stack.append("artifact" if tag == "/Artifact" else mcid)
            elif op == b"BMC":
                stack.append("artifact" if str(args[0]) == "/Artifact" else None)
            elif op == b"EMC" and stack:
                stack.pop()

        def text(content, cm, tm, font, size, stack=stack, page_number=page_number):
            if not content.strip():
                return
            if "artifact" in stack:
                return
            mcid = next((entry for entry in reversed(stack) if isinstance(entry, int)), None)
            if mcid is None:
                untagged.append(content)
            else:
                key = (page_number, mcid)
                texts[key] = texts.get(key, "") + content

        page.extract_text(visitor_operand_before=operator, visitor_text=text)
    return texts, untagged


def structure_tree(pdf: bytes) -> Node:
    """The document's structure tree, from /StructTreeRoot, in the order of its /K arrays."""
    with pikepdf.open(io.BytesIO(pdf)) as document:
        pages = {page.objgen: number for number, page in enumerate(document.pages)}

        def build(element, page_number=0) -> Node:
            node = Node(str(element.get("/S", "/StructTreeRoot")).lstrip("/"))
            if "/Pg" in element:
                page_number = pages[element.Pg.objgen]
            kids = element.get("/K")
            if kids is None:
                return node
            for kid in (kids if isinstance(kids, pikepdf.Array) else [kids]):
                if isinstance(kid, int):
                    node.mcids.append((page_number, int(kid)))
                elif isinstance(kid, pikepdf.Dictionary) and kid.get("/Type") == "/MCR":
                    node.mcids.append((pages[kid.Pg.objgen] if "/Pg" in kid else page_number, int(kid.MCID)))
                elif isinstance(kid, pikepdf.Dictionary) and kid.get("/Type") == "/OBJR":
                    continue  # an annotation (a link), not text
                else:
                    node.children.append(build(kid, page_number))
            return node

        return build(document.Root.StructTreeRoot)
