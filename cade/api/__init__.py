"""The JSON API v1 (`/api/v1`): public calls and open data, the token holder's applications, admin reports; its
OpenAPI 3.1 document is generated from the same types the endpoints take and return."""
