"""Names as people type them when they search: without accents, in lower case.

"Özdemir", "ozdemir" and "OZDEMIR" are the same search; the stored `Newcomer.name_search` holds
the given names and surname in this form, so a trigram index finds any part of them.
"""

import unicodedata


def searchable_name(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text or "")
    plain = "".join(character for character in decomposed if not unicodedata.combining(character))
    return " ".join(plain.casefold().split())
