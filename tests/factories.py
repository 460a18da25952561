from __future__ import annotations

import factory

from regions.models import Region


class RegionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Region

    code = factory.Sequence(lambda n: f"regio-{n}")
    name = factory.Sequence(lambda n: f"Onderwijsregio {n}")
    contact_email = factory.LazyAttribute(lambda r: f"contact@{r.code}.example.nl")
    signing_secret = factory.Faker("sha256")
