"""The fixed vocabulary shared by policies and scenarios: behaviours, sensors, services.

A policy may only name behaviours, sensors and services listed here, so a typo
in a policy file is an error rather than a rule that silently never fires. The
order of each tuple is the index used in the simulation arrays and output
columns; append new names at the end to keep old run folders readable.
"""

from __future__ import annotations

BEHAVIOURS: dict[str, str] = {
    "fraud": "pyramid selling, fraud, counterfeit goods (seed article; Rongcheng -30)",
    "tax_evasion": "evading tax (seed article)",
    "smoking_in_nonsmoking_area": "smoking where it is banned (seed article)",
    "jaywalking": "crossing against the light, caught by cameras (seed article; Suining)",
    "traffic_violation": "a traffic ticket (Rongcheng -5, secondary)",
    "drunk_driving": "driving drunk (Rongcheng: straight to grade C; Suining)",
    "overdue_payment": "an overdue bank or credit-card payment (Rongcheng -10 per cycle)",
    "judgment_default": "not paying a court judgment (the court list of dishonest debtors)",
    "community_service": "volunteering (seed article: raises the score)",
    "charity_donation": "giving to charity (Yanji morality bank)",
    "blood_donation": "giving blood (Yanji +200)",
    "domestic_purchase": "buying domestic products (seed article: raises the score)",
    "critical_speech": "critical online speech (the journalist in the seed article)",
    "heroic_act": "a rescue or heroic act (Rongcheng +30, Yanji +300 to +500)",
}

SENSORS: dict[str, str] = {
    "camera": "street cameras with face matching: coverage, recall and false matches",
    "police": "traffic and public-order police",
    "court": "court judgments and enforcement records",
    "bank": "banks and credit bureaus",
    "merchant": "merchants and online platforms reporting purchases",
    "tax_office": "tax authority audits",
    "registry": "charity, blood bank and volunteer registries",
    "informant": "neighbourhood informants and grid workers, with false reports",
    "platform": "online platforms monitoring speech",
}

SERVICES: dict[str, str] = {
    "flight": "buy a plane ticket",
    "train": "buy a high-speed-rail ticket",
    "property": "buy real estate",
    "car": "buy a car",
    "loan": "take a bank loan (interest rate)",
    "private_school": "enrol a child in a private school",
    "internet_upgrade": "upgrade to high-speed internet",
    "dating": "use the largest online dating site",
    "energy_bill": "pay an energy or heating bill",
    "bike_deposit": "rent a public bike (deposit)",
    "car_rental": "rent a car (deposit)",
}

BEHAVIOUR_NAMES: tuple[str, ...] = tuple(BEHAVIOURS)
SENSOR_NAMES: tuple[str, ...] = tuple(SENSORS)
SERVICE_NAMES: tuple[str, ...] = tuple(SERVICES)
