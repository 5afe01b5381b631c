"""The demo's training track: three courses, their sessions, who enrolled, and capacity self-assessments.

A CADE-like path: a self-paced "Organisational foundations" course with a
certificate (two online modules, both attended for completion), a financial
management workshop that asks for that certificate, and a study visit to
community networks in Senegal (in French). Times are offsets in days from the
moment the seed runs, at a local hour in each session's own time zone.
People are the members of `data.ORGANISATIONS`, found by e-mail.
"""

from cade.demo.data import APPLICANT_EMAIL

FOUNDATIONS = "Organisational foundations"
WORKSHOP = "Financial management workshop"
STUDY_VISIT = "Study visit: community networks in practice"

TRAINER_EMAIL = "trainer@cade.example"

COURSES = [
    dict(title=FOUNDATIONS, format="self_paced", language="en", required_sessions=None, prerequisite=None,
         dimensions=["governance", "financial_management", "fundraising", "monitoring_evaluation"],
         description="The basics every organisation needs before it takes on a larger grant: governance "
                     "and a board that works, simple accounts, a fundraising plan, and how to show results. "
                     "Work through the material at your own pace; two online modules with the trainer "
                     "complete the course and earn its certificate."),
    dict(title=WORKSHOP, format="workshop", language="en", required_sessions=1, prerequisite=FOUNDATIONS,
         dimensions=["financial_management", "fundraising", "monitoring_evaluation"],
         description="Three days of hands-on practice: a budget that adds up, double-entry bookkeeping on "
                     "free software, a finance policy, cash-flow planning and reporting to funders. Bring "
                     "your own accounts. For holders of the Organisational foundations certificate."),
    dict(title=STUDY_VISIT, format="study_visit", language="fr", required_sessions=1, prerequisite=None,
         dimensions=["network_operations", "governance", "policy_engagement"],
         description="Cinq jours auprès des réseaux communautaires de Thiès et de Kaolack : gouvernance "
                     "par la communauté, exploitation technique, modèles économiques et dialogue avec le "
                     "régulateur. Visite organisée avec Teranga Numérique."),
]

# (key, course, title, time zone, (start day, local hour), (end day, local hour), seats, place, online link)
SESSIONS = [
    ("module-1", FOUNDATIONS, "Module 1: how an organisation is run", "Europe/Brussels", (-63, 10), (-63, 13), 30,
     None, "https://meet.cade.example/foundations-module-1"),
    ("module-2", FOUNDATIONS, "Module 2: money, people and plans", "Europe/Brussels", (-49, 10), (-49, 13), 30,
     None, "https://meet.cade.example/foundations-module-2"),
    ("nairobi", WORKSHOP, "Nairobi", "Africa/Nairobi", (-30, 9), (-28, 17), 12,
     "Kilimani Training Centre, Argwings Kodhek Road, Nairobi", None),
    ("pokhara", WORKSHOP, "Pokhara", "Asia/Kathmandu", (-1, 9), (1, 17), 10,
     "Lakeside Community Hall, Pokhara", None),
    ("kampala", WORKSHOP, "Kampala", "Africa/Kampala", (21, 9), (23, 17), 12,
     "Makerere Innovation Hub, Kampala", None),
    ("thies", STUDY_VISIT, "Thiès et Kaolack", "Africa/Dakar", (45, 8), (49, 18), 6,
     "Teranga Numérique, quartier Médina Fall, Thiès", None),
]
FULL_SESSION = "thies"

# Enrolment opens this many days before a session starts and closes one day before.
WINDOW_OPENS_DAYS = 60

# (session key, e-mail, status): in the order they enrolled. Past sessions carry their attendance
# ("completed" when the course's rule was met, else "attended"/"no_show"); waitlisted rows are numbered
# in this order.
ENROLMENTS = [
    ("module-1", APPLICANT_EMAIL, "completed"),
    ("module-1", "joseph.okello@kijiji-connect.example", "completed"),
    ("module-1", "sita.gurung@hrwc.example", "completed"),
    ("module-1", "budi.santoso@desadigital.example", "completed"),
    ("module-1", "juan.mamani@redandina.example", "completed"),
    ("module-1", "olena.kovalenko@resilience-hub.example", "completed"),
    ("module-1", "ana.ferreira@conectasertao.example", "attended"),
    ("module-1", "maricel.delacruz@bayanihan-digital.example", "no_show"),
    ("module-2", APPLICANT_EMAIL, "completed"),
    ("module-2", "joseph.okello@kijiji-connect.example", "completed"),
    ("module-2", "sita.gurung@hrwc.example", "completed"),
    ("module-2", "budi.santoso@desadigital.example", "completed"),
    ("module-2", "juan.mamani@redandina.example", "completed"),
    ("module-2", "olena.kovalenko@resilience-hub.example", "completed"),
    ("module-2", "ana.ferreira@conectasertao.example", "no_show"),
    ("module-2", "maricel.delacruz@bayanihan-digital.example", "no_show"),
    ("nairobi", "joseph.okello@kijiji-connect.example", "completed"),
    ("nairobi", "olena.kovalenko@resilience-hub.example", "completed"),
    ("nairobi", "juan.mamani@redandina.example", "no_show"),
    ("pokhara", "sita.gurung@hrwc.example", "confirmed"),
    ("pokhara", "budi.santoso@desadigital.example", "confirmed"),
    ("pokhara", "juan.mamani@redandina.example", "confirmed"),
    ("kampala", APPLICANT_EMAIL, "confirmed"),
    # Full: six seats taken, three waiting; the applicant is first in line.
    ("thies", "wanjiru.kamau@mtaani-hub.example", "confirmed"),
    ("thies", "aminata.diallo@teranga-numerique.example", "confirmed"),
    ("thies", "tendai.moyo@mutare-wireless.example", "confirmed"),
    ("thies", "sita.gurung@hrwc.example", "confirmed"),
    ("thies", "camila.restrepo@fddp.example", "confirmed"),
    ("thies", "litia.naivalu@pidrc.example", "confirmed"),
    ("thies", APPLICANT_EMAIL, "waitlisted"),
    ("thies", "chisomo.banda@chikondi.example", "waitlisted"),
    ("thies", "oumar.traore@sahel-donnees.example", "waitlisted"),
]

