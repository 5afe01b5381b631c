"""The demo's call text in other languages (issue 14, part 6), through the real services.

CADE 2026: Organisational Capacity Grants (open) is translated fully into French: its title, description,
every question's label and help text, and its rubric, so it is available in French, and a French reader never
meets a marked fallback on it. It is translated partly into Spanish: the title, the description and the
questions' labels, not their help texts nor the rubric, so a Spanish reader sees those in English, marked, and
the call is not listed as available in Spanish. Budget headings (when the call has them) stay in English.

Each language is written only while the call has no title in it yet, so seeding twice adds nothing and an
admin's later edits in the demo are kept; services flush, the command commits.
"""

from cade.demo import data
from cade.extensions import db
from cade.programmes.call_languages import TranslationInput, call_texts, translate_call
from cade.programmes.models import Call

ADMIN_EMAIL = "admin@cade.example"
CALL_KEY = "cade-2026"
CALL = next(spec for spec in data.CALLS if spec["key"] == CALL_KEY)

FRENCH = {
    CALL["title"]: "CADE 2026 : subventions pour renforcer les organisations",
    CALL["description"]:
        "Des subventions de 10 000 à 60 000 EUR sur 12 à 18 mois pour les organisations de la société civile "
        "d'Afrique, d'Asie, du Pacifique, d'Amérique latine et des Caraïbes et d'Europe de l'Est qui veulent "
        "renforcer leur fonctionnement : gouvernance, gestion financière, collecte de fonds, plaidoyer ou "
        "sécurité numérique.",
    "Describe the problem your organisation wants to address and who is affected.":
        "Décrivez le problème auquel votre organisation veut s'attaquer et qui en est touché.",
    "Be concrete: who, where, how many, and what you have already tried.":
        "Soyez concrets : qui, où, combien, et ce que vous avez déjà essayé.",
    "What will you do with the grant? List the main activities and a rough timeline.":
        "Que ferez-vous avec la subvention ? Indiquez les principales activités et un calendrier approximatif.",
    "How will your organisation be stronger when the grant ends?":
        "En quoi votre organisation sera-t-elle plus forte à la fin de la subvention ?",
    "Say how you will know: what will you measure at the start and at the end?":
        "Dites comment vous le saurez : que mesurerez-vous au début et à la fin ?",
    "Where will the activities take place?": "Où les activités auront-elles lieu ?",
    "Towns, districts or regions.": "Villes, districts ou régions.",
    "How many people will take part directly in the activities?":
        "Combien de personnes participeront directement aux activités ?",
    "Which capacity area is the main focus?": "Quel domaine de capacité est au cœur du projet ?",
    "Planned start date": "Date de début prévue",
    "Latest annual report or financial statements": "Dernier rapport annuel ou états financiers",
    "PDF, Word or OpenDocument, at most 10 MB. Informal groups may skip this.":
        "PDF, Word ou OpenDocument, 10 Mo au plus. Les groupes informels peuvent s'en passer.",
    "Relevance to the call": "Pertinence par rapport à l'appel",
    "Does the project address a capacity gap named in the call?":
        "Le projet répond-il à un manque de capacité cité dans l'appel ?",
    "Quality and feasibility of the plan": "Qualité et faisabilité du plan",
    "Are activities, timeline and budget realistic?": "Les activités, le calendrier et le budget sont-ils réalistes ?",
    "Capacity gain": "Gain de capacité",
    "Will the organisation be measurably stronger at the end?":
        "L'organisation sera-t-elle plus forte, de façon mesurable, à la fin ?",
    "Value for money": "Rapport coût-efficacité",
    "Are costs reasonable for the country and the results?": "Les coûts sont-ils raisonnables pour le pays et les "
                                                              "résultats ?",
    "Inclusion": "Inclusion",
    "Are women, young people and marginalised groups involved in the work?":
        "Les femmes, les jeunes et les groupes marginalisés participent-ils au travail ?",
}

SPANISH = {
    CALL["title"]: "CADE 2026: subvenciones para fortalecer organizaciones",
    CALL["description"]:
        "Subvenciones de 10.000 a 60.000 EUR durante 12 a 18 meses para organizaciones de la sociedad civil de "
        "África, Asia, el Pacífico, América Latina y el Caribe y Europa del Este que quieren fortalecer su "
        "funcionamiento: gobernanza, gestión financiera, recaudación de fondos, incidencia o seguridad digital.",
    "Describe the problem your organisation wants to address and who is affected.":
        "Describa el problema que su organización quiere abordar y a quién afecta.",
    "What will you do with the grant? List the main activities and a rough timeline.":
        "¿Qué hará con la subvención? Enumere las actividades principales y un calendario aproximado.",
    "How will your organisation be stronger when the grant ends?":
        "¿En qué será más fuerte su organización al terminar la subvención?",
    "Where will the activities take place?": "¿Dónde se realizarán las actividades?",
    "Planned start date": "Fecha de inicio prevista",
}


def seed_languages(seeder, calls: dict[str, Call], organisations: dict) -> None:
    """French (whole) and Spanish (in part) texts for the open CADE 2026 call; flushes, never commits."""
    admin = seeder.users[ADMIN_EMAIL]
    call = calls[CALL_KEY]
    for language, words in (("fr", FRENCH), ("es", SPANISH)):
        if (call.translations or {}).get(language, {}).get("title"):
            continue
        texts = {text.key: words[text.original] for text in call_texts(call) if text.original in words}
        translate_call(admin, call.id, TranslationInput.from_input({"language": language, **texts}))
        seeder.report.created[f"call_texts_{language}"] += len(texts)
    db.session.flush()
