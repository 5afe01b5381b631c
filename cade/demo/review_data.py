"""The demo's review work: reviewers, assignments, conflicts, reviews and released decisions.

CADE 2025 is the call in review: three applications are still under review
(one ready to decide, one short of a reviewer after a declared conflict, one
with a draft review), and six were decided and released. The WSIS Forum 2026
travel call has its decisions released and one application still to assign.
"""

# (e-mail, name, locale, time zone, expertise, languages, UN M49 regions, max load per call)
EXTRA_REVIEWERS = [
    ("reviewer3@cade.example", "Amina Rahman", "en", "Asia/Dhaka"),
    ("reviewer4@cade.example", "Olena Kovalenko", "en", "Europe/Kyiv"),
]

PROFILES = {
    "reviewer1@cade.example": (["governance", "advocacy", "community networks"], ["fr", "en"], ["002"], 8),
    "reviewer2@cade.example": (["digital security", "financial management"], ["es", "en", "pt"], ["019"], 8),
    "reviewer3@cade.example": (["connectivity", "monitoring and evaluation"], ["en"], ["142", "009"], 6),
    "reviewer4@cade.example": (["digital security", "fundraising"], ["en", "ru"], ["150"], 6),
}

# Days from now.
REVIEW_DEADLINES = {"cade-2025": 5, "wsis-2026": -20}
RELEASED_DAYS_AGO = {"cade-2025": 3, "wsis-2026": 30}

R1, R2, R3, R4 = (f"reviewer{n}@cade.example" for n in range(1, 5))

# (call, organisation) → reviews: (reviewer, state, scores per criterion, recommendation, comment to the applicant).
# state: "submitted", "draft" (declared no conflict, partly scored), "assigned" (not opened yet),
# "conflict" (declared a conflict: the assignment is gone, the declaration stays).
REVIEWS = {
    ("cade-2025", "kijiji"): [
        (R1, "submitted", [5, 4, 4, 4, 3], "fund", "A clear, costed plan that builds on what the network already does well."),
        (R3, "submitted", [4, 4, 5, 3, 4], "fund", "Strong community ownership; add a simple indicator for the reserve fund."),
    ],
    ("cade-2025", "pacific"): [
        (R3, "submitted", [5, 5, 4, 3, 4], "fund", "Regional reach is impressive; the travel budget could be trimmed."),
        (R2, "submitted", [4, 4, 4, 3, 5], "fund_with_changes", "Please phase the work so that results show in year one."),
    ],
    ("cade-2025", "tunisia"): [
        (R1, "submitted", [4, 4, 4, 4, 4], "fund", "Well argued and realistic."),
        (R4, "submitted", [4, 3, 4, 4, 3], "fund_with_changes", "The monitoring plan needs baseline figures."),
    ],
    ("cade-2025", "sahel"): [
        (R1, "submitted", [4, 3, 3, 4, 3], "fund_with_changes", "Promising; the timeline is tight for the rainy season."),
        (R2, "submitted", [3, 3, 3, 3, 3], "fund_with_changes", "Good idea, but the budget lines need more detail."),
    ],
    ("cade-2025", "kivu"): [
        (R1, "submitted", [3, 2, 2, 2, 3], "do_not_fund", "The activities are not yet linked to a capacity gap."),
        (R4, "submitted", [4, 3, 3, 2, 3], "fund_with_changes", "The context is hard; a smaller first phase could work."),
    ],
    ("cade-2025", "derechos"): [
        (R2, "submitted", [2, 2, 3, 2, 2], "do_not_fund", "The plan reads as a continuation of existing litigation work."),
        (R3, "submitted", [3, 2, 2, 2, 3], "do_not_fund", "Please show what the organisation will be able to do afterwards."),
    ],
    ("cade-2025", "kavkasia"): [
        (R2, "submitted", [4, 4, 3, 4, 4], "fund", "Focused and affordable; good partners."),
        (R4, "submitted", [5, 4, 4, 4, 3], "fund", "The regional coalition is a real asset."),
    ],
    ("cade-2025", "moldova"): [
        (R4, "submitted", [3, 4, 3, 4, 4], "fund_with_changes", "Sound plan; please add a sustainability section."),
        (R3, "conflict", None, None, "I advised their board on its 2024 strategy."),
    ],
    ("cade-2025", "padma"): [
        (R3, "draft", [4, 3, None, None, None], None, ""),
        (R1, "assigned", None, None, None),
    ],
    ("wsis-2026", "pacific"): [(R1, "submitted", [3, 3, 1], "fund", "A strong speaking slot; please share your notes.")],
    ("wsis-2026", "himalayan"): [(R3, "submitted", [3, 2, 1], "fund", "A useful workshop for the community.")],
    ("wsis-2026", "nablus"): [(R2, "submitted", [2, 2, 1], "fund", "Good youth perspective.")],
    ("wsis-2026", "maya"): [(R2, "submitted", [1, 1, 0], "do_not_fund", "The role at the forum is not yet clear.")],
}

# (call, organisation) → (outcome, amount in major units or None, feedback, rationale). All released.
DECISIONS = {
    ("cade-2025", "kijiji"): ("award", 20_000, "Congratulations: the panel valued your costed plan.",
                              "Top quarter; first grant in East Africa this round."),
    ("cade-2025", "pacific"): ("award", 50_000, "Funded with a reduced travel budget, as the reviewers suggested.",
                               "High scores; travel trimmed by 5,000."),
    ("cade-2025", "tunisia"): ("award", 40_000, "Funded. Please send baseline figures with your first report.",
                               "Consistent scores; fills the North Africa target."),
    ("cade-2025", "sahel"): ("waitlist", None, "A good proposal that we will fund if money frees up.",
                             "Just below the line; first on the waiting list."),
    ("cade-2025", "kivu"): ("reject", None, "Not funded this time; a smaller first phase would be welcome next year.",
                            "Reviewers disagreed; below the line on the mean and the median."),
    ("cade-2025", "derechos"): ("reject", None, "Not funded: the proposal continues existing work.",
                                "Both reviewers recommended not to fund."),
    ("wsis-2026", "pacific"): ("award", 3_800, "Have a good forum.", "Speaker on the high-level track."),
    ("wsis-2026", "himalayan"): ("award", 2_900, "Have a good forum.", "Workshop organiser."),
    ("wsis-2026", "nablus"): ("award", 3_100, "Have a good forum.", "Youth track speaker."),
    ("wsis-2026", "maya"): ("reject", None, "Not funded this time.", "No confirmed role at the forum."),
}
