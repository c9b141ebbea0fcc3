"""Defaults shared by every environment. Every value here is documented in the README."""

from __future__ import annotations


class BaseConfig:
    # Storage. None means "a SQLite file under the instance folder" (embedded mode).
    DATABASE_URL: str | None = None
    # Unset: embedded mode, Celery tasks run in-process after the commit; no Redis needed.
    REDIS_URL: str | None = None
    SECRET_KEY: str | None = None

    # WeChat official account (docs/wechat-bot.md, docs/notifications.md).
    WECHAT_TOKEN: str | None = None
    WECHAT_APP_ID: str | None = None
    WECHAT_APP_SECRET: str | None = None
    WECHAT_ENCODING_AES_KEY: str | None = None
    WECHAT_API_BASE_URL: str = "https://api.weixin.qq.com/cgi-bin/"
    # Callback replay window: a signed request whose timestamp is further than this from our
    # clock is refused (403). 0 turns the check off (docs/security.md).
    WECHAT_TIMESTAMP_TOLERANCE_SECONDS: int = 300
    # The account's message mode: "safe" (only encrypted deliveries), "compatible" (plain
    # ones too) or "plain". Unset: safe when WECHAT_ENCODING_AES_KEY is set, else plain.
    WECHAT_MESSAGE_MODE: str | None = None
    # WeChat API calls (template and customer-service messages, tokens): seconds before we
    # give up reading the answer. WeChat usually answers within 1 s; a call that times out
    # after it was written may still have been sent (docs/security.md).
    WECHAT_API_TIMEOUT_SECONDS: float = 15.0
    # Template message ids (from the account's template library) for messages to agents;
    # unset: that message is not sent over WeChat. Data keys: first, keyword1-4, remark.
    WECHAT_TEMPLATE_LEAD_ASSIGNED: str | None = None
    WECHAT_TEMPLATE_NOTICE: str | None = None  # anything else an agent is told

    # E-mail notifications.
    SMTP_HOST: str | None = None
    SMTP_PORT: int = 25
    SMTP_USER: str | None = None
    SMTP_PASSWORD: str | None = None
    SMTP_FROM: str = "parklead@localhost"
    SMTP_STARTTLS: bool = False
    SMTP_TIMEOUT_SECONDS: float = 10.0

    # Outgoing webhook: events POSTed as JSON, signed with HMAC-SHA256 of WEBHOOK_SECRET.
    WEBHOOK_URL: str | None = None
    WEBHOOK_SECRET: str | None = None
    WEBHOOK_TIMEOUT_SECONDS: float = 10.0

    # Alert channels for agents (docs/notifications.md). Secrets only from the environment.
    # 企业微信 application messages: the app's corp id, agent id and secret.
    WECOM_CORP_ID: str | None = None
    WECOM_AGENT_ID: str | None = None
    WECOM_SECRET: str | None = None
    WECOM_API_BASE_URL: str = "https://qyapi.weixin.qq.com/cgi-bin/"
    # 企业微信 group robot: the `key` of its webhook URL.
    WECOM_ROBOT_KEY: str | None = None
    # 钉钉 group robot: the access_token of its webhook URL and its signing secret (SEC...).
    DINGTALK_ROBOT_ACCESS_TOKEN: str | None = None
    DINGTALK_ROBOT_SECRET: str | None = None
    DINGTALK_API_BASE_URL: str = "https://oapi.dingtalk.com/"
    # SMS: provider "tencent" (Tencent Cloud SMS, TC3-HMAC-SHA256), or unset for none.
    SMS_PROVIDER: str | None = None
    SMS_SECRET_ID: str | None = None
    SMS_SECRET_KEY: str | None = None
    SMS_SDK_APP_ID: str | None = None
    SMS_SIGN_NAME: str | None = None
    SMS_REGION: str = "ap-guangzhou"
    SMS_API_BASE_URL: str = "https://sms.tencentcloudapi.com/"
    # Approved template ids: lead_assigned takes {1} reference, {2} contact-by time; notice
    # takes {1} what happened.
    SMS_TEMPLATE_LEAD_ASSIGNED: str | None = None
    SMS_TEMPLATE_NOTICE: str | None = None
    ALERT_TIMEOUT_SECONDS: float = 10.0
    # Demo only: fill the unset channel settings above with those of `parklead fake-channels`.
    FAKE_CHANNELS_URL: str | None = None

    # Notification outbox (docs/notifications.md): retries with exponential backoff and
    # jitter, then dead.
    NOTIFY_MAX_ATTEMPTS: int = 8
    NOTIFY_BACKOFF_BASE_SECONDS: float = 30.0
    NOTIFY_BACKOFF_MAX_SECONDS: float = 3600.0
    # A worker holds a row this long while sending; longer than the slowest channel call.
    NOTIFY_LEASE_SECONDS: float = 120.0
    # The sweeper re-enqueues rows due this long ago whose task was lost, every interval.
    NOTIFY_SWEEP_GRACE_SECONDS: float = 60.0
    NOTIFY_SWEEP_INTERVAL_SECONDS: float = 60.0
    NOTIFY_SWEEP_BATCH: int = 200

    # Public intake: per-IP limit in flask-limiter syntax, or "off".
    INTAKE_RATE_LIMIT: str = "20/minute;300/day"
    # How many reverse proxies sit in front of the app (for the client IP the limit keys on).
    PROXY_COUNT: int = 0
    # Largest request body accepted anywhere (bytes); larger bodies get 413.
    MAX_CONTENT_LENGTH: int = 256 * 1024

    # Failed logins (pages and API tokens, app/accounts/lockout.py): a budget per address in
    # flask-limiter syntax ("off" disables it), and a lock of the account after this many
    # failures within the window, for LOGIN_LOCKOUT_SECONDS.
    LOGIN_ADDRESS_RATE_LIMIT: str = "20/minute;100/hour"
    LOGIN_LOCKOUT_FAILURES: int = 5
    LOGIN_LOCKOUT_WINDOW_SECONDS: int = 900
    LOGIN_LOCKOUT_SECONDS: int = 900

    # Page sessions (app/accounts/pages_auth.py): the cookie is HttpOnly and SameSite=Lax
    # everywhere and Secure in production; the session ends after this many seconds whatever
    # happens, and at logout on the server too. CSRF tokens live as long as the session.
    SESSION_COOKIE_HTTPONLY: bool = True
    SESSION_COOKIE_SAMESITE: str = "Lax"
    SESSION_COOKIE_SECURE: bool = False
    SESSION_MAX_AGE_SECONDS: int = 12 * 3600
    WTF_CSRF_TIME_LIMIT: int | None = None
    # Strict-Transport-Security on HTTPS responses (0: not sent).
    HSTS_MAX_AGE_SECONDS: int = 365 * 24 * 3600

    # argon2id cost for agent passwords (argon2-cffi's defaults).
    PASSWORD_HASH_MEMORY_KIB: int = 65536
    PASSWORD_HASH_TIME_COST: int = 3

    # Bearer tokens for the JSON API.
    TOKEN_MAX_AGE_SECONDS: int = 12 * 3600

    # Leads.
    SLA_MINUTES: int = 30
    TIMEZONE: str = "Asia/Shanghai"
    DISTRICTS: str = "zhuzhou"
    # CPU niceness a Celery worker gives itself at start (0: none), so that on a host it shares
    # with the web the web's answers come before background routing and sending
    # (docs/operations.md).
    WORKER_NICE: int = 0
    # The least time between two publishes of a web process's tasks to Celery: a task after a
    # quiet spell leaves at once, those arriving within the interval after a send leave
    # together as one batch message (app/core/dispatch.py): under load, fewer and larger
    # routing batches.
    DISPATCH_LINGER_MS: int = 200
    # Seconds after which a lead that was never routed is handed to the worker again.
    ROUTING_SWEEP_AFTER_SECONDS: int = 30
    # Prometheus metrics: a bearer token for /metrics; unset, it answers this machine only.
    METRICS_TOKEN: str | None = None
    # Reports: how often beat refreshes the funnel report's daily rollup (app/reports/rollup.py).
    REPORT_ROLLUP_INTERVAL_SECONDS: float = 600.0
    # Office hours on official working days (China's calendar, 调休 included), local time.
    WORKING_HOURS: tuple[tuple[str, str], ...] = (("09:00", "12:00"), ("13:30", "18:00"))
    # Lead score (0-100): relative weight of each factor; a factor left out keeps its weight
    # here, 0 switches it off (app/leads/scoring.py; env PARKLEAD_SCORING_WEIGHTS as JSON).
    SCORING_WEIGHTS: dict[str, float] = {
        "tax": 35,
        "investment": 20,
        "area": 15,
        "completeness": 20,
        "channel": 10,
    }
    # The `weighted` strategy shares the leads assigned in this many recent days by weight.
    ROUTING_WEIGHTED_WINDOW_DAYS: int = 7

    # Listings (docs/listings.md): uploaded photos go here (unset: instance/listing-photos);
    # larger images get 413.
    LISTINGS_PHOTO_DIR: str | None = None
    LISTINGS_PHOTO_MAX_BYTES: int = 8 * 1024 * 1024
    # Matching a lead scores at most this many candidate listings read from SQL (shared
    # among the kinds it accepts, half of them in its district); a listing's open leads: 4×.
    LISTINGS_MATCH_CANDIDATES: int = 60
    # A listing added or available again is announced to the agents of its best open leads:
    # at most this many leads, each scoring at least this much.
    LISTINGS_NOTIFY_TOP: int = 5
    LISTINGS_NOTIFY_MIN_SCORE: int = 60

    # Celery.
    CELERY_QUEUE: str = "parklead"
    # Task visibility timeout on Redis: longer than the longest task (hard time limit below).
    CELERY_VISIBILITY_TIMEOUT: int = 3600
    # Seconds between scans for tasks of workers that died (re-queued after the timeout).
    CELERY_UNACKED_RESTORE_SECONDS: int = 60
    CELERY_TASK_TIME_LIMIT: int = 300
    CELERY_TASK_SOFT_TIME_LIMIT: int = 240

    LOG_FORMAT: str = "text"  # "text" or "json"
    LOG_LEVEL: str = "INFO"
    TESTING: bool = False
    JSON_AS_ASCII: bool = False
