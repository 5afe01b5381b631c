"""Due diligence: whom the money goes to. An organisation's dated documents (verified once, reused across
applications and grants), its payee details (confirmed by two admins), and the sanctions screenings recorded before
a payment. Above organisations and programmes, below grants, whose tranches ask it before paying."""
