"""Open data: the released awards as a 360Giving package and as IATI 2.03 activities, with the organisations that
did not consent to publication anonymised. The official schemas are shipped unchanged in `schemas/`."""
