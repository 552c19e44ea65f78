"""A municipality with the contact details its invitation letter and e-mails print."""

from integration.models import Municipality

UTRECHT = {
    "visiting_street": "Stadsplateau 1", "visiting_postcode": "3521 AZ", "visiting_town": "Utrecht",
    "postal_address": "Postbus 16200", "postal_postcode": "3500 CE", "postal_town": "Utrecht",
    "phone": "14 030", "email": "inburgering@utrecht.example", "website": "www.utrecht.nl",
}


def with_contact_details(municipality: Municipality, **details) -> Municipality:
    for field, value in {**UTRECHT, **details}.items():
        setattr(municipality, field, value)
    municipality.full_clean()
    municipality.save()
    return municipality
