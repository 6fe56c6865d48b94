"""Finding people and addresses by what a caller types: names, aliases, an identifier, a postcode."""

from django.db.models import Q, QuerySet

from .folding import search_form
from .models import Address, Person, PersonIdentifier, Residence, normalise_postcode


def _tokens(text: str) -> list[str]:
    """The first five words of a search, folded as stored names are."""
    return search_form(text).split()[:5]


def people_matching(queryset: QuerySet[Person], text: str) -> QuerySet[Person]:
    """People whose names or aliases hold every word, or with this identifier, or living at this postcode."""
    text = text.strip()
    if not text:
        return queryset
    by_name = Q()
    for token in _tokens(text):
        by_name &= Q(search_text__contains=token)
    by_identifier = Q(pk__in=PersonIdentifier.objects.filter(value=text).values("person_id"))
    by_postcode = Q(
        pk__in=Residence.objects.filter(current=True, address__postcode=normalise_postcode(text)).values(
            "person_id"
        )
    )
    return queryset.filter(by_name | by_identifier | by_postcode)


def addresses_matching(queryset: QuerySet[Address], text: str) -> QuerySet[Address]:
    """Addresses holding every word, or at this postcode."""
    text = text.strip()
    if not text:
        return queryset
    by_text = Q()
    for token in _tokens(text):
        by_text &= Q(search_text__contains=token)
    return queryset.filter(by_text | Q(postcode=normalise_postcode(text)))
