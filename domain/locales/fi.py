"""Suomenkieliset tekstit. Selkokieli: lyhyet lauseet, yksi asia kerrallaan."""

MESSAGES: dict[str, str] = {
    "language.name": "suomi",
    "welcome.personal": (
        "Hei! Olen Etäpäivä, etäryhmäpäivän apuri. "
        "Autan ilmoittautumisessa, äänen ja kuvan kanssa ja tauoissa. "
        "Kirjoita apua, niin näet mitä voit tehdä."
    ),
    "welcome.group": (
        "Hei kaikki! Olen Etäpäivä, etäryhmäpäivän apuri. "
        "Pidän huolta aikataulusta ja tauoista, ja kerään ilmoittautumiset. "
        "Kirjoita apua, niin näet lisää."
    ),
    "welcome.group.instructor_hint": (
        "Ohjaaja: kerro minulle, minkä ryhmän keskustelu tämä on. Kirjoita: tämä on ryhmä"
    ),
    "help.intro": "Näin voit käyttää Etäpäivää:",
    "help.mention_hint": "Ryhmän keskustelussa aloita viesti sanalla @Etäpäivä.",
    "help.item.help": "apua – näyttää tämän listan.",
    "help.item.language": "kieli fi, kieli sv tai kieli en – vaihtaa kieleni.",
    "help.item.my_group": "Olet ryhmässä {groups}.",
    "help.item.no_group": "Et ole vielä missään ryhmässä. Ohjaaja voi lisätä sinut.",
    "help.item.bind": (
        "tämä on ryhmä – liittää tämän keskustelun yhteen ryhmääsi. "
        "Kirjoita se ryhmän kokouksen chattiin, ryhmäkeskusteluun tai kanavalle."
    ),
    "help.item.groups": "ryhmät – näyttää ryhmäsi ja mitä keskustelua kukin käyttää.",
    "help.item.coordinator": "Seuraat näiden yksiköiden ryhmiä: {units}.",
    "help.item.admin": (
        "Olet ylläpitäjä. Ihmiset ja ryhmät lisätään komennolla etapaiva org import."
    ),
    "unknown": "Anteeksi, en ymmärtänyt. Kirjoita apua, niin näet mitä voit tehdä.",
    "language.changed": "Selvä. Puhun nyt kanssasi suomea.",
    "language.usage": "Kirjoita kieli fi, kieli sv tai kieli en.",
    "bind.personal_chat": (
        "Tämä on yksityinen keskustelu. Kirjoita tämä on ryhmä ryhmän kokouksen chattiin, "
        "ryhmäkeskusteluun tai kanavalle."
    ),
    "bind.not_instructor": "Vain ryhmän ohjaaja voi liittää keskustelun ryhmään.",
    "bind.no_groups": "Sinulla ei ole vielä ryhmiä. Pyydä ylläpitäjää lisäämään ne.",
    "bind.choose.title": "Minkä ryhmän keskustelu tämä on?",
    "bind.choose.text": "Valitse yksi ryhmä. Sen ryhmäpäivät käyttävät sitten tätä keskustelua.",
    "bind.choose.speak": "Valitse, minkä ryhmän keskustelu tämä on.",
    "bind.unknown_group": "En löytänyt ryhmää {name} sinun ryhmistäsi.",
    "bind.done": "Valmis. Tämä keskustelu kuuluu nyt ryhmälle {group}.",
    "bind.moved": (
        "Valmis. Ryhmä {group} käyttää nyt tätä keskustelua. "
        "Se ei enää käytä aiempaa keskusteluaan."
    ),
    "bind.already": "Tämä keskustelu kuuluu jo ryhmälle {group}.",
    "bind.card.done": "Tämä keskustelu kuuluu ryhmälle {group}.",
    "groups.none": "Sinulla ei ole ryhmiä.",
    "groups.title": "Ryhmäsi:",
    "groups.line.bound": "{group} ({unit}) – keskustelu on valittu.",
    "groups.line.unbound": "{group} ({unit}) – keskustelua ei ole vielä valittu.",
    "card.stale": "Tämä painike ei enää toimi. Kirjoita apua, niin näet mitä voit tehdä.",
    "error.generic": "Minulla meni jotain vikaan. Yritä hetken päästä uudelleen.",
    "error.busy": "Minulla on nyt kiire. Yritä hetken päästä uudelleen.",
    "role.client": "asiakas",
    "role.instructor": "ohjaaja",
    "role.coordinator": "esihenkilö",
    "role.admin": "ylläpitäjä",
}
