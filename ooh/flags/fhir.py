"""A flag as an HL7 FHIR R4 `Flag` resource (https://hl7.org/fhir/R4/flag.html).

R4's Flag is unchanged in R4B, so the tests validate it with fhir.resources.R4B.
"""

from datetime import datetime

from django.utils import timezone

from .models import Flag, FlagGroup, FlagStatus

OOH_SYSTEM = "urn:ooh"
FLAG_CATEGORY_SYSTEM = "http://terminology.hl7.org/CodeSystem/flag-category"
# Our groups onto the FHIR flag-category codes (safety, behavioral, clinical, admin...).
FHIR_CATEGORY: dict[str, tuple[str, str]] = {
    FlagGroup.OFFICER_SAFETY: ("safety", "Safety"),
    FlagGroup.SAFEGUARDING: ("safety", "Safety"),
    FlagGroup.VULNERABILITY: ("clinical", "Clinical"),
    FlagGroup.DOMESTIC_ABUSE: ("behavioral", "Behavioral"),
    FlagGroup.HEALTH: ("clinical", "Clinical"),
    FlagGroup.OTHER: ("admin", "Administrative"),
}


def _instant(value: datetime | None) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value else None


def flag_to_fhir(flag: Flag, *, now: datetime | None = None) -> dict[str, object]:
    status = flag.effective_status(now or timezone.now())
    code, display = FHIR_CATEGORY[flag.group]
    person = flag.subject_person  # None without a query when the flag is on an address
    if person is not None:
        subject = {"reference": f"Patient/{flag.subject_person_id}", "display": person.full_name}
    else:
        subject = {"reference": f"Location/{flag.subject_address_id}", "display": str(flag.subject_address)}
    period = {"start": _instant(flag.valid_from)}
    if flag.valid_until:
        period["end"] = _instant(flag.valid_until)
    elif flag.revoked_at:
        period["end"] = _instant(flag.revoked_at)
    return {
        "resourceType": "Flag",
        "id": str(flag.pk),
        "meta": {"versionId": str(flag.version), "lastUpdated": _instant(flag.updated_at)},
        "identifier": [{"system": f"{OOH_SYSTEM}:flag", "value": str(flag.pk)}],
        "status": "active" if status == FlagStatus.ACTIVE else "inactive",
        "category": [
            {
                "coding": [{"system": FLAG_CATEGORY_SYSTEM, "code": code, "display": display}],
                "text": flag.get_group_display(),
            }
        ],
        "code": {
            "coding": [
                {
                    "system": f"{OOH_SYSTEM}:flag-category",
                    "code": flag.category,
                    "display": flag.get_category_display(),
                },
                {
                    "system": f"{OOH_SYSTEM}:flag-severity",
                    "code": flag.severity,
                    "display": flag.get_severity_display(),
                },
            ],
            "text": flag.summary,
        },
        "subject": subject,
        "period": period,
        "author": {"reference": f"Organization/{flag.source_agency_id}", "display": flag.source_agency.name},
    }
