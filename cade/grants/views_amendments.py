"""Routes for grant amendments and agreement versions (joins the grants blueprint; imported at the end of cade/grants/views.py)."""
