"""`make bench`: page timings and query counts as the data grows.

Figures are ratios against a baseline measured in the same run (the time of
/healthz, which touches the database once), so they compare across machines:
"dashboard 3.1×" means the dashboard takes about three health checks. Each
page is measured at a small and at a ten-times larger data set; the queries
per page must not change, and the time should barely move.
"""

import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import select  # noqa: E402

from cade import create_app  # noqa: E402
from cade.applications.models import Application  # noqa: E402
from cade.extensions import db  # noqa: E402
from config import TestConfig  # noqa: E402
from tests.conftest import IsolatedClient  # noqa: E402
from tests.factories import PASSWORD, ReviewerProfileFactory, UserFactory  # noqa: E402
from tests.quality.conftest import make_review_world, make_world  # noqa: E402
from tests.querycount import count_statements  # noqa: E402

REPEATS = 15


def measure(client, path: str) -> tuple[float, int]:
    """Median time of REPEATS requests for `path`, and the statements the last one ran."""
    timings = []
    for _ in range(REPEATS):
        start = time.perf_counter()
        response, statements = count_statements(lambda: client.get(path))
        timings.append(time.perf_counter() - start)
        assert response.status_code == 200, (path, response.status_code)
    return statistics.median(timings), statements


def main() -> int:
    folder = tempfile.mkdtemp(prefix="cade-bench-")
    app = create_app(TestConfig, SQLALCHEMY_DATABASE_URI=f"sqlite:///{folder}/bench.sqlite",
                     STORAGE_PATH=f"{folder}/files", MAILBOX_PATH=f"{folder}/mailbox")
    # Each request in its own app context, as in production: no user cached in a shared `g`.
    app.test_client_class = IsolatedClient
    with app.app_context():
        db.create_all()
        applicant = UserFactory(email="bench@example.org")
        admin = UserFactory(email="admin@example.org", roles=["admin"])
        calls = make_world(5, applicant=applicant)
        own = db.session.scalar(select(Application.id).where(Application.status == "submitted").limit(1))
        reviewer = ReviewerProfileFactory(user__email="reviewer@example.org", max_load=2000).user
        review_call, reviewed = make_review_world(10, reviewer=reviewer)
        pages = {
            "open calls": ("anon", "/"),
            "call page": ("anon", f"/calls/{calls[0].id}"),
            "applications dashboard": ("applicant", "/applications/"),
            "application view": ("applicant", f"/applications/{own}"),
            "inbox": ("applicant", "/inbox"),
            "admin dashboard": ("admin", "/admin/"),
            "call admin": ("admin", f"/admin/calls/{calls[0].id}"),
            "reviewer dashboard": ("reviewer", "/review/"),
            "reviewer pool": ("admin", "/admin/reviewers"),
            "call review": ("admin", f"/admin/calls/{review_call.id}/review"),
            "ranking": ("admin", f"/admin/calls/{review_call.id}/ranking"),
            "decision": ("admin", f"/admin/applications/{reviewed[1].id}/decision"),
        }
        clients = {who: app.test_client() for who in ("anon", "applicant", "admin", "reviewer")}
        for who, user in (("applicant", applicant), ("admin", admin), ("reviewer", reviewer)):
            clients[who].post("/auth/login", data={"email": user.email, "password": PASSWORD})

        results = {}
        for label, size in (("small", 5), ("large", 50)):
            if label == "large":
                make_world(size - 5, applicant=applicant)
                make_review_world(90, reviewer=reviewer, call=review_call)
            baseline, _ = measure(clients["anon"], "/healthz")
            results[label] = {name: measure(clients[who], path) for name, (who, path) in pages.items()}
            results[label]["_baseline"] = (baseline, 0)
            count = db.session.scalar(select(db.func.count(Application.id)))
            results[label]["_applications"] = (count, 0)

    small, large = results["small"], results["large"]
    print(f"CADE Grants benchmark: {REPEATS} requests a page, median time as a multiple of /healthz")
    print(f"data: small = {small['_applications'][0]} applications, large = {large['_applications'][0]}")
    print(f"{'page':<26}{'small':>9}{'large':>9}{'queries small→large':>22}")
    grew = []
    for name in pages:
        (t_small, q_small), (t_large, q_large) = small[name], large[name]
        ratio_small = t_small / small["_baseline"][0]
        ratio_large = t_large / large["_baseline"][0]
        print(f"{name:<26}{ratio_small:>8.1f}×{ratio_large:>8.1f}×{q_small:>13} → {q_large}")
        if q_large != q_small:
            grew.append(name)
    if grew:
        print("queries per page grew with the data on: " + ", ".join(grew))
        return 1
    print("queries per page are constant as the data grows")
    return 0


if __name__ == "__main__":
    sys.exit(main())
