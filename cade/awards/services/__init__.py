"""The awards API: decisions (inside the envelope), ranking and release.

Callers import the module they need (``from cade.awards.services import decisions``).
Every function takes the acting user explicitly, flushes but never commits.
"""
