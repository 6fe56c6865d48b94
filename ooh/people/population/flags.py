"""What generated flags say and how often: summaries and handling per category, the categories that
fall on adults, children, unborn children and addresses (with weights), and the severities."""

SUMMARIES = {
    "violence": ("History of violence towards partner", "Assaulted officer on arrest", "Violent when drunk"),
    "weapons": ("Known to carry a knife", "Firearms licence revoked; may have access", "Weapons at address"),
    "threats_to_staff": ("Threatened social workers", "Abusive to ambulance crews", "Threats to kill staff"),
    "dangerous_animal": ("Large dog at the address", "XL bully dog, not secured", "Aggressive dogs in yard"),
    "child_protection_plan": ("Child protection plan: neglect", "Child protection plan: physical abuse"),
    "unborn_child_protection_plan": ("Unborn child protection plan", "Pre-birth assessment: UCPP agreed"),
    "looked_after_child": ("Looked-after child (s20)", "Looked-after child, interim care order"),
    "pre_proceedings": ("Pre-proceedings (PLO) letter issued", "PLO meeting held"),
    "removal_at_birth_plan": ("Plan to remove at birth", "Removal at birth: order being sought"),
    "flight_risk": ("May leave with the baby", "Flight risk: links abroad"),
    "missing_person": ("Frequently missing from home", "Missing episodes, CSE concerns"),
    "learning_disability": ("Learning disability: needs an appropriate adult", "Learning disability"),
    "mental_health": ("Mental health crisis history", "Under the community mental health team"),
    "substance_misuse": ("Heroin user", "Alcohol dependency", "Crack cocaine use"),
    "self_harm": ("Self-harm history", "Suicidal ideation; see care plan"),
    "domestic_abuse": ("Victim of domestic abuse", "Perpetrator of domestic abuse"),
    "controlling_behaviour": ("Coercive and controlling behaviour", "Controls partner's phone and money"),
    "marac_case": ("MARAC case: high risk", "Discussed at MARAC"),
    "medical": ("Epilepsy", "Type 1 diabetes", "Oxygen in use at the address", "Heart condition"),
    "infection_risk": ("Infection risk: see handling", "Blood-borne virus risk"),
    "other": ("Hoarding at the address", "Interpreter needed", "Deaf: use text"),
}
HANDLING = (
    "Two officers to attend.",
    "Do not disclose the plan to the parents.",
    "Ask for the dog to be secured before entry.",
    "Contact the out-of-hours social worker before attending.",
    "Wear gloves.",
    "Speak to the mother alone.",
)
ADULT_CATEGORIES = (
    ("violence", 12),
    ("weapons", 5),
    ("threats_to_staff", 5),
    ("domestic_abuse", 10),
    ("controlling_behaviour", 5),
    ("marac_case", 4),
    ("mental_health", 12),
    ("substance_misuse", 10),
    ("self_harm", 6),
    ("learning_disability", 4),
    ("medical", 10),
    ("infection_risk", 3),
    ("flight_risk", 1),
    ("other", 5),
)
CHILD_CATEGORIES = (
    ("child_protection_plan", 30),
    ("looked_after_child", 12),
    ("missing_person", 10),
    ("pre_proceedings", 6),
    ("self_harm", 4),
    ("mental_health", 4),
    ("learning_disability", 8),
    ("medical", 14),
    ("other", 3),
)
UNBORN_CATEGORIES = (
    ("unborn_child_protection_plan", 50),
    ("removal_at_birth_plan", 20),
    ("pre_proceedings", 15),
    ("flight_risk", 5),
    ("medical", 10),
)
ADDRESS_CATEGORIES = (("dangerous_animal", 55), ("weapons", 15), ("infection_risk", 10), ("other", 20))
SEVERITIES = (("low", 30), ("medium", 35), ("high", 25), ("critical", 10))
