"""The demo's questions and answers (issue 14), through the real services.

On CADE 2026 (open for another month): Aminata Diallo (Teranga Numérique) asked about recently registered
organisations and the answer was published eight days ago as question 1, in English and French; the demo
applicant (Amani Nakato, Kijiji Connect) asked about solar power, answered three days ago as question 2, so
signing in as them shows a question answered and its answer on the call page; Wanjiru Kamau (Mtaani) has a
question still waiting for staff. A corrigendum on the grant duration was published five days ago, in English
and French. Each piece is made only when its text is missing, so seeding twice adds nothing; services flush,
the command commits.
"""

from datetime import timedelta

from sqlalchemy import select

from cade.demo import data
from cade.enquiries.answering import AnswerInput, publish_answer
from cade.enquiries.asking import QuestionInput, ask_question
from cade.enquiries.models import CallNotice, CallQuestion
from cade.enquiries.notices import CorrigendumInput, publish_corrigendum
from cade.extensions import db

ADMIN_EMAIL = "admin@cade.example"
CALL_KEY = "cade-2026"

# (asker, days ago asked, as asked, days ago published or None, as published, answer, French version or None)
QUESTIONS = [
    ("aminata.diallo@teranga-numerique.example", 10,
     "Bonjour, notre association Teranga Numérique a été enregistrée il y a 14 mois. Pouvons-nous postuler ?",
     8, "Can an organisation registered less than two years ago apply?",
     "Yes. The call asks for a legal registration, not a minimum age; an informal group may apply with a "
     "registered organisation as its fiscal host. Attach the registration certificate to your application.",
     {"public_question": "Une organisation enregistrée depuis moins de deux ans peut-elle postuler ?",
      "answer": "Oui. L'appel demande un enregistrement légal, pas une ancienneté minimale ; un groupe informel "
                "peut postuler avec une organisation enregistrée comme hôte fiscal. Joignez le certificat "
                "d'enregistrement à votre demande."}),
    (data.APPLICANT_EMAIL, 6,
     "We run Kijiji Connect. Can the budget include solar panels and batteries for our relay sites?",
     3, "Can the budget include solar panels and batteries for network relay sites?",
     "Yes, as equipment, when the application explains how they strengthen the organisation (for example by "
     "lowering its running costs). List them as separate budget lines with their quantities.",
     None),
    ("wanjiru.kamau@mtaani-hub.example", 1,
     "Is co-financing required, and can volunteers' time count as an in-kind contribution?",
     None, None, None, None),
]
CORRIGENDUM = (
    5, "Section 4 of the guidelines: grants last 12 to 18 months, not 12 months as first published. Plan your "
       "activities and budget over up to 18 months.",
    "Section 4 des lignes directrices : les subventions durent de 12 à 18 mois, et non 12 mois comme publié "
    "d'abord. Planifiez vos activités et votre budget sur 18 mois au plus.")


def seed_enquiries(seeder, calls: dict, organisations: dict) -> None:
    """Questions (two answered, one waiting) and a corrigendum on the open CADE 2026 call; flushes, never commits."""
    admin = seeder.users[ADMIN_EMAIL]
    call = calls[CALL_KEY]
    asked = set(db.session.scalars(select(CallQuestion.body).where(CallQuestion.call_id == call.id)))
    for email, asked_days, body, published_days, public_question, answer, french in QUESTIONS:
        if body in asked:
            continue
        question = ask_question(seeder.users[email], call.id, QuestionInput.from_input({"body": body}),
                                now=seeder.now - timedelta(days=asked_days))
        seeder.report.created["call_questions"] += 1
        if published_days is not None:
            translations = {f"{name}_fr": text for name, text in (french or {}).items()}
            publish_answer(admin, question.id, AnswerInput.from_input(
                {"public_question": public_question, "answer": answer, **translations}, language=call.language),
                now=seeder.now - timedelta(days=published_days))
    days, body, french = CORRIGENDUM
    if db.session.scalar(select(CallNotice.id).where(CallNotice.call_id == call.id, CallNotice.body == body)) is None:
        publish_corrigendum(admin, call.id, CorrigendumInput.from_input({"body": body, "body_fr": french},
                                                                        language=call.language),
                            now=seeder.now - timedelta(days=days))
        seeder.report.created["call_notices"] += 1
    db.session.flush()