# The open call that asks for the foundations certificate: the applicant's organisation holds one (two
# of its members completed the course), the Mtaani Digital Rights Hub does not.
CERTIFICATE_CALL = dict(
    key="cade-fm-2026", programme="cade", title="CADE 2026: Financial Management Follow-on Grants",
    reference_prefix="CADE-FM26", timezone="Africa/Nairobi", opens_in_hours=-7 * 24, closes_in_hours=50 * 24,
    budget_envelope=150_000, min_award=5_000, max_award=20_000, reviews_required=1, blind_review=False,
    eligible_stakeholder_groups=["civil_society", "technical_community"],
    description="Small grants to put what was learned in the Organisational foundations course into "
                "practice: accounting software, an external audit, a finance officer's first months. "
                "A member of the applying organisation must hold the course's certificate.")
NOT_ELIGIBLE_ORG = "mtaani"

DIMENSIONS = ("governance", "financial_management", "fundraising", "policy_engagement", "digital_security",
              "network_operations", "monitoring_evaluation")

# Organisation key → (baseline scores, follow-up scores or None), in the order of DIMENSIONS.
ASSESSMENTS = {
    "kijiji": ((2, 1, 2, 3, 3, 4, 1), (4, 3, 3, 3, 2, 4, 3)),
    "himalayan": ((3, 2, 2, 2, 3, 4, 2), (4, 4, 2, 3, 3, 3, 3)),
    "resilience": ((3, 2, 3, 4, 5, 2, 2), (4, 3, 3, 4, 4, 2, 4)),
    "teranga": ((3, 2, 2, 4, 2, 2, 2), None),
}
BASELINE_DAYS, FOLLOW_UP_DAYS = -75, -7

BASELINE_NOTES = {
    "governance": "The board meets when something goes wrong; roles and terms are not written down.",
    "financial_management": "Income and spending are kept in a spreadsheet by one person; no monthly review.",
    "fundraising": "One funder pays most of our costs and we have no plan for when that grant ends.",
    "policy_engagement": "We answer consultations when a partner forwards them to us.",
    "digital_security": "Passwords are shared in a group chat; backups depend on one volunteer.",
    "network_operations": "Our technicians keep the service running, but nothing is documented.",
    "monitoring_evaluation": "We count what we do, not what changes for the people we serve.",
}
# What a follow-up says about a dimension, by how its score moved since the baseline.
FOLLOW_UP_NOTES = {
    "governance": dict(up="The board adopted written terms of reference and now meets every quarter.",
                       same="The board still meets only when something goes wrong.",
                       down="Two board members resigned and have not been replaced."),
    "financial_management": dict(up="Monthly accounts are reconciled and reviewed by the treasurer.",
                                 same="Still one spreadsheet kept by one person.",
                                 down="The bookkeeper left and the accounts are three months behind."),
    "fundraising": dict(up="A twelve-month fundraising plan names three new funders to approach.",
                        same="Still one main funder; the plan is drafted but not adopted.",
                        down="A second funder ended its support and nothing replaced it."),
    "policy_engagement": dict(up="We now follow the regulator's consultations ourselves and answered two.",
                              same="As before: we answer consultations when partners forward them.",
                              down="We missed this year's consultations while the team was stretched."),
    "digital_security": dict(up="Everyone uses a password manager and backups run every night.",
                             same="Nothing changed since the baseline.",
                             down="The volunteer who ran our backups left; restores have not been tested."),
    "network_operations": dict(up="Every site is documented and a second technician is trained.",
                               same="The network runs as before; documentation is still on our list.",
                               down="A storm took two relays down for weeks; spare parts ran out."),
    "monitoring_evaluation": dict(up="A short survey of users each quarter tells us what changed for them.",
                                  same="We still count activities rather than results.",
                                  down="The quarterly survey lapsed when its coordinator left."),
}
