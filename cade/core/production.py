"""What a production start refuses: settings that only suit a developer's machine.

`check_production_settings` runs in `create_app` when CADE_ENV=production,
before anything is served or any task runs. Every problem found names the
variable to set, and all of them are reported at once, so that an operator
fixes a deployment in one pass rather than one restart per mistake.
"""

from flask import Flask


class UnsafeProductionSettings(RuntimeError):
    """Production was started with settings that would lose data, leak secrets or split state."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        lines = "\n".join(f"  - {problem}" for problem in problems)
        super().__init__(f"CADE Grants will not start in production until these are fixed:\n{lines}")


def production_problems(config) -> list[str]:
    """Each setting that is unsafe for production, as a sentence naming the variable to set."""
    from config import DEV_SECRET_KEY

    problems = []
    if config.get("SECRET_KEY") in (None, "", DEV_SECRET_KEY) or len(str(config.get("SECRET_KEY"))) < 32:
        problems.append("Set SECRET_KEY to a long random value (at least 32 characters), e.g. "
                        "`python -c 'import secrets; print(secrets.token_urlsafe(48))'`.")
    database = str(config.get("SQLALCHEMY_DATABASE_URI", ""))
    processes = int(config.get("WEB_PROCESSES") or 1)
    hosts = int(config.get("WEB_HOSTS") or 1)
    if database.startswith("sqlite") and (processes > 1 or hosts > 1):
        problems.append(f"Set DATABASE_URL to a PostgreSQL database: SQLite cannot serve {processes} web "
                        f"processes on {hosts} host(s) at once (one writer at a time, no shared file across hosts).")
    limits = config.get("RATELIMIT_STORAGE_URI")
    if not limits or (str(limits).startswith("memory") and (processes > 1 or hosts > 1)):
        problems.append("Set RATELIMIT_STORAGE_URI (e.g. redis://host:6379/1) so that every web process "
                        "shares the sign-in limits; counters in one process's memory are not shared.")
    broker = str(config.get("CELERY", {}).get("broker_url", ""))
    if broker.startswith(("sqla+", "memory")):
        problems.append("Set CELERY_BROKER_URL to Redis (redis://…) or RabbitMQ (amqp://…): the embedded "
                        "SQLite broker serves one developer's worker, not a deployment.")
    backend = config.get("STORAGE_BACKEND", "local")
    if backend not in ("local", "s3"):
        problems.append(f"Set STORAGE_BACKEND to local or s3 (it is {backend!r}).")
    if backend == "local" and hosts > 1:
        problems.append(f"Set STORAGE_BACKEND=s3 (with S3_BUCKET): WEB_HOSTS={hosts} declares several web "
                        "hosts, and a file uploaded to one host's folder would be missing on the others.")
    if backend == "s3" and not config.get("S3_BUCKET"):
        problems.append("Set S3_BUCKET to the bucket that holds the files (STORAGE_BACKEND=s3).")
    if not config.get("BASE_URL"):
        problems.append("Set BASE_URL to the public address of the site (https://…): links in e-mails use it.")
    if config.get("DEV_MAILBOX"):
        problems.append("Unset DEV_MAILBOX: the development mailbox shows everyone's e-mail.")
    return problems


def check_production_settings(app: Flask) -> None:
    """Raise UnsafeProductionSettings, naming every variable to set, when production settings are unsafe."""
    if app.config.get("ENV_NAME") != "production":
        return
    problems = production_problems(app.config)
    if problems:
        raise UnsafeProductionSettings(problems)
