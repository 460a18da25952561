"""The HTTP API: DRF, OpenAPI, our own per-key rate limit and request limits."""

from __future__ import annotations

from config.env import env, instant, required_instant

API_MAX_BODY_BYTES = env.int("API_MAX_BODY_BYTES", default=25 * 1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = API_MAX_BODY_BYTES
API_RATE_LIMIT_PER_S = env.float("API_RATE_LIMIT_PER_S", default=20.0)
API_RATE_LIMIT_BURST = env.int("API_RATE_LIMIT_BURST", default=40)
API_KEY_LAST_USED_RESOLUTION_S = 60
# API v1 compatibility (SPEC 14): how long create-user waits for its mutation before it answers
# 202, how many requests of one process may wait at once, and the dates of the Deprecation
# (RFC 9745) and optional Sunset (RFC 8594) headers.
API_V1_WAIT_S = env.float("API_V1_WAIT_S", default=20.0)
# Per process: keep it below gunicorn's --threads so v1 waits never take every thread.
API_V1_MAX_WAITING = env.int("API_V1_MAX_WAITING", default=4)
API_V1_DEPRECATED_AT = required_instant("API_V1_DEPRECATED_AT", default="2026-01-01")
API_V1_SUNSET_AT = instant("API_V1_SUNSET_AT")

# Proxies in front of the app whose X-Forwarded-For hop is believed: a count or CIDRs
# (config/api/client.py). Empty: REMOTE_ADDR is the client.
TRUSTED_PROXIES = env.str("TRUSTED_PROXIES", default="")
# Failed API authentications per client address: this many at once, refilled over the window.
API_AUTH_FAILURE_BURST = env.int("API_AUTH_FAILURE_BURST", default=20)
API_AUTH_FAILURE_WINDOW_S = env.float("API_AUTH_FAILURE_WINDOW_S", default=600.0)
CALLBACK_ALLOW_PRIVATE_HOSTS = env.bool("CALLBACK_ALLOW_PRIVATE_HOSTS", default=False)
# Fault drills compress the callback retry schedule (10 s … 12 h) by this factor; 1 in production.
WEBHOOK_RETRY_TIME_SCALE = env.float("WEBHOOK_RETRY_TIME_SCALE", default=1.0)

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["config.api.parsers.StrictJSONParser"],
    "DEFAULT_THROTTLE_CLASSES": [],
    "EXCEPTION_HANDLER": "config.api.errors.api_exception_handler",
    "DEFAULT_SCHEMA_CLASS": "config.api.openapi.EnvelopeAutoSchema",
    "UNAUTHENTICATED_USER": None,
    "UNAUTHENTICATED_TOKEN": None,
    "STRICT_JSON": True,
    "COERCE_DECIMAL_TO_STRING": False,
    "DATETIME_FORMAT": "iso-8601",
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Onderwijsregio API",
    "DESCRIPTION": (
        "Intake and management of prospective teachers for Dutch education regions. "
        "Every path under `/api/v2` is also served under `/api/sandbox` (or send "
        "`x-api-sandbox: true`) on separate sandbox data. Writes answer 202 and are executed "
        "asynchronously by the Mutation Engine; follow `links.self` or register a `callbackUrl`."
    ),
    "VERSION": "2.0.0",
    "OAS_VERSION": "3.1.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": r"/api/v2",
    "SCHEMA_PATH_PREFIX_TRIM": False,
    "PREPROCESSING_HOOKS": ["config.api.openapi.only_public_api_paths"],
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "config.api.openapi_links.add_links",
    ],
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {"InteractionTypeEnum": "candidates.fields.INTERACTION_TYPES"},
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "TAGS": [
        {"name": t}
        for t in (
            "Auth",
            "Regions",
            "Admin",
            "Schema",
            "Candidates",
            "Interactions",
            "Attachments",
            "Webhooks",
            "Mutations",
            "Health",
        )
    ],
}
