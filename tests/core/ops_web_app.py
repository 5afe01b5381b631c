"""The app gunicorn serves in test_observability_services.py (`gunicorn tests.core.ops_web_app:app`)."""

import logging
import os

from cade import create_app
from cade.core import observability
from config import TestConfig
from tests.core.observed import TOKEN, add_test_pages

app = create_app(
    TestConfig,
    SQLALCHEMY_DATABASE_URI=os.environ["CADE_OPS_DATABASE_URL"],
    STORAGE_PATH=os.environ["CADE_OPS_STORAGE_PATH"],
    MAILBOX_PATH=os.environ["CADE_OPS_MAILBOX_PATH"],
    METRICS_TOKEN=TOKEN,
)
observability.init_app(app)
add_test_pages(app)
logging.getLogger("tests.ops").info("ops web app ready")  # the test waits for one such line per worker
