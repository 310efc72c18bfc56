"""Texterna på sidorna om dataskydd och användarvillkor (sv). Lätt svenska."""

MESSAGES: dict[str, str] = {
    "about.privacy.title": "Etäpäivä och dina uppgifter",
    "about.privacy.who": (
        "Etäpäivä är en app i Teams från Helsingfors stads socialtjänster. "
        "Den hjälper till under gruppens distansdagar."
    ),
    "about.privacy.what": (
        "Etäpäivä sparar de här uppgifterna: ditt namn och dina Teams-id, ditt språk och din grupp. "
        "Den sparar också när du var på plats och när du gick, "
        "hur långt du kom i guiden och när du bad om hjälp."
    ),
    "about.privacy.who_sees": (
        "Handledare och koordinatorer ser närvaron i sina egna grupper. "
        "Andra klienter ser inte dina uppgifter."
    ),
    "about.privacy.why": (
        "Uppgifterna behövs för att ordna gruppdagen. "
        "De används också för att följa närvaron i arbetsverksamheten."
    ),
    "about.privacy.more": (
        "Stadens dataskyddsbeskrivning berättar mer om dina rättigheter. "
        "Fråga din handledare om du undrar något."
    ),
    "about.terms.title": "Användarvillkor för Etäpäivä",
    "about.terms.for": (
        "Etäpäivä är till för gruppdagarna i Helsingfors stads arbetsverksamhet "
        "i rehabiliteringssyfte."
    ),
    "about.terms.use": (
        "Använd Etäpäivä bara för gruppdagen. "
        "Skriv inte andra människors personuppgifter i chatten."
    ),
    "about.terms.records": (
        "Handledaren kan rätta närvaron. Om något är fel, säg det till handledaren."
    ),
    "about.terms.faults": (
        "Ibland fungerar Etäpäivä kanske inte. Då antecknar handledaren närvaron själv."
    ),
}
