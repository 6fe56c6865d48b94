"""Well-formed identifiers: NHS check digits, UK-shaped postcodes, and serials that continue after
the ones already in the database (so a second seed never clashes with the first)."""

from django.db.models import Max
from django.db.models.functions import Substr

from ooh.people.models import Address, IdentifierScheme, PersonIdentifier

# Postcode areas (outward letters) and the letters allowed in the inward unit (no C I K M O V).
POSTCODE_AREAS = ("NE", "SR", "DH", "TS", "DL", "CA", "LS", "BD", "HU", "YO", "M", "L", "B", "S", "G")
INWARD_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"
PNC_LETTERS = "ZABCDEFGHJKLMNPQRTUVWXY"


def nhs_check_digit(nine: str) -> int | None:
    """The modulus-11 check digit of the first nine digits, or None when no valid number has them."""
    check = 11 - sum(int(d) * w for d, w in zip(nine, range(10, 1, -1), strict=True)) % 11
    if check == 11:
        return 0
    return None if check == 10 else check


def postcode_for(k: int) -> str:
    """A UK-shaped postcode ('NE3 2QX'), the same for the same k: k picks one of a fixed set of units."""
    area = POSTCODE_AREAS[k % len(POSTCODE_AREAS)]
    k //= len(POSTCODE_AREAS)
    district = 1 + k % 29
    k //= 29
    sector = k % 10
    k //= 10
    n = len(INWARD_LETTERS)
    unit = INWARD_LETTERS[k % n] + INWARD_LETTERS[(k // n) % n]
    return f"{area}{district} {sector}{unit}"


def start_counters(people_expected: int) -> dict[str, int]:
    """Identifier serials continue after those already in the database, so reruns never clash."""
    nhs = PersonIdentifier.objects.filter(
        scheme=IdentifierScheme.NHS_NUMBER,
        value__gte="9000000000",
        value__lte="9999999999",
        value__regex=r"^9[0-9]{9}$",
    ).aggregate(m=Max("value"))["m"]
    pnc = (
        PersonIdentifier.objects.filter(
            scheme=IdentifierScheme.PNC_ID, value__regex=r"^[0-9]{2}/[0-9]{7}[A-Z]$"
        )
        .annotate(serial=Substr("value", 4, 7))
        .aggregate(m=Max("serial"))["m"]
    )
    sc = PersonIdentifier.objects.filter(
        scheme=IdentifierScheme.SOCIAL_CARE_ID, value__regex=r"^SC[0-9]{8}$"
    ).aggregate(m=Max("value"))["m"]
    uprn = Address.objects.aggregate(m=Max("uprn"))["m"]
    return {
        "nhs": int(nhs[:9]) + 1 if nhs else 900_000_000,
        "pnc": int(pnc) + 1 if pnc else 1,
        "sc": int(sc[2:]) + 1 if sc else 1,
        "uprn": max(uprn or 0, 100_000_000_000),
        # Postcode units in use: about one per 15 addresses, at least a few hundred.
        "postcodes": max(300, people_expected * 45 // 100 // 15),
    }
