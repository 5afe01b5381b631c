"""Travel support: a travel call's events and cost caps, the per diem table, each application's trip (the
traveller, dates and estimated costs within caps), approval per category, the visa support letter, the claim
against receipts and the post-trip report. Beside grants, above awards."""
