"""Applicants and the programme talking: clarification requests and each application's message thread."""
