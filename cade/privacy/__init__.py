"""Personal data on request: a person's export, and the erasure of a person or of an organisation.

The domain sits at the top of the stack, beside reports and api: it reads
every domain below, and erasure reaches into their tables, since none of them
offers an erasure verb of its own (what each step changes, and why, is said
where it is done: cade/privacy/erasure.py and cade/privacy/organisations.py).
"""
