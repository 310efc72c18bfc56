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
    "language.button": "Suomi",
    "language.choose.title": "Millä kielellä puhun kanssasi?",
    "language.choose.text": "Valitse kieli. Voit vaihtaa sen milloin vain: kirjoita **kieli**.",
    "bind.personal_chat": (
        "Tämä on yksityinen keskustelu. Kirjoita tämä on ryhmä ryhmän kokouksen chattiin, "
        "ryhmäkeskusteluun tai kanavalle."
    ),
    "bind.not_instructor": "Vain ryhmän ohjaaja voi liittää keskustelun ryhmään.",
    "bind.taken": "Tämä keskustelu kuuluu jo toiselle ryhmälle. Vain sen ryhmän ohjaaja voi vaihtaa ryhmää.",
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
    "help.item.agenda": "ohjelma – näyttää päivän ohjelman.",
    "help.item.steer": "aloita päivä, pidennä 5, seuraava, myöhässä 10, siirrä -5, pysäytä, jatka ja lopeta päivä – ohjaavat päivää. Samat napit ovat ohjelmassa.",
    "agenda.title": "Päivän ohjelma: {plan}",
    "agenda.date": "Päivä {date}",
    "agenda.status.planned": "Päivä ei ole vielä alkanut.",
    "agenda.status.running": "Päivä on käynnissä.",
    "agenda.status.paused": "Kello on pysäytetty.",
    "agenda.status.closed": "Päivä on päättynyt.",
    "agenda.status.cancelled": "Päivä on peruttu.",
    "agenda.now": "Nyt",
    "agenda.done": "valmis",
    "agenda.speak": "Päivän ohjelma. {status}",
    "agenda.button.start": "Aloita päivä",
    "agenda.button.extend": "Jatka nykyistä 5 min",
    "agenda.button.skip": "Seuraava kohta",
    "agenda.button.late": "Olemme 10 min myöhässä",
    "agenda.button.pause": "Pysäytä kello",
    "agenda.button.resume": "Jatka",
    "agenda.button.end": "Lopeta päivä",
    "event.start": "Nyt: {title}.",
    "event.next": "Seuraavaksi: {title} klo {time}.",
    "event.last": "Päivä päättyy klo {time}.",
    "event.break_start": "Nyt: {title}. Tauko loppuu klo {end}.",
    "event.tip": "Vinkki: {tip}",
    "event.break_warning": "Tauko loppuu {minutes} minuutin päästä, klo {end}.",
    "event.break_end": "Tauko on ohi. Seuraavaksi: {title}.",
    "event.break_end_last": "Tauko on ohi.",
    "event.back_prompt": "Paina nappia, kun olet taas paikalla.",
    "event.back_button": "Olen takaisin",
    "event.back_count": "Takaisin tauolta: {count}",
    "event.back_thanks": "Kiitos! Sinut on merkitty takaisin.",
    "change.start": "Päivä alkoi.",
    "change.extend": "{title} jatkuu {minutes} min.",
    "change.skip": "Siirrytään seuraavaan kohtaan.",
    "change.shift_later": "Ohjelma siirtyy {minutes} min myöhemmäksi.",
    "change.shift_earlier": "Ohjelma siirtyy {minutes} min aikaisemmaksi.",
    "change.pause": "Kello on pysäytetty. Kerron, kun jatketaan.",
    "change.resume": "Jatketaan.",
    "change.end": "Päivä on päättynyt. Kiitos kaikille!",
    "change.no_next": "Tämä on päivän viimeinen kohta.",
    "day.no_group": "Tätä keskustelua ei ole liitetty ryhmään. Ohjaaja: kirjoita tämä on ryhmä.",
    "day.not_instructor": "Vain ryhmän ohjaaja voi muuttaa päivän ohjelmaa.",
    "day.none_today": "Ryhmällä ei ole tänään ohjelmaa. Ohjaaja: kirjoita ohjelma, niin voit valita sen.",
    "day.exists": "Ryhmällä on jo ohjelma tälle päivälle.",
    "day.not_planned": "Päivä on jo alkanut.",
    "day.not_running": "Päivä ei ole käynnissä.",
    "day.not_paused": "Kelloa ei ole pysäytetty.",
    "day.nothing_running": "Juuri nyt mikään kohta ei ole käynnissä.",
    "day.nothing_next": "Seuraavaa kohtaa ei ole.",
    "day.bad_minutes": "Kirjoita minuutit numerona, esimerkiksi 5. Enintään 120.",
    "day.cannot_move_earlier": "Ohjelmaa ei voi siirtää aikaisemmaksi kuin nyt.",
    "plan.choose.title": "Valitse päivän ohjelma",
    "plan.choose.text": "Ryhmällä ei ole vielä ohjelmaa tälle päivälle. Valitse yksi.",
    "plan.done": "Valmis. Päivän ohjelma on {plan}. Se alkaa klo {time}.",
    "plan.unknown": "En löytänyt ohjelmaa {name}.",
    "day.none_on_date": "Ryhmällä ei ole ohjelmaa sille päivälle.",
    "day.cancelled": "Päivä {date} on peruttu.",
    "day.moved": "Päivä {date} on siirretty päivälle {to}.",
    "day.bad_date": "Kirjoita päivämäärä näin: 3.12. tai 3.12.2026. Siirrossa kaksi päivämäärää: 3.12. 4.12.",
    "help.item.days": "peru päivä 3.12. ja siirrä päivä 3.12. 4.12. – perua tai siirtää yhden päivän.",
}
