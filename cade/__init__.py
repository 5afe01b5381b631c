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
    _refuse_unsafe_production(app)
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

    from cade.core import caching

    caching.init_app(app)  # what browsers and proxies may keep, and versioned static URLs

    from cade.celery_app import celery_init_app

    celery_init_app(app)
    return app


def _refuse_unsafe_production(app: Flask) -> None:
    """Production must not start with settings that only suit a developer's machine."""
    from config import DEV_SECRET_KEY

    if app.config.get("ENV_NAME") != "production":
        return
    if app.config["SECRET_KEY"] in (None, "", DEV_SECRET_KEY):
        raise RuntimeError("Set SECRET_KEY to a long random value before running in production.")
    if not app.config.get("RATELIMIT_STORAGE_URI"):
        raise RuntimeError(
            "Set RATELIMIT_STORAGE_URI (e.g. redis://…) so that all web workers share the sign-in limits."
        )
