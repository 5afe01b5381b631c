"""CADE Grants: capacity-development grants, travel support and training for CSOs."""

from pathlib import Path

from flask import Flask

from config import INSTANCE_DIR, Config, config_from_env

ROOT = Path(__file__).resolve().parent.parent


def create_app(config: type[Config] | None = None, **overrides) -> Flask:
    app = Flask(
        __name__,
        instance_path=str(INSTANCE_DIR),
        template_folder=str(ROOT / "templates"),
        static_folder="static",
    )
    app.config.from_object(config or config_from_env())
    app.config.update(overrides)
    from cade.core.production import check_production_settings

    check_production_settings(app)  # names every variable to set, before anything is served
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        # A database host that does not answer must not hang /healthz or a request for minutes.
        options = dict(app.config["SQLALCHEMY_ENGINE_OPTIONS"])
        options.setdefault("connect_args", {"connect_timeout": 5})
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options
    if app.config["PROXY_COUNT"]:
        from werkzeug.middleware.proxy_fix import ProxyFix

        hops = app.config["PROXY_COUNT"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)

    from cade import wiring

    wiring.init_extensions(app)
    wiring.register_rules(app)
    wiring.register_hooks(app)
    wiring.register_blueprints(app)
    wiring.register_templates(app)
    wiring.register_errors(app)
    wiring.register_commands(app)

    from cade.core import caching, compression

    compression.init_app(app)  # registered first, so it runs last: after caching's ETag and 304
    caching.init_app(app)  # what browsers and proxies may keep, and versioned static URLs

    from cade.celery_app import celery_init_app

    celery_init_app(app)
    return app
