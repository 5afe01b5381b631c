"""Grants: what an accepted award becomes — the grant and its agreement (tranches and reports come next)."""


def register(hooks: list) -> None:
    """Open a grant whenever an offer is accepted: add `open_grant` to awards' `acceptance_hooks` (once)."""
    from cade.grants.services import open_grant

    if open_grant not in hooks:
        hooks.append(open_grant)
