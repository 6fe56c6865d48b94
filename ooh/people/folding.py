"""The one form names and addresses are compared in by search, stored and searched alike."""

import unicodedata


def search_form(text: str) -> str:
    """NFKC, format characters (zero-width spaces, joiners, bidi marks) removed, case folded.

    'Ke\\u200brry' (a zero-width space inside) and 'Kerry' in full-width letters both become 'kerry', so
    text pasted from a message or a document finds the person typed in plainly, and the other way round.
    """
    visible = "".join(c for c in unicodedata.normalize("NFKC", text) if unicodedata.category(c) != "Cf")
    # Case folding can leave text that is not NFKC ('ǰ'); normalising again makes the result stable.
    return unicodedata.normalize("NFKC", visible.casefold())
