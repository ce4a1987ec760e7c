"""JSON webhooks (``json://`` and ``jsons://`` channels): apprise's payload (version, title, message,
type) plus the alert's content as fields (``subscription``, ``jobs``: each job's title, employer, place,
category, salary, deadline, links, « pourquoi »...), posted by veille.

apprise's own JSON plugin posts a fixed set of fields; a webhook is read by programs, which need the
jobs as data, not as text to parse again. The URL means what it means to apprise (host, port, path,
``user:password``, ``+Header=value``, ``:key=value`` payload additions, ``method``): apprise parses it.
"""

from __future__ import annotations

import json

from alerts.channels import SendResult, _instantiate
from alerts.masking import mask_url

WEBHOOK_SCHEMES = ("json", "jsons")
TIMEOUT = (4, 30)


def is_webhook(url: str) -> bool:
    return url.strip().split("://", 1)[0].lower() in WEBHOOK_SCHEMES


def send_webhook(url: str, payload: dict) -> SendResult:
    """POST (or the URL's method) ``payload`` as JSON; ok on a 2xx answer."""
    import requests

    plugin = _instantiate(url)
    if plugin is None:
        return SendResult(False, "apprise cannot use this json:// URL")
    body = dict(payload)
    for key, value in plugin.payload_extras.items():
        if key in body:
            if value:
                body[value] = body.pop(key)
            else:
                body.pop(key)
        else:
            body[key] = value
    scheme = "https" if plugin.secure else "http"
    port = f":{plugin.port}" if plugin.port else ""
    target = f"{scheme}://{plugin.host}{port}{plugin.fullpath or '/'}"
    auth = (plugin.user, plugin.password or "") if plugin.user else None
    headers = {"User-Agent": "veille", "Content-Type": "application/json", **plugin.headers}
    try:
        answer = requests.request(
            plugin.method or "POST",
            target,
            data=json.dumps(body, ensure_ascii=False).encode("utf-8"),
            headers=headers,
            params=plugin.params,
            auth=auth,
            verify=plugin.verify_certificate,
            timeout=TIMEOUT,
        )
    except requests.RequestException as error:
        # Said by the channel's masked URL: a webhook's path often is its token.
        return SendResult(False, f"{type(error).__name__}: {mask_url(url).split('?', 1)[0]}")
    if 200 <= answer.status_code < 300:
        return SendResult(True)
    # A service that asks to wait (429, 503) says how long: the next try waits at least that.
    wait = answer.headers.get("Retry-After") if answer.status_code in (429, 503) else None
    return SendResult(False, f"the webhook answered HTTP {answer.status_code}", retry_after=wait)
